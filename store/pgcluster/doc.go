// Package pgcluster runs a private PostgreSQL cluster from the machine's
// server binaries, so `kiln serve` needs no database set up by hand.
//
// The cluster lives in one directory: initdb runs on first start, postgres
// listens only on a unix socket inside that directory (no TCP port), and the
// server is stopped on shutdown. A cluster left running by a process that
// died (kill -9) is detected through postmaster.pid and stopped before a
// clean start, so recovery needs no manual cleanup.
package pgcluster
