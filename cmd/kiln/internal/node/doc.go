// Package node composes one Kiln node: it locks the data directory, starts
// (or connects to) Postgres, migrates the schema, starts embedded NATS,
// opens object storage, bootstraps the default project and serves the
// gateway — and stops them in reverse order. If any part fails to start, the
// parts already started are stopped and Start returns the reason.
package node
