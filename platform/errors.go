package platform

import (
	"errors"
	"fmt"
)

// ErrAdminKeyCorrupt means <data>/admin.key cannot be used.
var ErrAdminKeyCorrupt = errors.New("admin key file is corrupt or does not match the database")

// ErrNotFound means the resource does not exist in the project.
var ErrNotFound = errors.New("not found")

// ErrConflict means a resource with the same id (or key) exists.
var ErrConflict = errors.New("already exists")

// InvalidError is bad input from a client; its message says what to fix.
type InvalidError struct{ Msg string }

func (e *InvalidError) Error() string { return e.Msg }

func invalid(format string, args ...any) error {
	return &InvalidError{Msg: fmt.Sprintf(format, args...)}
}

// NotFoundError names the kind of resource that was not found.
type NotFoundError struct {
	Kind string // "function", "deployment", "execution", "variable", "project"
	ID   string
}

func (e *NotFoundError) Error() string { return fmt.Sprintf("%s %s not found", e.Kind, e.ID) }
func (e *NotFoundError) Unwrap() error { return ErrNotFound }

// ConflictError names the kind of resource that already exists.
type ConflictError struct {
	Kind string
	ID   string
}

func (e *ConflictError) Error() string { return fmt.Sprintf("%s %s already exists", e.Kind, e.ID) }
func (e *ConflictError) Unwrap() error { return ErrConflict }

// ErrTooLarge means an upload exceeds its size limit.
var ErrTooLarge = errors.New("upload too large")
