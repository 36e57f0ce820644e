package platform

import (
	"context"
	"errors"
	"regexp"
	"time"

	"github.com/kilnhq/kiln/store/db"
)

// Variable is a function's environment variable as the API shows it.
// Secret values are encrypted at rest and never returned: Value is "" for them.
type Variable struct {
	ID           string
	ResourceType string
	ResourceID   string
	Key          string
	Value        string
	Secret       bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

const resourceFunction = "function"

var variableKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,254}$`)

// MaxVariableValue caps a variable's value in bytes.
const MaxVariableValue = 8192

func checkVariable(key, value string) error {
	if !variableKey.MatchString(key) {
		return invalid("Invalid `key` param: letters, digits and underscores, not starting with a digit, up to 255 characters")
	}
	if len(value) > MaxVariableValue {
		return invalid("Invalid `value` param: at most %d bytes", MaxVariableValue)
	}
	return nil
}

func (p *Platform) store(v db.Variable, value string) db.Variable {
	if v.Secret {
		v.Value = p.sealer.seal([]byte(value), []byte(v.ProjectID+"/"+v.ID))
	} else {
		v.Value = []byte(value)
	}
	return v
}

func toVariable(v db.Variable) Variable {
	out := Variable{ID: v.ID, ResourceType: v.ResourceType, ResourceID: v.ResourceID, Key: v.Key, Secret: v.Secret,
		CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt}
	if !v.Secret {
		out.Value = string(v.Value)
	}
	return out
}

// CreateVariable adds a variable to a function.
func (p *Platform) CreateVariable(ctx context.Context, projectID, functionID, key, value string, secret bool) (Variable, error) {
	if _, err := p.GetFunction(ctx, projectID, functionID); err != nil {
		return Variable{}, err
	}
	if err := checkVariable(key, value); err != nil {
		return Variable{}, err
	}
	v := p.store(db.Variable{ProjectID: projectID, ID: NewID(), ResourceType: resourceFunction, ResourceID: functionID, Key: key, Secret: secret}, value)
	created, err := p.db.CreateVariable(ctx, v)
	if errors.Is(err, db.ErrConflict) {
		return Variable{}, &ConflictError{Kind: "variable", ID: key}
	}
	if err != nil {
		return Variable{}, err
	}
	p.functionChanged(projectID, functionID)
	return toVariable(created), nil
}

// GetVariable returns a variable of a function.
func (p *Platform) GetVariable(ctx context.Context, projectID, functionID, id string) (Variable, error) {
	v, err := p.db.GetVariable(ctx, projectID, resourceFunction, functionID, id)
	if errors.Is(err, db.ErrNotFound) {
		return Variable{}, &NotFoundError{Kind: "variable", ID: id}
	}
	if err != nil {
		return Variable{}, err
	}
	return toVariable(v), nil
}

// UpdateVariable changes a variable. A secret stays secret: Appwrite does
// not let a secret become readable again.
func (p *Platform) UpdateVariable(ctx context.Context, projectID, functionID, id, key string, value *string, secret *bool) (Variable, error) {
	cur, err := p.db.GetVariable(ctx, projectID, resourceFunction, functionID, id)
	if errors.Is(err, db.ErrNotFound) {
		return Variable{}, &NotFoundError{Kind: "variable", ID: id}
	}
	if err != nil {
		return Variable{}, err
	}
	plain, err := p.plainValue(cur)
	if err != nil {
		return Variable{}, err
	}
	if value != nil {
		plain = *value
	}
	if key == "" {
		key = cur.Key
	}
	if err := checkVariable(key, plain); err != nil {
		return Variable{}, err
	}
	newSecret := cur.Secret
	if secret != nil {
		if cur.Secret && !*secret {
			return Variable{}, invalid("Invalid `secret` param: a secret variable cannot be made readable")
		}
		newSecret = *secret
	}
	next := p.store(db.Variable{ProjectID: projectID, ID: id, ResourceType: resourceFunction, ResourceID: functionID, Key: key, Secret: newSecret}, plain)
	updated, err := p.db.UpdateVariable(ctx, next)
	if errors.Is(err, db.ErrConflict) {
		return Variable{}, &ConflictError{Kind: "variable", ID: key}
	}
	if err != nil {
		return Variable{}, err
	}
	p.functionChanged(projectID, functionID)
	return toVariable(updated), nil
}

// DeleteVariable removes a variable.
func (p *Platform) DeleteVariable(ctx context.Context, projectID, functionID, id string) error {
	err := p.db.DeleteVariable(ctx, projectID, resourceFunction, functionID, id)
	if errors.Is(err, db.ErrNotFound) {
		return &NotFoundError{Kind: "variable", ID: id}
	}
	if err == nil {
		p.functionChanged(projectID, functionID)
	}
	return err
}

// ListVariables lists a function's variables.
func (p *Platform) ListVariables(ctx context.Context, projectID, functionID string) ([]Variable, error) {
	if _, err := p.GetFunction(ctx, projectID, functionID); err != nil {
		return nil, err
	}
	vs, err := p.db.ListVariables(ctx, projectID, resourceFunction, functionID)
	if err != nil {
		return nil, err
	}
	out := make([]Variable, len(vs))
	for i, v := range vs {
		out[i] = toVariable(v)
	}
	return out, nil
}

// FunctionEnv returns a function's variables with secrets decrypted, for
// giving to its deployment at run time. Never send it to a client.
func (p *Platform) FunctionEnv(ctx context.Context, projectID, functionID string) (map[string]string, error) {
	vs, err := p.db.ListVariables(ctx, projectID, resourceFunction, functionID)
	if err != nil {
		return nil, err
	}
	env := make(map[string]string, len(vs))
	for _, v := range vs {
		plain, err := p.plainValue(v)
		if err != nil {
			return nil, err
		}
		env[v.Key] = plain
	}
	return env, nil
}

func (p *Platform) plainValue(v db.Variable) (string, error) {
	if !v.Secret {
		return string(v.Value), nil
	}
	b, err := p.sealer.open(v.Value, []byte(v.ProjectID+"/"+v.ID))
	if err != nil {
		return "", errors.New("decrypting secret variable: the secret key does not match the one it was stored with")
	}
	return string(b), nil
}
