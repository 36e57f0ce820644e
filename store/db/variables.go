package db

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Variable is an environment variable of a resource (a function). Value
// holds the stored bytes: plaintext, or ciphertext for secrets (the domain
// layer encrypts).
type Variable struct {
	ProjectID    string
	ID           string
	ResourceType string
	ResourceID   string
	Key          string
	Value        []byte
	Secret       bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

const variableColumns = `project_id, id, resource_type, resource_id, key, value, secret, created_at, updated_at`

func scanVariable(row pgx.Row) (Variable, error) {
	var v Variable
	err := row.Scan(&v.ProjectID, &v.ID, &v.ResourceType, &v.ResourceID, &v.Key, &v.Value, &v.Secret, &v.CreatedAt, &v.UpdatedAt)
	return v, err
}

// CreateVariable stores v; ErrConflict if the id or the key is taken.
func (db *DB) CreateVariable(ctx context.Context, v Variable) (Variable, error) {
	row := db.Pool.QueryRow(ctx, `INSERT INTO variables (project_id, id, resource_type, resource_id, key, value, secret)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING `+variableColumns,
		v.ProjectID, v.ID, v.ResourceType, v.ResourceID, v.Key, v.Value, v.Secret)
	created, err := scanVariable(row)
	if isUniqueViolation(err) {
		return Variable{}, fmt.Errorf("creating variable %s: %w", v.Key, ErrConflict)
	}
	if err != nil {
		return Variable{}, fmt.Errorf("creating variable %s: %w", v.Key, err)
	}
	return created, nil
}

// GetVariable returns a variable of a resource.
func (db *DB) GetVariable(ctx context.Context, projectID, resourceType, resourceID, id string) (Variable, error) {
	v, err := scanVariable(db.Pool.QueryRow(ctx, `SELECT `+variableColumns+` FROM variables
		WHERE project_id = $1 AND resource_type = $2 AND resource_id = $3 AND id = $4`, projectID, resourceType, resourceID, id))
	if err != nil {
		return Variable{}, fmt.Errorf("reading variable %s: %w", id, notFound(err))
	}
	return v, nil
}

// UpdateVariable replaces key, value and secret of a variable.
func (db *DB) UpdateVariable(ctx context.Context, v Variable) (Variable, error) {
	row := db.Pool.QueryRow(ctx, `UPDATE variables SET key = $5, value = $6, secret = $7, updated_at = now()
		WHERE project_id = $1 AND resource_type = $2 AND resource_id = $3 AND id = $4 RETURNING `+variableColumns,
		v.ProjectID, v.ResourceType, v.ResourceID, v.ID, v.Key, v.Value, v.Secret)
	updated, err := scanVariable(row)
	if isUniqueViolation(err) {
		return Variable{}, fmt.Errorf("updating variable %s: %w", v.ID, ErrConflict)
	}
	if err != nil {
		return Variable{}, fmt.Errorf("updating variable %s: %w", v.ID, notFound(err))
	}
	return updated, nil
}

// DeleteVariable removes a variable.
func (db *DB) DeleteVariable(ctx context.Context, projectID, resourceType, resourceID, id string) error {
	tag, err := db.Pool.Exec(ctx, `DELETE FROM variables WHERE project_id = $1 AND resource_type = $2 AND resource_id = $3 AND id = $4`,
		projectID, resourceType, resourceID, id)
	if err != nil {
		return fmt.Errorf("deleting variable %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("deleting variable %s: %w", id, ErrNotFound)
	}
	return nil
}

// ListVariables lists the variables of a resource, by key.
func (db *DB) ListVariables(ctx context.Context, projectID, resourceType, resourceID string) ([]Variable, error) {
	rows, err := db.Pool.Query(ctx, `SELECT `+variableColumns+` FROM variables
		WHERE project_id = $1 AND resource_type = $2 AND resource_id = $3 ORDER BY key`, projectID, resourceType, resourceID)
	if err != nil {
		return nil, fmt.Errorf("listing variables: %w", err)
	}
	defer rows.Close()
	var out []Variable
	for rows.Next() {
		v, err := scanVariable(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
