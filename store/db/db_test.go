package db

import (
	"context"
	"crypto/sha256"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/kilnhq/kiln/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// open opens dsn, or a fresh test database when none is given.
func open(t *testing.T, dsn ...string) *DB {
	t.Helper()
	if len(dsn) == 0 {
		dsn = append(dsn, testenv.Postgres(t))
	}
	db, err := Open(context.Background(), dsn[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db
}

func TestMigrateOnceAndIdempotent(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	if v, err := db.SchemaVersion(ctx); err != nil || v != 0 {
		t.Fatalf("fresh database version = %d, %v", v, err)
	}
	v, err := db.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v != LatestVersion() || v < 1 {
		t.Fatalf("version = %d, latest = %d", v, LatestVersion())
	}
	again, err := db.Migrate(ctx)
	if err != nil || again != v {
		t.Fatalf("second migrate = %d, %v", again, err)
	}
	var n int
	if err := db.Pool.QueryRow(ctx, "SELECT count(*) FROM schema_migrations").Scan(&n); err != nil || n != v {
		t.Fatalf("schema_migrations rows = %d, %v", n, err)
	}
}

// Nodes starting together must not apply a migration twice.
func TestConcurrentMigrate(t *testing.T) {
	ctx := context.Background()
	dsn := testenv.Postgres(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := Open(ctx, dsn, nil)
			if err != nil {
				errs[i] = err
				return
			}
			defer db.Close()
			_, errs[i] = db.Migrate(ctx)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	db := open(t, dsn)
	var rows, distinct int
	if err := db.Pool.QueryRow(ctx, "SELECT count(*), count(DISTINCT version) FROM schema_migrations").Scan(&rows, &distinct); err != nil {
		t.Fatal(err)
	}
	if rows != LatestVersion() || distinct != rows {
		t.Fatalf("schema_migrations: %d rows, %d versions, want %d", rows, distinct, LatestVersion())
	}
}

func TestOpenBadURL(t *testing.T) {
	ctx := context.Background()
	_, err := Open(ctx, "postgres://kiln:hunter2@[bad", nil)
	if err == nil || !strings.Contains(err.Error(), "parsing database URL") {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("password leaked into error: %v", err)
	}
	port := testenv.FreePort(t)
	_, err = Open(ctx, "postgres://kiln@127.0.0.1:"+itoa(port)+"/kiln?connect_timeout=2", nil)
	if err == nil || !strings.Contains(err.Error(), "connecting to database") {
		t.Fatalf("unreachable server: err = %v", err)
	}
}

func TestProjectsAndKeys(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.GetProject(ctx, "default"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing project: %v", err)
	}
	p, err := db.EnsureProject(ctx, "default", "Default")
	if err != nil || p.ID != "default" || p.Name != "Default" {
		t.Fatalf("%+v %v", p, err)
	}
	if p2, err := db.EnsureProject(ctx, "default", "Other"); err != nil || p2.Name != "Default" {
		t.Fatalf("EnsureProject changed an existing project: %+v %v", p2, err)
	}
	hash := sha256.Sum256([]byte("secret"))
	k, err := db.CreateKey(ctx, Key{ID: "admin", ProjectID: "default", Name: "Admin", SecretHash: hash[:], Scopes: []string{"functions.read"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateKey(ctx, Key{ID: "dup", ProjectID: "default", Name: "x", SecretHash: hash[:]}); !errors.Is(err, ErrConflict) {
		t.Fatalf("duplicate secret: %v", err)
	}
	got, err := db.KeyBySecretHash(ctx, hash[:])
	if err != nil || got.ID != k.ID || len(got.Scopes) != 1 || got.Scopes[0] != "functions.read" {
		t.Fatalf("%+v %v", got, err)
	}
	other := sha256.Sum256([]byte("other"))
	if _, err := db.KeyBySecretHash(ctx, other[:]); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown secret: %v", err)
	}
	if _, err := db.GetKey(ctx, "elsewhere", "admin"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("key read across projects: %v", err)
	}
}

func TestMigrateRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES (9999, 'from_the_future')"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(ctx); !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("Migrate on a newer schema = %v, want ErrSchemaTooNew", err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
