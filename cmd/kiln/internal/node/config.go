package node

import (
	"time"

	"github.com/kilnhq/kiln/runtime/egress"
	"github.com/kilnhq/kiln/store/objects"
)

// Config configures a node. Every zero value is the documented default.
type Config struct {
	// DataDir holds everything the node keeps. Default "./kiln_data".
	DataDir string
	// Addr is the HTTP listen address. Default "127.0.0.1:8080"; port 0 picks a free port.
	Addr string
	// DatabaseURL points at an existing Postgres. Default: a managed cluster in <DataDir>/pg.
	DatabaseURL string
	// PostgresBinDir holds initdb and postgres for the managed cluster.
	// Default: PATH, then /usr/lib/postgresql/<version>/bin.
	PostgresBinDir string
	// S3 selects an S3-compatible object store. Default (empty Endpoint): the
	// folder <DataDir>/objects. With an Endpoint, an empty Bucket is "kiln",
	// an empty Region "us-east-1", and PathStyle false picks the addressing
	// from the endpoint (path style for MinIO and other non-AWS stores).
	S3 objects.S3Config
	// NATSPort opens a NATS client port: 0 none (in-process only, default), -1 a free port.
	NATSPort int
	// NATSClusterName, NATSClusterPort and NATSRoutes join a NATS cluster. Default: none.
	NATSClusterName string
	NATSClusterPort int
	NATSRoutes      []string
	// FunctionsDomain is the domain functions are served under by host. Default "fn.localhost".
	FunctionsDomain string
	// BodyLimit caps request bodies in bytes. Default 30 MiB.
	BodyLimit int
	// ShutdownTimeout bounds the drain of in-flight requests. Default 10s.
	ShutdownTimeout time.Duration
	// Egress is the policy for functions' outbound HTTP (fetch). Default:
	// any host with a public address; loopback, private, link-local and
	// cloud-metadata addresses refused.
	Egress egress.Policy
}

func (c Config) withDefaults() Config {
	if c.DataDir == "" {
		c.DataDir = "./kiln_data"
	}
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8080"
	}
	if c.S3.Endpoint != "" && c.S3.Bucket == "" {
		c.S3.Bucket = "kiln"
	}
	if c.FunctionsDomain == "" {
		c.FunctionsDomain = "fn.localhost"
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = 10 * time.Second
	}
	return c
}
