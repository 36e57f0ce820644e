package pgcluster

import "errors"

// ErrBinariesNotFound means the PostgreSQL server programs (initdb, postgres)
// could not be found.
var ErrBinariesNotFound = errors.New("PostgreSQL server binaries (initdb, postgres) not found: " +
	"install them (Debian/Ubuntu: apt-get install postgresql) or point Kiln at an existing server " +
	"with --database-url / KILN_DATABASE_URL")

// ErrInUse means a live postmaster that Kiln did not leave behind owns the
// data directory: another process started it and is still running.
var ErrInUse = errors.New("postgres data directory is in use by another server")

// ErrIncompatibleVersion means the data directory was created by another
// PostgreSQL major version than the binaries found.
var ErrIncompatibleVersion = errors.New("postgres data directory was created by another PostgreSQL major version")

// ErrNotDataDir means Dir exists, is not empty and holds no PostgreSQL cluster.
var ErrNotDataDir = errors.New("directory is not a PostgreSQL data directory")
