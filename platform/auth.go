package platform

import (
	"context"
	"errors"
	"time"

	"github.com/kilnhq/kiln/store/db"
)

// Principal is who a request acts as.
type Principal struct {
	ProjectID string
	KeyID     string // "" for guests
	UserID    string // the end user of a session; "" for keys and guests
	Scopes    map[string]bool
}

// Can reports whether the principal holds scope.
func (p Principal) Can(scope string) bool { return p.Scopes[scope] }

// Auth errors, each mapped to Appwrite's type by the gateway.
var (
	ErrProjectNotFound = errors.New("project not found")
	ErrKeyInvalid      = errors.New("invalid API key")
	ErrKeyExpired      = errors.New("API key expired")
)

// Authenticate resolves a project id and an API key secret ("" for none) to
// a principal. A key of another project is invalid for this one.
func (p *Platform) Authenticate(ctx context.Context, projectID, secret string) (Principal, error) {
	if projectID == "" {
		return Principal{}, ErrProjectNotFound
	}
	if err := p.projectExists(ctx, projectID); err != nil {
		return Principal{}, err
	}
	pr := Principal{ProjectID: projectID, Scopes: map[string]bool{}}
	if secret == "" {
		return pr, nil
	}
	if _, err := ParseSecret(secret); err != nil {
		return Principal{}, ErrKeyInvalid
	}
	k, err := p.db.KeyBySecretHash(ctx, HashSecret(secret))
	if errors.Is(err, db.ErrNotFound) || (err == nil && k.ProjectID != projectID) {
		return Principal{}, ErrKeyInvalid
	}
	if err != nil {
		return Principal{}, err
	}
	if k.Expire != nil && k.Expire.Before(time.Now()) {
		return Principal{}, ErrKeyExpired
	}
	pr.KeyID = k.ID
	for _, s := range k.Scopes {
		pr.Scopes[s] = true
	}
	return pr, nil
}
