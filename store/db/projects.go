package db

import (
	"context"
	"fmt"
	"time"
)

// Project is a tenant.
type Project struct {
	ID        string
	Name      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// EnsureProject creates the project if it does not exist and returns it.
func (db *DB) EnsureProject(ctx context.Context, id, name string) (Project, error) {
	_, err := db.Pool.Exec(ctx, `INSERT INTO projects (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, id, name)
	if err != nil {
		return Project{}, fmt.Errorf("creating project %s: %w", id, err)
	}
	return db.GetProject(ctx, id)
}

// GetProject returns the project or ErrNotFound.
func (db *DB) GetProject(ctx context.Context, id string) (Project, error) {
	var p Project
	err := db.Pool.QueryRow(ctx, `SELECT id, name, created_at, updated_at FROM projects WHERE id = $1`, id).
		Scan(&p.ID, &p.Name, &p.CreatedAt, &p.UpdatedAt)
	if err != nil {
		return Project{}, fmt.Errorf("reading project %s: %w", id, notFound(err))
	}
	return p, nil
}
