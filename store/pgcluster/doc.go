// Package pgcluster runs a private PostgreSQL cluster from the machine's
// server binaries, so `kiln serve` needs no database set up by hand.
//
// The cluster lives in one directory: initdb runs on first start (trust
// authentication on the unix socket only), postgres listens only on a unix
// socket inside that directory, or in a short directory under the system
// temp dir when the path is too long for a socket, and opens no TCP port.
// The server's output goes to <Dir>/postgres.log.
//
// Crash recovery needs no manual cleanup. The server is told to shut down
// if the process that started it dies (Pdeathsig); a server that is still
// running anyway is stopped on the next Start if the process recorded in
// <Dir>/kiln-owner.pid is gone, and left alone (ErrInUse) if that process
// still runs it. A postmaster.pid naming a dead or recycled pid does not
// block a start.
//
// PostgreSQL refuses to run as root, so under root the server runs as the
// "postgres" account, or "nobody", and Dir is handed to that account.
package pgcluster
