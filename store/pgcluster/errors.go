package pgcluster

import "errors"

// ErrBinariesNotFound means initdb/postgres/pg_ctl could not be found.
var ErrBinariesNotFound = errors.New("PostgreSQL server binaries (initdb, postgres, pg_ctl) not found: " +
	"install them (Debian/Ubuntu: apt-get install postgresql) or point Kiln at an existing server " +
	"with --database-url / KILN_DATABASE_URL")

// ErrInUse means another live postmaster that Kiln cannot stop owns the directory.
var ErrInUse = errors.New("postgres data directory is in use by another server")
