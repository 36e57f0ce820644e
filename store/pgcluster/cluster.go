package pgcluster

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// maxSocketPath is the longest unix socket path Linux accepts (sun_path less the NUL).
const maxSocketPath = 107

// socketPort only names the socket file (.s.PGSQL.<port>); no TCP port is opened.
const socketPort = 5432

// User and Database are the role and database Kiln uses in a managed cluster.
const (
	User     = "kiln"
	Database = "kiln"
)

// Cluster is a private PostgreSQL cluster in one directory. Use a Cluster
// from one goroutine at a time for Start and Stop; DSN and Version may be
// read concurrently once Start has returned.
type Cluster struct {
	// Dir holds the cluster (PG_VERSION, postmaster.pid, postgres.log …). Required.
	Dir string
	// BinDir holds initdb and postgres. Default: for an existing cluster
	// /usr/lib/postgresql/<its major version>/bin if present, then the
	// directory of postgres on PATH, then /usr/lib/postgresql/<highest version>/bin.
	BinDir string
	// Settings are extra server settings (postgresql.conf names), e.g.
	// {"fsync": "off"} for throwaway test clusters. Default: none.
	Settings map[string]string
	// StartTimeout bounds how long Start waits for the server. Default 60s.
	StartTimeout time.Duration
	// Logger receives lifecycle messages, and on a failed start one line with
	// the tail of postgres.log. Default: discard.
	Logger *slog.Logger

	mu        sync.Mutex
	proc      *os.Process
	exited    chan struct{}
	socketDir string
	version   string
	logFile   *os.File
}

// DSN returns the pgx connection string for the kiln database. Valid after Start.
func (c *Cluster) DSN() string {
	return fmt.Sprintf("host=%s port=%d user=%s dbname=%s sslmode=disable", quoteDSN(c.socketDir), socketPort, User, Database)
}

// Version returns the server version, e.g. "15.18". Valid after Start.
func (c *Cluster) Version() string { return c.version }

// quoteDSN quotes a keyword/value connection string value, so a socket
// directory with spaces or quotes survives.
func quoteDSN(v string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}

func (c *Cluster) logger() *slog.Logger {
	if c.Logger == nil {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return c.Logger
}

// Start initialises the cluster on first use (trust authentication on the
// unix socket only, UTF8, role and database "kiln"), stops a server left
// running by a process that died, starts postgres listening on a unix socket
// only and waits until the kiln database accepts connections.
//
// When the process runs as root, the server runs as the "postgres" account
// (or "nobody"), because PostgreSQL refuses to run as root; Dir is handed to
// that account and its ancestors get the search (o+x) bit if they lack it.
func (c *Cluster) Start(ctx context.Context) (err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.proc != nil {
		return errors.New("cluster already started")
	}
	if c.Dir == "" {
		return errors.New("cluster dir is required")
	}
	dir, err := filepath.Abs(c.Dir)
	if err != nil {
		return fmt.Errorf("resolving cluster dir: %w", err)
	}
	c.Dir = dir
	defer func() {
		if err != nil {
			c.logger().Error("postgres did not start", "dir", c.Dir, "err", err)
		}
	}()
	existing := dataVersion(c.Dir)
	bins, err := findBinaries(c.BinDir, existing)
	if err != nil {
		return err
	}
	if existing != "" && bins.version != "" && major(bins.version) != existing {
		return fmt.Errorf("%s holds a PostgreSQL %s cluster but %s is version %s (install PostgreSQL %s or set the binary dir): %w",
			c.Dir, existing, bins.postgres, bins.version, existing, ErrIncompatibleVersion)
	}
	c.version = bins.version
	su, err := pickServerUser()
	if err != nil {
		return err
	}
	if err := c.initIfNeeded(ctx, bins, su); err != nil {
		return err
	}
	if err := c.clearLeftovers(ctx); err != nil {
		return err
	}
	if err := c.prepareSocketDir(su); err != nil {
		return err
	}
	if err := writeOwner(c.Dir); err != nil {
		return err
	}
	if err := su.own(c.Dir, c.logger()); err != nil {
		return err
	}
	timeout := c.StartTimeout
	if timeout == 0 {
		timeout = 60 * time.Second
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// Backends of a postmaster that was killed outright hold its shared
	// memory for a moment and postgres refuses to start until they exit.
	for {
		if err := c.launch(bins, su); err != nil {
			return err
		}
		err := c.waitReady(wctx)
		if err == nil {
			break
		}
		c.stopLocked()
		if !strings.Contains(err.Error(), "pre-existing shared memory block") || wctx.Err() != nil {
			return err
		}
		c.logger().Info("waiting for backends of an earlier server to exit", "dir", c.Dir)
		select {
		case <-wctx.Done():
			return err
		case <-time.After(200 * time.Millisecond):
		}
	}
	c.logger().Info("postgres started", "dir", c.Dir, "version", c.version, "socket", c.socketDir)
	return nil
}

// prepareSocketDir picks <Dir>/run, or a short directory under the system
// temp dir keyed by a hash of Dir when that path would be too long for a socket.
func (c *Cluster) prepareSocketDir(su serverUser) error {
	dir := filepath.Join(c.Dir, "run")
	if len(dir)+len("/.s.PGSQL."+strconv.Itoa(socketPort)) > maxSocketPath {
		sum := sha256.Sum256([]byte(c.Dir))
		dir = filepath.Join(os.TempDir(), "kiln-pg-"+hex.EncodeToString(sum[:6]))
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating socket dir: %w", err)
	}
	if su.switched {
		if err := os.Chown(dir, int(su.uid), int(su.gid)); err != nil {
			return fmt.Errorf("handing socket dir to %s: %w", su.name, err)
		}
	}
	c.socketDir = dir
	return nil
}

// launch starts postgres. The process is started, and waited for, on a
// goroutine locked to its OS thread: Pdeathsig fires when the creating
// thread exits, not the process, and the Go runtime may retire an unlocked
// thread at any time, which would stop the server under a running Kiln.
func (c *Cluster) launch(bins binaries, su serverUser) error {
	args := []string{"-D", c.Dir, "-k", c.socketDir, "-p", strconv.Itoa(socketPort),
		"-c", "listen_addresses=", "-c", "unix_socket_permissions=0700"}
	for k, v := range c.Settings {
		args = append(args, "-c", k+"="+v)
	}
	logFile, err := openLog(c.Dir)
	if err != nil {
		return err
	}
	cmd := exec.Command(bins.postgres, args...)
	cmd.Dir = c.Dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = su.sysProcAttr()
	// If Kiln dies without stopping the server, the kernel asks it for a fast
	// shutdown; clearLeftovers covers the cases this misses.
	cmd.SysProcAttr.Pdeathsig = syscall.SIGINT
	started := make(chan error, 1)
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		_ = cmd.Wait()
	}()
	if err := <-started; err != nil {
		logFile.Close()
		return fmt.Errorf("starting postgres: %w", err)
	}
	c.proc, c.logFile, c.exited = cmd.Process, logFile, exited
	return nil
}

func (c *Cluster) waitReady(ctx context.Context) error {
	dsn := fmt.Sprintf("host=%s port=%d user=%s dbname=postgres sslmode=disable connect_timeout=2", quoteDSN(c.socketDir), socketPort, User)
	for {
		conn, err := pgx.Connect(ctx, dsn)
		if err == nil {
			err = ensureDatabase(ctx, conn)
			conn.Close(context.Background())
			return err
		}
		select {
		case <-c.exited:
			tail := logTail(c.Dir)
			if strings.Contains(tail, `lock file "postmaster.pid" already exists`) {
				return fmt.Errorf("postgres refused to start: %s: %w", tail, ErrInUse)
			}
			return fmt.Errorf("postgres exited during start: %s", tail)
		case <-ctx.Done():
			return fmt.Errorf("waiting for postgres: %w (log: %s)", ctx.Err(), logTail(c.Dir))
		case <-time.After(25 * time.Millisecond):
		}
	}
}

func ensureDatabase(ctx context.Context, conn *pgx.Conn) error {
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", Database).Scan(&exists); err != nil {
		return fmt.Errorf("checking for database %s: %w", Database, err)
	}
	if exists {
		return nil
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+Database); err != nil {
		return fmt.Errorf("creating database %s: %w", Database, err)
	}
	return nil
}

// Stop asks the server for a fast shutdown (SIGINT: open sessions are
// ended, committed data is kept) and waits for it to exit. Idempotent.
func (c *Cluster) Stop() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stopLocked()
}

func (c *Cluster) stopLocked() error {
	if c.proc == nil {
		return nil
	}
	defer func() {
		c.proc = nil
		c.logFile.Close()
		if !strings.HasPrefix(c.socketDir, c.Dir+string(filepath.Separator)) {
			_ = os.RemoveAll(c.socketDir)
		}
	}()
	_ = c.proc.Signal(syscall.SIGINT)
	select {
	case <-c.exited:
	case <-time.After(30 * time.Second):
		_ = c.proc.Signal(syscall.SIGQUIT) // immediate shutdown; recovery runs on next start
		select {
		case <-c.exited:
		case <-time.After(10 * time.Second):
			_ = c.proc.Kill()
			<-c.exited
			return errors.New("postgres did not stop; killed")
		}
	}
	c.logger().Info("postgres stopped", "dir", c.Dir)
	return nil
}
