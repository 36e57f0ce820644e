package pgcluster

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"
)

// helperEnv makes the test binary act as a Kiln process owning a cluster:
// it starts the cluster in the named dir, prints "ready" and blocks, so a
// test can kill it with SIGKILL the way a crashed node dies.
const helperEnv = "KILN_PGCLUSTER_OWNER_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(helperEnv); dir != "" {
		c := &Cluster{Dir: dir, Settings: fastSettings}
		if err := c.Start(context.Background()); err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("ready")
		select {}
	}
	os.Exit(m.Run())
}

// fastSettings trade durability against an OS crash for speed; a killed
// server still loses nothing committed, which the crash tests check.
var fastSettings = map[string]string{"fsync": "off"}

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

func start(t *testing.T, dir string) *Cluster {
	t.Helper()
	c := &Cluster{Dir: dir, Settings: fastSettings}
	if err := c.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { c.Stop() })
	return c
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

func exec1(t *testing.T, dsn, sql string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connecting: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func TestStartRestartKeepsData(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(tempDir(t), "pg")
	c := start(t, dir)
	if got := query(t, c.DSN(), "SELECT current_database()"); got != Database {
		t.Fatalf("database = %q", got)
	}
	if got := query(t, c.DSN(), "SELECT current_user"); got != User {
		t.Fatalf("user = %q", got)
	}
	if got := query(t, c.DSN(), "SHOW listen_addresses"); got != "" {
		t.Fatalf("listen_addresses = %q, want no TCP listener", got)
	}
	if got := query(t, c.DSN(), "SHOW server_encoding"); got != "UTF8" {
		t.Fatalf("encoding = %q", got)
	}
	if !strings.HasPrefix(c.socketDir, dir) {
		t.Fatalf("socket dir %s is outside the cluster dir", c.socketDir)
	}
	exec1(t, c.DSN(), "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('yes')")
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := c.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if postmasterPID(dir) != 0 {
		t.Fatal("postmaster.pid left after a clean stop")
	}
	if _, err := pgx.Connect(context.Background(), c.DSN()); err == nil {
		t.Fatal("server still answers after Stop")
	}

	c2 := start(t, dir)
	if got := query(t, c2.DSN(), "SELECT v FROM kept"); got != "yes" {
		t.Fatalf("row after restart = %q", got)
	}
	if major(c2.Version()) != dataVersion(dir) {
		t.Fatalf("version %q, cluster made by %q", c2.Version(), dataVersion(dir))
	}
}

// A server whose handle was lost inside this process (its owner as far as
// the kernel knows is alive, but it is us) is stopped and started afresh.
func TestRecoversServerWithLostHandle(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(tempDir(t), "pg")
	c := start(t, dir)
	orphan := c.proc.Pid
	c.proc = nil // forget it without stopping

	c2 := start(t, dir)
	if isPostgres(orphan) {
		t.Fatalf("orphaned postmaster %d still running", orphan)
	}
	if got := query(t, c2.DSN(), "SELECT 'up'"); got != "up" {
		t.Fatal(got)
	}
}

// While the Kiln process that started a server runs, another Start on the
// directory is refused; once that process is killed with SIGKILL, the
// directory comes back up with its data.
func TestOwnerKilled(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(tempDir(t), "pg")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, _ := bufio.NewReader(out).ReadString('\n')
	if strings.TrimSpace(line) != "ready" {
		t.Fatalf("owner process: %q", line)
	}
	owned := postmasterPID(dir)

	err = (&Cluster{Dir: dir}).Start(context.Background())
	if !errors.Is(err, ErrInUse) {
		t.Fatalf("Start while the owner lives: %v, want ErrInUse", err)
	}
	if !isPostgres(owned) {
		t.Fatal("a refused Start stopped the owner's server")
	}

	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	c := start(t, dir)
	if got := query(t, c.DSN(), "SELECT 'back'"); got != "back" {
		t.Fatal(got)
	}
	if isPostgres(owned) {
		t.Fatalf("postmaster %d of the killed owner still runs", owned)
	}
}

// A postmaster.pid left by a server killed outright, or naming a pid since
// reused by an unrelated process (as after a container restart), does not
// block a start.
func TestStalePidFile(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(tempDir(t), "pg")
	c := start(t, dir)
	exec1(t, c.DSN(), "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('yes')")
	_ = c.proc.Signal(syscall.SIGKILL)
	<-c.exited
	c.proc = nil
	if postmasterPID(dir) == 0 {
		t.Fatal("expected a stale postmaster.pid after SIGKILL")
	}
	c2 := start(t, dir)
	if got := query(t, c2.DSN(), "SELECT v FROM kept"); got != "yes" {
		t.Fatalf("row after crash recovery = %q", got)
	}
	_ = c2.proc.Signal(syscall.SIGKILL)
	<-c2.exited
	c2.proc = nil

	// Point postmaster.pid at a live process of the server's account, which
	// postgres alone would take for a running postmaster.
	su, err := pickServerUser()
	if err != nil {
		t.Fatal(err)
	}
	sleeper := exec.Command("sleep", "60")
	sleeper.SysProcAttr = su.sysProcAttr()
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sleeper.Process.Kill(); _ = sleeper.Wait() }()
	pidFile := filepath.Join(dir, "postmaster.pid")
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(b), "\n")
	if err := os.WriteFile(pidFile, []byte(strconv.Itoa(sleeper.Process.Pid)+"\n"+rest), 0o600); err != nil {
		t.Fatal(err)
	}
	c3 := start(t, dir)
	if got := query(t, c3.DSN(), "SELECT v FROM kept"); got != "yes" {
		t.Fatalf("row after pid reuse = %q", got)
	}
	if err := sleeper.Process.Signal(syscall.Signal(0)); err != nil {
		t.Fatal("the unrelated process was signalled")
	}
}

// A data dir too deep for a unix socket path gets its socket in a short
// directory under the temp dir, removed again on Stop.
func TestLongPathSocket(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(tempDir(t), strings.Repeat("d", 60), strings.Repeat("e", 60), "pg")
	c := start(t, dir)
	if strings.HasPrefix(c.socketDir, dir) || len(c.socketDir) > 60 {
		t.Fatalf("socket dir = %s", c.socketDir)
	}
	if got := query(t, c.DSN(), "SELECT 'deep'"); got != "deep" {
		t.Fatal(got)
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(c.socketDir); !os.IsNotExist(err) {
		t.Fatalf("socket dir left behind: %v", err)
	}
}

func TestMissingBinaries(t *testing.T) {
	t.Parallel()
	c := &Cluster{Dir: filepath.Join(tempDir(t), "pg"), BinDir: t.TempDir()}
	err := c.Start(context.Background())
	if !errors.Is(err, ErrBinariesNotFound) {
		t.Fatalf("err = %v, want ErrBinariesNotFound", err)
	}
	if !strings.Contains(err.Error(), "apt-get install postgresql") || !strings.Contains(err.Error(), "KILN_DATABASE_URL") {
		t.Fatalf("error does not say how to fix it: %v", err)
	}
	if _, statErr := os.Stat(c.Dir); !os.IsNotExist(statErr) {
		t.Fatal("a failed start created the cluster dir")
	}
}

func TestRefusesForeignDirectory(t *testing.T) {
	t.Parallel()
	dir := tempDir(t)
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := (&Cluster{Dir: dir}).Start(context.Background())
	if !errors.Is(err, ErrNotDataDir) {
		t.Fatalf("err = %v, want ErrNotDataDir", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "notes.txt")); string(b) != "mine" {
		t.Fatal("user file changed")
	}
}

// A cluster made by another major version is refused before postgres runs.
func TestIncompatibleVersion(t *testing.T) {
	t.Parallel()
	dir := tempDir(t)
	if err := os.WriteFile(filepath.Join(dir, "PG_VERSION"), []byte("8\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := (&Cluster{Dir: dir}).Start(context.Background())
	if !errors.Is(err, ErrIncompatibleVersion) {
		t.Fatalf("err = %v, want ErrIncompatibleVersion", err)
	}
}

func TestDSNQuotesSocketDir(t *testing.T) {
	c := &Cluster{socketDir: `/tmp/a b/it's`}
	cfg, err := pgx.ParseConfig(c.DSN())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Host != `/tmp/a b/it's` || cfg.Database != Database || cfg.User != User {
		t.Fatalf("parsed host=%q db=%q user=%q", cfg.Host, cfg.Database, cfg.User)
	}
}
