package db

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Function is a deployable function of a project.
type Function struct {
	ProjectID    string
	ID           string
	Name         string
	Runtime      string
	Execute      []string
	Events       []string
	Schedule     string
	Timeout      int // seconds
	Enabled      bool
	Logging      bool
	Entrypoint   string
	Commands     string
	Scopes       []string
	DeploymentID string // the active deployment; "" when none
	Fuel         int64  // fuel budget per invocation; 0 = the platform default
	MemoryPages  int    // memory cap in 64 KiB pages; 0 = the platform default
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

const functionColumns = `project_id, id, name, runtime, execute, events, schedule, timeout, enabled, logging,
	entrypoint, commands, scopes, deployment_id, fuel, memory_pages, created_at, updated_at`

func scanFunction(row pgx.Row) (Function, error) {
	var f Function
	err := row.Scan(&f.ProjectID, &f.ID, &f.Name, &f.Runtime, &f.Execute, &f.Events, &f.Schedule, &f.Timeout,
		&f.Enabled, &f.Logging, &f.Entrypoint, &f.Commands, &f.Scopes, &f.DeploymentID, &f.Fuel, &f.MemoryPages,
		&f.CreatedAt, &f.UpdatedAt)
	return f, err
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// CreateFunction stores f; ErrConflict if the id is taken in the project.
func (db *DB) CreateFunction(ctx context.Context, f Function) (Function, error) {
	row := db.Pool.QueryRow(ctx, `INSERT INTO functions (project_id, id, name, runtime, execute, events, schedule,
		timeout, enabled, logging, entrypoint, commands, scopes, fuel, memory_pages)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING `+functionColumns,
		f.ProjectID, f.ID, f.Name, f.Runtime, nonNil(f.Execute), nonNil(f.Events), f.Schedule, f.Timeout, f.Enabled,
		f.Logging, f.Entrypoint, f.Commands, nonNil(f.Scopes), f.Fuel, f.MemoryPages)
	created, err := scanFunction(row)
	if isUniqueViolation(err) {
		return Function{}, fmt.Errorf("creating function %s: %w", f.ID, ErrConflict)
	}
	if err != nil {
		return Function{}, fmt.Errorf("creating function %s: %w", f.ID, err)
	}
	return created, nil
}

// GetFunction returns a function of a project or ErrNotFound.
func (db *DB) GetFunction(ctx context.Context, projectID, id string) (Function, error) {
	f, err := scanFunction(db.Pool.QueryRow(ctx, `SELECT `+functionColumns+` FROM functions WHERE project_id = $1 AND id = $2`, projectID, id))
	if err != nil {
		return Function{}, fmt.Errorf("reading function %s: %w", id, notFound(err))
	}
	return f, nil
}

// UpdateFunction replaces the settings of f (not its active deployment).
func (db *DB) UpdateFunction(ctx context.Context, f Function) (Function, error) {
	row := db.Pool.QueryRow(ctx, `UPDATE functions SET name = $3, runtime = $4, execute = $5, events = $6,
		schedule = $7, timeout = $8, enabled = $9, logging = $10, entrypoint = $11, commands = $12, scopes = $13,
		fuel = $14, memory_pages = $15, updated_at = now()
		WHERE project_id = $1 AND id = $2 RETURNING `+functionColumns,
		f.ProjectID, f.ID, f.Name, f.Runtime, nonNil(f.Execute), nonNil(f.Events), f.Schedule, f.Timeout, f.Enabled,
		f.Logging, f.Entrypoint, f.Commands, nonNil(f.Scopes), f.Fuel, f.MemoryPages)
	updated, err := scanFunction(row)
	if err != nil {
		return Function{}, fmt.Errorf("updating function %s: %w", f.ID, notFound(err))
	}
	return updated, nil
}

// DeleteFunction removes a function with its deployments and variables.
func (db *DB) DeleteFunction(ctx context.Context, projectID, id string) error {
	tag, err := db.Pool.Exec(ctx, `DELETE FROM functions WHERE project_id = $1 AND id = $2`, projectID, id)
	if err != nil {
		return fmt.Errorf("deleting function %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("deleting function %s: %w", id, ErrNotFound)
	}
	if _, err := db.Pool.Exec(ctx, `DELETE FROM variables WHERE project_id = $1 AND resource_type = 'function' AND resource_id = $2`, projectID, id); err != nil {
		return fmt.Errorf("deleting variables of function %s: %w", id, err)
	}
	return nil
}

// ListFunctions lists a project's functions.
func (db *DB) ListFunctions(ctx context.Context, projectID string, opt ListOptions) ([]Function, int, error) {
	var out []Function
	total, err := db.listQuery(ctx, "functions", functionColumns, "project_id = $1", []any{projectID}, opt, "created_at", false,
		func(rows pgx.Rows) error {
			f, err := scanFunction(rows)
			out = append(out, f)
			return err
		})
	return out, total, err
}

// FunctionExists reports whether the id names a function of the project.
func (db *DB) FunctionExists(ctx context.Context, projectID, id string) (bool, error) {
	var ok bool
	err := db.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM functions WHERE project_id = $1 AND id = $2)`, projectID, id).Scan(&ok)
	return ok, err
}
