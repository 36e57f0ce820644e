package db

import "errors"

// ErrNotFound means the row asked for does not exist (in that project).
var ErrNotFound = errors.New("not found")

// ErrConflict means a row with the same identity already exists.
var ErrConflict = errors.New("already exists")

// ErrInvalidQuery means list options cannot be applied.
var ErrInvalidQuery = errors.New("invalid query")

// ErrNotReady means a deployment is not ready to serve.
var ErrNotReady = errors.New("deployment not ready")

// ErrSchemaTooNew means the database was migrated by a newer Kiln than this one.
var ErrSchemaTooNew = errors.New("database schema is newer than this Kiln")
