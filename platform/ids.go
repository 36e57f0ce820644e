package platform

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"
)

// UniqueID is the placeholder a client sends to have the server pick an id
// (Appwrite's ID.unique()).
const UniqueID = "unique()"

// NewID returns a 20-character id: 8 hex digits of time then 12 random,
// so ids sort roughly by creation like Appwrite's.
func NewID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%08x%s", uint32(time.Now().Unix()), hex.EncodeToString(b[:]))
}

// CheckID validates a client-chosen id with Appwrite's rules: 1–36
// characters of a-z, A-Z, 0-9, period, hyphen and underscore, not starting
// with a special character. "unique()" is replaced by a new id.
func CheckID(id string) (string, error) {
	if id == UniqueID {
		return NewID(), nil
	}
	if id == "" || len(id) > 36 {
		return "", invalid("id must be 1 to 36 characters")
	}
	for i, r := range id {
		alnum := (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')
		if !alnum && (i == 0 || (r != '.' && r != '-' && r != '_')) {
			return "", invalid("id may contain a-z, A-Z, 0-9, period, hyphen and underscore, and cannot start with a special character")
		}
	}
	return id, nil
}
