// Package db owns Kiln's Postgres schema and queries: a pgx pool, versioned
// SQL migrations embedded in the binary and applied under an advisory lock,
// and one file of queries per stored concept.
package db
