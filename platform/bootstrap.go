package platform

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kilnhq/kiln/store/db"
)

// DefaultProjectID is the project every new install starts with.
const DefaultProjectID = "default"

// AdminKeyFile is the name of the admin key file inside the data dir.
const AdminKeyFile = "admin.key"

// AdminKeyID is the id of the admin key in the default project.
const AdminKeyID = "admin"

// Bootstrap makes sure the default project and its admin key exist. On the
// first run it mints the key and writes the secret to <dataDir>/admin.key
// (mode 0600); later runs check the file against the database. A file that
// cannot be parsed, or whose key is unknown, is an error: Kiln never mints a
// second key silently. Deleting the file mints a new key on the next start
// and revokes the old one.
//
// The file appears only once its key is stored: the secret is written to
// admin.key.new, the key row is stored, then the file is renamed into place.
// A crash in between is finished on the next start.
func Bootstrap(ctx context.Context, store *db.DB, dataDir string) (secret string, created bool, err error) {
	if _, err := store.EnsureProject(ctx, DefaultProjectID, "Default"); err != nil {
		return "", false, err
	}
	path := filepath.Join(dataDir, AdminKeyFile)
	pending := path + ".new"

	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		secret, err := checkAdminSecret(ctx, store, string(b))
		if err != nil {
			return "", false, fmt.Errorf("%s: %w (delete the file to mint a new admin key; the old one is then revoked)", path, err)
		}
		_ = os.Remove(pending)
		return secret, false, nil
	case !errors.Is(err, os.ErrNotExist):
		return "", false, fmt.Errorf("reading %s: %w", path, err)
	}

	if b, err := os.ReadFile(pending); err == nil {
		if secret, err := checkAdminSecret(ctx, store, string(b)); err == nil {
			if err := os.Rename(pending, path); err != nil {
				return "", false, fmt.Errorf("finishing admin key: %w", err)
			}
			return secret, true, nil
		}
	}

	secret = NewSecret()
	if err := writeSecret(pending, secret); err != nil {
		return "", false, err
	}
	_, err = store.PutKey(ctx, db.Key{
		ID: AdminKeyID, ProjectID: DefaultProjectID, Name: "Admin",
		SecretHash: HashSecret(secret), Scopes: Scopes,
	})
	if err != nil {
		_ = os.Remove(pending)
		return "", false, fmt.Errorf("storing admin key: %w", err)
	}
	if err := os.Rename(pending, path); err != nil {
		return "", false, fmt.Errorf("writing %s: %w", path, err)
	}
	return secret, true, nil
}

func checkAdminSecret(ctx context.Context, store *db.DB, raw string) (string, error) {
	secret, err := ParseSecret(raw)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrAdminKeyCorrupt, err)
	}
	k, err := store.KeyBySecretHash(ctx, HashSecret(secret))
	if errors.Is(err, db.ErrNotFound) {
		return "", fmt.Errorf("%w: the key is not in the database", ErrAdminKeyCorrupt)
	}
	if err != nil {
		return "", err
	}
	if k.ProjectID != DefaultProjectID || k.ID != AdminKeyID {
		return "", fmt.Errorf("%w: the key is not the admin key", ErrAdminKeyCorrupt)
	}
	return secret, nil
}

func writeSecret(path, secret string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if _, err := f.WriteString(secret + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Close()
}
