package pgcluster

import (
	"bytes"
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

// Cluster is a private PostgreSQL cluster in one directory.
type Cluster struct {
	// Dir holds the cluster (PG_VERSION, postmaster.pid, postgres.log …). Required.
	Dir string
	// BinDir holds initdb and postgres. Default: the directory of postgres on
	// PATH, then /usr/lib/postgresql/<highest version>/bin.
	BinDir string
	// Settings are extra server settings (postgresql.conf names), e.g.
	// {"fsync": "off"} for throwaway test clusters. Default: none.
	Settings map[string]string
	// StartTimeout bounds how long Start waits for the server. Default 60s.
	StartTimeout time.Duration
	// Logger receives lifecycle messages. Default: discard.
	Logger *slog.Logger

	mu        sync.Mutex
	cmd       *exec.Cmd
	exited    chan struct{}
	socketDir string
	version   string
	logFile   *os.File
}

// DSN returns the connection string for the kiln database. Valid after Start.
func (c *Cluster) DSN() string {
	return fmt.Sprintf("host=%s port=%d user=%s dbname=%s sslmode=disable", c.socketDir, socketPort, User, Database)
}

// Version returns the server version, e.g. "15.18". Valid after Start.
func (c *Cluster) Version() string { return c.version }

func (c *Cluster) logger() *slog.Logger {
	if c.Logger == nil {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return c.Logger
}

// Start initialises the cluster on first use, stops a server left running by
// a process that died, starts postgres and waits until the kiln database
// accepts connections.
func (c *Cluster) Start(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cmd != nil {
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
	bins, err := findBinaries(c.BinDir)
	if err != nil {
		return err
	}
	c.version = bins.version()
	su, err := pickServerUser()
	if err != nil {
		return err
	}
	if err := c.initIfNeeded(ctx, bins, su); err != nil {
		return err
	}
	if err := c.stopOrphan(ctx); err != nil {
		return err
	}
	if err := c.prepareSocketDir(su); err != nil {
		return err
	}
	if err := su.own(c.Dir); err != nil {
		return err
	}
	if err := c.launch(bins, su); err != nil {
		return err
	}
	timeout := c.StartTimeout
	if timeout == 0 {
		timeout = 60 * time.Second
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := c.waitReady(wctx); err != nil {
		c.stopLocked()
		return err
	}
	c.logger().Info("postgres started", "dir", c.Dir, "version", c.version, "socket", c.socketDir)
	return nil
}

// initIfNeeded runs initdb into a sibling directory and renames it into
// place, so a crash during initdb never leaves a half-made cluster at Dir.
func (c *Cluster) initIfNeeded(ctx context.Context, bins binaries, su serverUser) error {
	if _, err := os.Stat(filepath.Join(c.Dir, "PG_VERSION")); err == nil {
		return nil
	}
	if entries, err := os.ReadDir(c.Dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("%s exists but is not a PostgreSQL data directory (no PG_VERSION); move it away", c.Dir)
	}
	if err := os.MkdirAll(filepath.Dir(c.Dir), 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", filepath.Dir(c.Dir), err)
	}
	tmp := c.Dir + ".init"
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("removing leftover %s: %w", tmp, err)
	}
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", tmp, err)
	}
	if err := su.own(tmp); err != nil {
		return err
	}
	c.logger().Info("initialising postgres cluster", "dir", c.Dir)
	cmd := exec.CommandContext(ctx, bins.initdb, "-D", tmp, "-U", User, "--auth=trust",
		"--encoding=UTF8", "--locale=C", "--no-instructions")
	cmd.SysProcAttr = su.sysProcAttr()
	cmd.Dir = tmp
	if out, err := cmd.CombinedOutput(); err != nil {
		_ = os.RemoveAll(tmp)
		return fmt.Errorf("initdb: %w: %s", err, lastLines(out, 10))
	}
	if err := os.RemoveAll(c.Dir); err != nil { // an empty dir left by an earlier attempt
		return fmt.Errorf("replacing %s: %w", c.Dir, err)
	}
	if err := os.Rename(tmp, c.Dir); err != nil {
		return fmt.Errorf("moving new cluster into place: %w", err)
	}
	return nil
}

// stopOrphan stops a postmaster that still runs on this directory after the
// process that started it died without stopping it.
func (c *Cluster) stopOrphan(ctx context.Context) error {
	pid := postmasterPID(c.Dir)
	if pid <= 0 || !isPostgres(pid) {
		return nil // none, or a stale postmaster.pid postgres itself will clear
	}
	c.logger().Warn("stopping postgres left running by an earlier process", "pid", pid)
	_ = syscall.Kill(pid, syscall.SIGINT) // fast shutdown
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if !processAlive(pid) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	_ = syscall.Kill(pid, syscall.SIGQUIT) // immediate shutdown
	time.Sleep(time.Second)
	if processAlive(pid) {
		return fmt.Errorf("postgres pid %d on %s: %w", pid, c.Dir, ErrInUse)
	}
	return nil
}

// prepareSocketDir picks <Dir>/run, or a short directory under the system
// temp dir keyed by Dir when that path would be too long for a socket.
func (c *Cluster) prepareSocketDir(su serverUser) error {
	dir := filepath.Join(c.Dir, "run")
	if len(dir)+len("/.s.PGSQL.5432") > maxSocketPath {
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

func (c *Cluster) launch(bins binaries, su serverUser) error {
	args := []string{"-D", c.Dir, "-k", c.socketDir, "-p", strconv.Itoa(socketPort),
		"-c", "listen_addresses=", "-c", "unix_socket_permissions=0700"}
	for k, v := range c.Settings {
		args = append(args, "-c", k+"="+v)
	}
	logFile, err := os.OpenFile(filepath.Join(c.Dir, "postgres.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("opening postgres.log: %w", err)
	}
	cmd := exec.Command(bins.postgres, args...)
	cmd.Dir = c.Dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = su.sysProcAttr()
	// If Kiln dies without stopping the server, the kernel asks it for a fast
	// shutdown; stopOrphan covers the cases this misses.
	cmd.SysProcAttr.Pdeathsig = syscall.SIGINT
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("starting postgres: %w", err)
	}
	c.cmd, c.logFile = cmd, logFile
	c.exited = make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(c.exited)
	}()
	return nil
}

func (c *Cluster) waitReady(ctx context.Context) error {
	for {
		conn, err := pgx.Connect(ctx, fmt.Sprintf("host=%s port=%d user=%s dbname=postgres sslmode=disable connect_timeout=2", c.socketDir, socketPort, User))
		if err == nil {
			err = ensureDatabase(ctx, conn)
			conn.Close(context.Background())
			if err != nil {
				return err
			}
			return nil
		}
		select {
		case <-c.exited:
			return fmt.Errorf("postgres exited during start: %s", c.logTail())
		case <-ctx.Done():
			return fmt.Errorf("waiting for postgres: %w (log: %s)", ctx.Err(), c.logTail())
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

// Stop asks the server for a fast shutdown and waits for it. Idempotent.
func (c *Cluster) Stop() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stopLocked()
}

func (c *Cluster) stopLocked() error {
	if c.cmd == nil {
		return nil
	}
	defer func() {
		c.cmd = nil
		c.logFile.Close()
		if !strings.HasPrefix(c.socketDir, c.Dir) {
			_ = os.RemoveAll(c.socketDir)
		}
	}()
	_ = c.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-c.exited:
	case <-time.After(30 * time.Second):
		_ = c.cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-c.exited:
		case <-time.After(10 * time.Second):
			_ = c.cmd.Process.Kill()
			<-c.exited
			return errors.New("postgres did not stop; killed")
		}
	}
	c.logger().Info("postgres stopped", "dir", c.Dir)
	return nil
}

func (c *Cluster) logTail() string {
	b, err := os.ReadFile(filepath.Join(c.Dir, "postgres.log"))
	if err != nil {
		return "no log"
	}
	return lastLines(b, 8)
}

func lastLines(b []byte, n int) string {
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte(" | ")))
}
