package platform

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// KeyPrefix starts every Kiln API key secret: "kiln_" then 64 hex characters.
const KeyPrefix = "kiln_"

// NewSecret returns a fresh random API key secret.
func NewSecret() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("reading random bytes: %v", err))
	}
	return KeyPrefix + hex.EncodeToString(b[:])
}

// ParseSecret checks the form of a key secret.
func ParseSecret(s string) (string, error) {
	s = strings.TrimSpace(s)
	hexPart, ok := strings.CutPrefix(s, KeyPrefix)
	if !ok || len(hexPart) != 64 {
		return "", fmt.Errorf("key must be %q followed by 64 hex characters", KeyPrefix)
	}
	if _, err := hex.DecodeString(hexPart); err != nil {
		return "", fmt.Errorf("key must be %q followed by 64 hex characters", KeyPrefix)
	}
	return s, nil
}

// HashSecret is how secrets are stored: sha256 of the whole secret.
func HashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}
