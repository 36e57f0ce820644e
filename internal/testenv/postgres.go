package testenv

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/kilnhq/kiln/store/pgcluster"
)

var (
	pgOnce    sync.Once
	pgCluster *pgcluster.Cluster
	pgErr     error
	dbSeq     atomic.Int64
)

// Postgres returns the DSN of a new, empty database in the test binary's
// throwaway cluster, starting the cluster on first use. The database is
// dropped when the test ends. Call Main from TestMain to stop the cluster.
func Postgres(tb testing.TB) string {
	tb.Helper()
	pgOnce.Do(startCluster)
	if pgErr != nil {
		tb.Fatalf("testenv: starting throwaway PostgreSQL: %v", pgErr)
	}
	name := fmt.Sprintf("t%d_%s", dbSeq.Add(1), sanitize(tb.Name()))
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, pgCluster.DSN())
	if err != nil {
		tb.Fatalf("testenv: connecting to throwaway PostgreSQL: %v", err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("testenv: creating database: %v", err)
	}
	tb.Cleanup(func() {
		c, err := pgx.Connect(ctx, pgCluster.DSN())
		if err == nil {
			_, _ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			c.Close(ctx)
		}
	})
	return strings.Replace(pgCluster.DSN(), "dbname="+pgcluster.Database, "dbname="+name, 1)
}

func startCluster() {
	dir, err := os.MkdirTemp("", "kiln-testpg-")
	if err != nil {
		pgErr = err
		return
	}
	c := &pgcluster.Cluster{
		Dir: filepath.Join(dir, "pg"),
		// Durability is pointless for a throwaway cluster; speed is not.
		Settings: map[string]string{"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"},
	}
	if err := c.Start(context.Background()); err != nil {
		os.RemoveAll(dir)
		pgErr = err
		return
	}
	pgCluster = c
	atExit(func() {
		_ = c.Stop()
		os.RemoveAll(dir)
	})
}

func sanitize(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
		if b.Len() >= 40 {
			break
		}
	}
	return b.String()
}
