package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/testenv"
	"github.com/kilnhq/kiln/platform"
	"github.com/kilnhq/kiln/store/objects"
	"github.com/kilnhq/kiln/store/pgcluster"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func startNode(t *testing.T, cfg Config) *Node {
	t.Helper()
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	n, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(context.Background()); err != nil {
		t.Fatalf("start: %v", err)
	}
	return n
}

type health struct {
	Status        string `json:"status"`
	SchemaVersion int    `json:"schemaVersion"`
	Parts         map[string]struct {
		Status  string `json:"status"`
		Version string `json:"version"`
	} `json:"parts"`
}

func getHealth(t *testing.T, addr string) (int, health) {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/v1/health")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h health
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, h
}

func TestServeHealthyAndRestartKeepsKeyAndSchema(t *testing.T) {
	testenv.CheckLeaks(t)
	dir := t.TempDir()
	began := time.Now()
	n := startNode(t, Config{DataDir: dir})
	code, h := getHealth(t, n.Addr())
	t.Logf("first start (initdb, migrate, mint key): healthy after %s", time.Since(began).Round(time.Millisecond))
	waited := make(chan error, 1)
	go func() { waited <- n.Wait() }()
	if code != 200 || h.Status != "ok" {
		t.Fatalf("health %d %+v", code, h)
	}
	for _, part := range []string{"database", "nats", "storage"} {
		if h.Parts[part].Status != "ok" || h.Parts[part].Version == "" {
			t.Errorf("part %s = %+v", part, h.Parts[part])
		}
	}
	if h.SchemaVersion < 1 {
		t.Fatalf("schema version %d", h.SchemaVersion)
	}
	if !n.AdminKeyCreated {
		t.Fatal("first run did not create an admin key")
	}
	key := n.AdminKey
	keyFile := filepath.Join(dir, platform.AdminKeyFile)
	st, err := os.Stat(keyFile)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("admin.key: %v mode %v", err, st.Mode())
	}
	if err := n.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := n.Shutdown(context.Background()); err != nil {
		t.Fatalf("second shutdown: %v", err)
	}
	if err := <-waited; err != nil {
		t.Fatalf("Wait after Shutdown = %v", err)
	}
	if _, err := net.DialTimeout("tcp", n.Addr(), time.Second); err == nil {
		t.Fatal("still accepting after shutdown")
	}
	if _, err := os.Stat(filepath.Join(dir, "pg", "postmaster.pid")); err == nil {
		t.Fatal("managed postgres still running after Shutdown")
	}

	began = time.Now()
	n2 := startNode(t, Config{DataDir: dir})
	defer n2.Shutdown(context.Background())
	if code, _ := getHealth(t, n2.Addr()); code != 200 {
		t.Fatalf("health after restart: %d", code)
	}
	t.Logf("second start: healthy after %s", time.Since(began).Round(time.Millisecond))
	if n2.AdminKeyCreated || n2.AdminKey != key {
		t.Fatal("restart minted a new admin key")
	}
	_, h2 := getHealth(t, n2.Addr())
	if h2.SchemaVersion != h.SchemaVersion {
		t.Fatalf("schema version %d after restart, was %d", h2.SchemaVersion, h.SchemaVersion)
	}
}

// The scale-out shape: an external Postgres, an S3 store and a NATS client
// port. Health reports each real part.
func TestServeWithExternalServices(t *testing.T) {
	// No goroutine leak check here: objects.S3 has no Close yet, so its
	// idle keep-alive connection to MinIO outlives the node (the node
	// closes any store that is an io.Closer).
	dsn := testenv.Postgres(t)
	s3 := testenv.MinIO(t)
	n := startNode(t, Config{DataDir: t.TempDir(), DatabaseURL: dsn, S3: s3, NATSPort: -1})
	defer n.Shutdown(context.Background())
	code, h := getHealth(t, n.Addr())
	if code != 200 || h.Parts["storage"].Version != "s3" || h.Parts["database"].Status != "ok" || h.Parts["nats"].Status != "ok" {
		t.Fatalf("health %d %+v", code, h)
	}
	if _, err := os.Stat(filepath.Join(n.DataDir(), "pg")); err == nil {
		t.Fatal("a managed cluster was made although a database URL was given")
	}
}

func TestSecondNodeOnSameDataDir(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, Config{DataDir: dir, DatabaseURL: testenv.Postgres(t)})
	defer n.Shutdown(context.Background())
	n2, _ := New(Config{DataDir: dir, Addr: "127.0.0.1:0", DatabaseURL: testenv.Postgres(t)}, nil)
	err := n2.Start(context.Background())
	if !errors.Is(err, ErrDataDirInUse) {
		t.Fatalf("err = %v, want ErrDataDirInUse", err)
	}
	if !strings.Contains(err.Error(), "pid") {
		t.Fatalf("error does not name the holder: %v", err)
	}
	if code, _ := getHealth(t, n.Addr()); code != 200 {
		t.Fatal("the first node was disturbed")
	}
}

func TestStartFailures(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	file := filepath.Join(t.TempDir(), "plain-file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name string
		cfg  func(t *testing.T) Config
		want string
		is   error // the sentinel callers branch on, when there is one
	}{
		{"listen port taken", func(t *testing.T) Config {
			return Config{DataDir: t.TempDir(), Addr: taken.Addr().String(), DatabaseURL: testenv.Postgres(t)}
		}, "address already in use", syscall.EADDRINUSE},
		{"bad database URL", func(t *testing.T) Config {
			return Config{DataDir: t.TempDir(), DatabaseURL: "postgres://kiln@127.0.0.1:1/kiln?connect_timeout=2"}
		}, "connecting to database", nil},
		{"malformed database URL", func(t *testing.T) Config {
			return Config{DataDir: t.TempDir(), DatabaseURL: "postgres://[::1"}
		}, "parsing database URL", nil},
		{"data dir not writable", func(t *testing.T) Config {
			// Root can write anywhere, so make the path unusable instead: under a regular file.
			return Config{DataDir: filepath.Join(file, "data"), DatabaseURL: testenv.Postgres(t)}
		}, "data dir", nil},
		{"object storage unreachable", func(t *testing.T) Config {
			// Fails late: the managed Postgres and NATS are already running
			// and must be stopped again.
			return Config{DataDir: t.TempDir(), S3: objects.S3Config{Endpoint: fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))}}
		}, "opening object storage", nil},
		{"missing postgres binaries", func(t *testing.T) Config {
			return Config{DataDir: t.TempDir(), PostgresBinDir: t.TempDir()}
		}, "apt-get install postgresql", pgcluster.ErrBinariesNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// The shared test cluster behind testenv.Postgres lives for the
			// whole test binary: start it before recording goroutines.
			cfg := tc.cfg(t)
			goodDSN := testenv.Postgres(t)
			testenv.CheckLeaks(t)
			cfg.Addr = cmpOr(cfg.Addr, "127.0.0.1:0")
			n, err := New(cfg, nil)
			if err == nil {
				err = n.Start(context.Background())
			}
			if err == nil {
				n.Shutdown(context.Background())
				t.Fatal("started")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Fatalf("err = %v, want errors.Is %v", err, tc.is)
			}
			t.Logf("error: %v", err)
			// No half-made state: no admin key was written, no server left running.
			if _, statErr := os.Stat(filepath.Join(cfg.DataDir, platform.AdminKeyFile)); statErr == nil {
				t.Fatal("a failed start left an admin.key")
			}
			if _, statErr := os.Stat(filepath.Join(cfg.DataDir, "pg", "postmaster.pid")); statErr == nil {
				t.Fatal("a failed start left the managed postgres running")
			}
			// The data dir lock was released: a good start on the same dir works.
			if !strings.HasPrefix(cfg.DataDir, file) {
				good := startNode(t, Config{DataDir: cfg.DataDir, DatabaseURL: goodDSN})
				good.Shutdown(context.Background())
			}
		})
	}
}

func TestCorruptAdminKey(t *testing.T) {
	dir := t.TempDir()
	dsn := testenv.Postgres(t)
	n := startNode(t, Config{DataDir: dir, DatabaseURL: dsn})
	n.Shutdown(context.Background())
	keyFile := filepath.Join(dir, platform.AdminKeyFile)

	for name, content := range map[string]string{
		"garbage":     "not a key at all",
		"unknown key": platform.NewSecret(),
	} {
		t.Run(name, func(t *testing.T) {
			if err := os.WriteFile(keyFile, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			n, _ := New(Config{DataDir: dir, Addr: "127.0.0.1:0", DatabaseURL: dsn}, nil)
			err := n.Start(context.Background())
			if !errors.Is(err, platform.ErrAdminKeyCorrupt) || !strings.Contains(err.Error(), "delete the file") {
				t.Fatalf("err = %v", err)
			}
			if b, _ := os.ReadFile(keyFile); string(b) != content {
				t.Fatal("the key file was changed")
			}
		})
	}
	// Deleting the file mints a new key and revokes the old one.
	os.Remove(keyFile)
	n2 := startNode(t, Config{DataDir: dir, DatabaseURL: dsn})
	defer n2.Shutdown(context.Background())
	if !n2.AdminKeyCreated || n2.AdminKey == n.AdminKey {
		t.Fatal("no new key after deleting admin.key")
	}
}

// A crash between storing the admin key and renaming its file into place
// is finished by the next start; a pending file whose key never reached the
// database is replaced by a fresh key.
func TestAdminKeyCrashWindow(t *testing.T) {
	dir := t.TempDir()
	dsn := testenv.Postgres(t)
	keyFile := filepath.Join(dir, platform.AdminKeyFile)
	n := startNode(t, Config{DataDir: dir, DatabaseURL: dsn})
	n.Shutdown(context.Background())

	if err := os.Rename(keyFile, keyFile+".new"); err != nil {
		t.Fatal(err)
	}
	n2 := startNode(t, Config{DataDir: dir, DatabaseURL: dsn})
	n2.Shutdown(context.Background())
	if n2.AdminKey != n.AdminKey {
		t.Fatal("the stored key was not recovered from the pending file")
	}
	if b, err := os.ReadFile(keyFile); err != nil || strings.TrimSpace(string(b)) != n.AdminKey {
		t.Fatalf("admin.key after recovery: %q, %v", b, err)
	}
	if _, err := os.Stat(keyFile + ".new"); err == nil {
		t.Fatal("pending file left behind")
	}

	stray := platform.NewSecret()
	os.Remove(keyFile)
	if err := os.WriteFile(keyFile+".new", []byte(stray+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	n3 := startNode(t, Config{DataDir: dir, DatabaseURL: dsn})
	defer n3.Shutdown(context.Background())
	if !n3.AdminKeyCreated || n3.AdminKey == stray || n3.AdminKey == n.AdminKey {
		t.Fatal("a pending key that was never stored was used")
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
