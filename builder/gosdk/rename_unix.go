//go:build unix

package gosdk

import (
	"errors"
	"syscall"
)

// isNotEmpty reports rename's error for a target directory that exists.
func isNotEmpty(err error) bool {
	return errors.Is(err, syscall.ENOTEMPTY) || errors.Is(err, syscall.EEXIST)
}
