package platform

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// User JWTs let an app's backend, holding an API key with users.write,
// vouch for one of its end users (Appwrite's POST /v1/users/{id}/jwts).
// The user then calls functions with the X-Appwrite-JWT header: execute
// roles "users" and "user:<id>" apply to them and the function receives
// their id in x-appwrite-user-id. Kiln keeps no user accounts yet, so any
// user id the backend names is accepted. Tokens are HS256 with a key
// derived from the node's secret key, so every node of a cluster verifies
// them.
const (
	// DefaultJWTDuration is a token's lifetime when none is asked for.
	DefaultJWTDuration = 15 * time.Minute
	// MaxJWTDuration caps a token's lifetime.
	MaxJWTDuration = time.Hour
)

// ErrJWTInvalid means a user JWT is malformed, forged, expired or for
// another project.
var ErrJWTInvalid = errors.New("invalid or expired JWT")

var userIDPattern = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._-]{0,35}$`)

type userClaims struct {
	UserID    string `json:"userId"`
	ProjectID string `json:"projectId"`
	SessionID string `json:"sessionId,omitempty"`
	jwt.RegisteredClaims
}

func deriveJWTKey(secretKey []byte) []byte {
	m := hmac.New(sha256.New, secretKey)
	m.Write([]byte("kiln user jwt v1"))
	return m.Sum(nil)
}

// CreateUserJWT returns a token for userID of the project, valid for d
// (0: DefaultJWTDuration; at most MaxJWTDuration).
func (p *Platform) CreateUserJWT(projectID, userID, sessionID string, d time.Duration) (string, time.Time, error) {
	if !userIDPattern.MatchString(userID) {
		return "", time.Time{}, invalid("Invalid `userId` param: up to 36 characters a-z, A-Z, 0-9, period, hyphen and underscore, not starting with a special character")
	}
	switch {
	case d == 0:
		d = DefaultJWTDuration
	case d < 0 || d > MaxJWTDuration:
		return "", time.Time{}, invalid("Invalid `duration` param: between 1 and %d seconds", int(MaxJWTDuration.Seconds()))
	}
	now := time.Now()
	exp := now.Add(d)
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, userClaims{UserID: userID, ProjectID: projectID, SessionID: sessionID,
		RegisteredClaims: jwt.RegisteredClaims{IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(exp)}})
	s, err := tok.SignedString(p.jwtKey)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("signing JWT: %w", err)
	}
	return s, exp, nil
}

// UserFromJWT returns the user a token of the project vouches for.
func (p *Platform) UserFromJWT(projectID, token string) (string, error) {
	var c userClaims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return p.jwtKey, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), jwt.WithExpirationRequired(), jwt.WithLeeway(5*time.Second))
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrJWTInvalid, err)
	}
	if c.ProjectID != projectID || !userIDPattern.MatchString(c.UserID) {
		return "", fmt.Errorf("%w: issued for another project", ErrJWTInvalid)
	}
	return c.UserID, nil
}
