package db

import (
	"context"
	"fmt"
	"time"
)

// Key is a project API key. The secret itself is never stored.
type Key struct {
	ID         string
	ProjectID  string
	Name       string
	SecretHash []byte // sha256 of the secret
	Scopes     []string
	Expire     *time.Time
	CreatedAt  time.Time
	AccessedAt *time.Time
}

const keyColumns = `id, project_id, name, secret_hash, scopes, expire, created_at, accessed_at`

func scanKey(row interface{ Scan(...any) error }) (Key, error) {
	var k Key
	err := row.Scan(&k.ID, &k.ProjectID, &k.Name, &k.SecretHash, &k.Scopes, &k.Expire, &k.CreatedAt, &k.AccessedAt)
	return k, err
}

// CreateKey stores k; ErrConflict if its id or secret hash exists.
func (db *DB) CreateKey(ctx context.Context, k Key) (Key, error) {
	if k.Scopes == nil {
		k.Scopes = []string{}
	}
	row := db.Pool.QueryRow(ctx, `INSERT INTO api_keys (id, project_id, name, secret_hash, scopes, expire)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING `+keyColumns, k.ID, k.ProjectID, k.Name, k.SecretHash, k.Scopes, k.Expire)
	created, err := scanKey(row)
	if isUniqueViolation(err) {
		return Key{}, fmt.Errorf("creating key %s: %w", k.ID, ErrConflict)
	}
	if err != nil {
		return Key{}, fmt.Errorf("creating key %s: %w", k.ID, err)
	}
	return created, nil
}

// KeyBySecretHash finds the key whose secret hashes to hash.
func (db *DB) KeyBySecretHash(ctx context.Context, hash []byte) (Key, error) {
	k, err := scanKey(db.Pool.QueryRow(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE secret_hash = $1`, hash))
	if err != nil {
		return Key{}, fmt.Errorf("looking up key: %w", notFound(err))
	}
	return k, nil
}

// GetKey returns a key of a project.
func (db *DB) GetKey(ctx context.Context, projectID, id string) (Key, error) {
	k, err := scanKey(db.Pool.QueryRow(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE project_id = $1 AND id = $2`, projectID, id))
	if err != nil {
		return Key{}, fmt.Errorf("reading key %s: %w", id, notFound(err))
	}
	return k, nil
}

// PutKey creates k, or replaces the secret, name and scopes of the key with
// the same id in the same project (used to rotate the admin key).
func (db *DB) PutKey(ctx context.Context, k Key) (Key, error) {
	if k.Scopes == nil {
		k.Scopes = []string{}
	}
	row := db.Pool.QueryRow(ctx, `INSERT INTO api_keys (id, project_id, name, secret_hash, scopes, expire)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, secret_hash = EXCLUDED.secret_hash,
			scopes = EXCLUDED.scopes, expire = EXCLUDED.expire
		WHERE api_keys.project_id = EXCLUDED.project_id
		RETURNING `+keyColumns, k.ID, k.ProjectID, k.Name, k.SecretHash, k.Scopes, k.Expire)
	put, err := scanKey(row)
	if isUniqueViolation(err) {
		return Key{}, fmt.Errorf("putting key %s: %w", k.ID, ErrConflict)
	}
	if err != nil {
		return Key{}, fmt.Errorf("putting key %s: %w", k.ID, notFound(err))
	}
	return put, nil
}
