// Package bus runs the NATS server embedded in every Kiln node, with
// JetStream on disk, and creates the streams Kiln's workers consume: build
// jobs, events and execution records.
//
// By default the server opens no client port: code in the same process talks
// to it over an in-process connection. A client port and cluster routes are
// opened only when configured, which is how nodes join one cluster.
package bus
