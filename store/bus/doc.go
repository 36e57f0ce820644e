// Package bus runs the NATS server embedded in every Kiln node, with
// JetStream on disk, and creates the streams Kiln's workers consume: build
// jobs, events and execution records.
//
// By default the server opens no port: code in the same process talks to it
// over an in-process connection. Nodes form a cluster through routes
// (Config.ClusterPort and Config.Routes); a clustered server also opens a
// client port, on loopback unless configured, because nats-server only
// routes once it has one. Streams are replicated across the cluster.
package bus
