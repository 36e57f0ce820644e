// Package store is Kiln's persistence layer: the Postgres database (pool,
// migrations, queries) in store/db, the managed local Postgres cluster in
// store/pgcluster, object storage devices in store/objects and the embedded
// NATS server with its JetStream streams in store/bus.
//
// Nothing here imports the rest of Kiln; the domain layer (platform) builds on it.
package store
