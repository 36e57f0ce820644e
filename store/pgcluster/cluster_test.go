package pgcluster

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func tempDir(t *testing.T) string {
	t.Helper()
	// A short path keeps the socket inside the cluster dir.
	dir, err := os.MkdirTemp("", "pgc")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func query(t *testing.T, dsn, sql string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connecting: %v", err)
	}
	defer conn.Close(ctx)
	var s string
	if err := conn.QueryRow(ctx, sql).Scan(&s); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return s
}

func TestStartRestartKeepsData(t *testing.T) {
	dir := filepath.Join(tempDir(t), "pg")
	ctx := context.Background()
	c := &Cluster{Dir: dir, Settings: map[string]string{"fsync": "off"}}
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if got := query(t, c.DSN(), "SELECT current_database()"); got != Database {
		t.Fatalf("database = %q", got)
	}
	conn, err := pgx.Connect(ctx, c.DSN())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('yes')"); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := c.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if postmasterPID(dir) != 0 {
		t.Fatal("postmaster.pid left after a clean stop")
	}

	c2 := &Cluster{Dir: dir}
	if err := c2.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer c2.Stop()
	if got := query(t, c2.DSN(), "SELECT v FROM kept"); got != "yes" {
		t.Fatalf("row after restart = %q", got)
	}
	if c2.Version() == "" {
		t.Fatal("no server version")
	}
}

// A server whose owner died without stopping it (kill -9 of kiln) is stopped
// and the cluster comes back up on the next Start.
func TestRecoversOrphanedServer(t *testing.T) {
	dir := filepath.Join(tempDir(t), "pg")
	ctx := context.Background()
	c := &Cluster{Dir: dir}
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	orphan := c.cmd.Process.Pid
	// Forget the handle: the server keeps running as if its owner had died.
	c.cmd.SysProcAttr = nil
	c.cmd = nil

	c2 := &Cluster{Dir: dir}
	if err := c2.Start(ctx); err != nil {
		t.Fatalf("start over an orphaned server: %v", err)
	}
	defer c2.Stop()
	if processAlive(orphan) && isPostgres(orphan) {
		t.Fatalf("orphaned postmaster %d still running", orphan)
	}
	if got := query(t, c2.DSN(), "SELECT 'up'"); got != "up" {
		t.Fatal(got)
	}
}

// A postmaster.pid naming a dead process (the server itself was killed) does not block a start.
func TestStalePidFile(t *testing.T) {
	dir := filepath.Join(tempDir(t), "pg")
	ctx := context.Background()
	c := &Cluster{Dir: dir}
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	_ = c.cmd.Process.Signal(syscall.SIGKILL)
	<-c.exited
	c.cmd = nil
	if postmasterPID(dir) == 0 {
		t.Fatal("expected a stale postmaster.pid after SIGKILL")
	}
	// Children of the killed postmaster may linger briefly; postgres itself
	// refuses to start while they hold shared memory, so wait for them.
	time.Sleep(200 * time.Millisecond)
	c2 := &Cluster{Dir: dir}
	if err := c2.Start(ctx); err != nil {
		t.Fatalf("start after SIGKILL: %v", err)
	}
	defer c2.Stop()
}

func TestMissingBinaries(t *testing.T) {
	c := &Cluster{Dir: filepath.Join(tempDir(t), "pg"), BinDir: t.TempDir()}
	err := c.Start(context.Background())
	if !errors.Is(err, ErrBinariesNotFound) {
		t.Fatalf("err = %v, want ErrBinariesNotFound", err)
	}
	if _, statErr := os.Stat(c.Dir); !os.IsNotExist(statErr) {
		t.Fatal("a failed start created the cluster dir")
	}
}

func TestRefusesForeignDirectory(t *testing.T) {
	dir := tempDir(t)
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := (&Cluster{Dir: dir}).Start(context.Background())
	if err == nil {
		t.Fatal("started a cluster over a directory with other files")
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "notes.txt")); string(b) != "mine" {
		t.Fatal("user file changed")
	}
}
