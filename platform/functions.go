package platform

import (
	"context"
	"errors"
	"strings"

	"github.com/kilnhq/kiln/store/db"
)

// Function limits.
const (
	DefaultTimeout = 15  // seconds
	MaxTimeout     = 900 // seconds, as Appwrite
)

// FunctionInput is what a client sets on a function. Nil pointers keep the
// default (create) or the current value (update).
type FunctionInput struct {
	Name       string
	Runtime    string
	Execute    []string
	Events     []string
	Schedule   *string
	Timeout    *int
	Enabled    *bool
	Logging    *bool
	Entrypoint *string
	Commands   *string
	Scopes     []string
	// Fuel is the instruction budget of one invocation (Kiln's addition;
	// 0: the node's default, one billion).
	Fuel *int64
	// MemoryPages caps linear memory in 64 KiB pages (Kiln's addition; 0:
	// the node's default, 2048 = 128 MiB).
	MemoryPages *int
}

// Bounds of the per-function limits.
const (
	MinFuel        = 10_000
	MaxFuel        = 1_000_000_000_000
	MaxMemoryPages = 65536 // 4 GiB, all a wasm32 guest can address
)

var functionAttrs = listable{
	"name":       {column: "name"},
	"runtime":    {column: "runtime"},
	"enabled":    {column: "enabled", kind: kindBool},
	"deployment": {column: "deployment_id"},
	"$id":        {column: "id"},
	"$createdAt": {column: "created_at", kind: kindTime},
	"$updatedAt": {column: "updated_at", kind: kindTime},
}

// CreateFunction creates a function; id may be "unique()".
func (p *Platform) CreateFunction(ctx context.Context, projectID, id string, in FunctionInput) (db.Function, error) {
	id, err := CheckID(id)
	if err != nil {
		return db.Function{}, err
	}
	f := db.Function{ProjectID: projectID, ID: id, Timeout: DefaultTimeout, Enabled: true, Logging: true}
	if err := applyFunctionInput(&f, in, true); err != nil {
		return db.Function{}, err
	}
	created, err := p.db.CreateFunction(ctx, f)
	if errors.Is(err, db.ErrConflict) {
		return db.Function{}, &ConflictError{Kind: "function", ID: id}
	}
	return created, err
}

// UpdateFunction changes a function's settings.
func (p *Platform) UpdateFunction(ctx context.Context, projectID, id string, in FunctionInput) (db.Function, error) {
	f, err := p.GetFunction(ctx, projectID, id)
	if err != nil {
		return db.Function{}, err
	}
	if err := applyFunctionInput(&f, in, false); err != nil {
		return db.Function{}, err
	}
	updated, err := p.db.UpdateFunction(ctx, f)
	if errors.Is(err, db.ErrNotFound) {
		return db.Function{}, &NotFoundError{Kind: "function", ID: id}
	}
	if err == nil {
		p.functionChanged(projectID, id)
	}
	return updated, err
}

func applyFunctionInput(f *db.Function, in FunctionInput, create bool) error {
	name := strings.TrimSpace(in.Name)
	if create || in.Name != "" {
		if name == "" || len(name) > 128 {
			return invalid("Invalid `name` param: a name of 1 to 128 characters is required")
		}
		f.Name = name
	}
	if create || in.Runtime != "" {
		rt, err := ResolveRuntime(in.Runtime)
		if err != nil {
			return err
		}
		f.Runtime = rt.ID
		if strings.HasPrefix(in.Runtime, "go-") {
			f.Runtime = in.Runtime // keep the client's name; it resolves to the node's Go
		}
	}
	if in.Execute != nil {
		for _, role := range in.Execute {
			if !validRole(role) {
				return invalid("Invalid `execute` param: %q is not a role (any, users, guests, user:<id>, team:<id>, label:<name>)", role)
			}
		}
		f.Execute = in.Execute
	}
	if in.Events != nil {
		if len(in.Events) > 100 {
			return invalid("Invalid `events` param: at most 100 events")
		}
		f.Events = in.Events
	}
	if in.Schedule != nil {
		s := strings.TrimSpace(*in.Schedule)
		if s != "" && len(strings.Fields(s)) != 5 {
			return invalid("Invalid `schedule` param: a cron expression has 5 fields, got %q", s)
		}
		f.Schedule = s
	}
	if in.Timeout != nil {
		if *in.Timeout < 1 || *in.Timeout > MaxTimeout {
			return invalid("Invalid `timeout` param: must be between 1 and %d seconds", MaxTimeout)
		}
		f.Timeout = *in.Timeout
	}
	if in.Fuel != nil {
		if v := *in.Fuel; v != 0 && (v < MinFuel || v > MaxFuel) {
			return invalid("Invalid `fuel` param: 0 (the default) or between %d and %d instructions", MinFuel, int64(MaxFuel))
		}
		f.Fuel = *in.Fuel
	}
	if in.MemoryPages != nil {
		if v := *in.MemoryPages; v < 0 || v > MaxMemoryPages {
			return invalid("Invalid `memoryPages` param: 0 (the default) or between 1 and %d pages of 64 KiB", MaxMemoryPages)
		}
		f.MemoryPages = *in.MemoryPages
	}
	if in.Enabled != nil {
		f.Enabled = *in.Enabled
	}
	if in.Logging != nil {
		f.Logging = *in.Logging
	}
	if in.Entrypoint != nil {
		f.Entrypoint = *in.Entrypoint
	}
	if in.Commands != nil {
		f.Commands = *in.Commands
	}
	if in.Scopes != nil {
		for _, s := range in.Scopes {
			if !knownScope(s) {
				return invalid("Invalid `scopes` param: unknown scope %q", s)
			}
		}
		f.Scopes = in.Scopes
	}
	return nil
}

func validRole(role string) bool {
	switch role {
	case "any", "users", "guests":
		return true
	}
	for _, prefix := range []string{"user:", "team:", "label:", "member:", "users/"} {
		if rest, ok := strings.CutPrefix(role, prefix); ok && rest != "" && len(rest) <= 72 {
			return true
		}
	}
	return false
}

func knownScope(s string) bool {
	for _, k := range Scopes {
		if k == s {
			return true
		}
	}
	return false
}

// GetFunction returns a function of the project.
func (p *Platform) GetFunction(ctx context.Context, projectID, id string) (db.Function, error) {
	f, err := p.db.GetFunction(ctx, projectID, id)
	if errors.Is(err, db.ErrNotFound) {
		return db.Function{}, &NotFoundError{Kind: "function", ID: id}
	}
	return f, err
}

// DeleteFunction deletes a function, its deployments and variables.
func (p *Platform) DeleteFunction(ctx context.Context, projectID, id string) error {
	err := p.db.DeleteFunction(ctx, projectID, id)
	if errors.Is(err, db.ErrNotFound) {
		return &NotFoundError{Kind: "function", ID: id}
	}
	if err == nil {
		p.functionChanged(projectID, id)
	}
	return err
}

// ListFunctions lists functions matching Appwrite queries and a search term.
func (p *Platform) ListFunctions(ctx context.Context, projectID string, queries []string, search string) ([]db.Function, int, error) {
	opt, err := ParseQueries(queries, functionAttrs)
	if err != nil {
		return nil, 0, err
	}
	if search = strings.TrimSpace(search); search != "" {
		opt.Filters = append(opt.Filters, db.Filter{Column: "name || ' ' || id || ' ' || runtime", Op: db.OpSearch, Values: []any{search}})
	}
	if err := p.checkCursor(ctx, opt, func(id string) (bool, error) { return p.db.FunctionExists(ctx, projectID, id) }); err != nil {
		return nil, 0, err
	}
	return p.db.ListFunctions(ctx, projectID, opt)
}

// checkCursor makes a cursor naming no row an InvalidError, as Appwrite does.
func (p *Platform) checkCursor(ctx context.Context, opt db.ListOptions, exists func(string) (bool, error)) error {
	id := opt.CursorAfter + opt.CursorBefore
	if id == "" {
		return nil
	}
	ok, err := exists(id)
	if err != nil {
		return err
	}
	if !ok {
		return invalid("Invalid query: cursor %q does not name a document", id)
	}
	return nil
}
