package platform

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// SecretKeyFile holds the key that encrypts secret variables, in the data dir.
const SecretKeyFile = "secret.key"

// LoadSecretKey reads <dataDir>/secret.key, creating it (mode 0600) with a
// random 32-byte key on first run. A damaged file is an error: secrets
// stored with the old key could no longer be read.
func LoadSecretKey(dataDir string) ([]byte, error) {
	path := filepath.Join(dataDir, SecretKeyFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		tmp := path + ".new"
		if err := writeSecret(tmp, hex.EncodeToString(key)); err != nil {
			return nil, err
		}
		if err := os.Rename(tmp, path); err != nil {
			return nil, fmt.Errorf("writing %s: %w", path, err)
		}
		return key, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("%s is damaged (want 64 hex characters): restore it from a backup; secret variables cannot be read without it", path)
	}
	return key, nil
}
