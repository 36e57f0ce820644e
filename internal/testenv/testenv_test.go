package testenv

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { Main(m) }

// recorder is a testing.TB whose cleanups and failures the test inspects.
type recorder struct {
	testing.TB
	cleanups []func()
	errors   []string
}

func (r *recorder) Helper()                   {}
func (r *recorder) Cleanup(f func())          { r.cleanups = append(r.cleanups, f) }
func (r *recorder) Errorf(f string, a ...any) { r.errors = append(r.errors, fmt.Sprintf(f, a...)) }
func (r *recorder) finish() {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
}

func TestCheckLeaks(t *testing.T) {
	leaky := &recorder{TB: t}
	checkLeaks(leaky, 200*time.Millisecond)
	stop := make(chan struct{})
	go func() { <-stop }()
	leaky.finish()
	close(stop)
	if len(leaky.errors) != 1 || !strings.Contains(leaky.errors[0], "1 goroutine(s) leaked") {
		t.Fatalf("a blocked goroutine was not reported: %q", leaky.errors)
	}

	// A goroutine that ends within the grace period is not a leak.
	tidy := &recorder{TB: t}
	checkLeaks(tidy, 2*time.Second)
	go func() { time.Sleep(100 * time.Millisecond) }()
	tidy.finish()
	if len(tidy.errors) != 0 {
		t.Fatalf("reported a goroutine that ended: %q", tidy.errors)
	}
}

func TestPostgresFreshDatabases(t *testing.T) {
	ctx := context.Background()
	a, b := Postgres(t), Postgres(t)
	if a == b {
		t.Fatal("two calls returned the same database")
	}
	conn, err := pgx.Connect(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE TABLE only_in_a (x int)"); err != nil {
		t.Fatal(err)
	}
	connB, err := pgx.Connect(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	defer connB.Close(ctx)
	var n int
	if err := connB.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").Scan(&n); err != nil || n != 0 {
		t.Fatalf("fresh database has %d tables (%v)", n, err)
	}
}

func TestNATS(t *testing.T) {
	CheckLeaks(t)
	b := NATS(t)
	if err := b.Healthy(); err != nil {
		t.Fatal(err)
	}
	sub, err := b.Conn().SubscribeSync("ping")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Conn().Publish("ping", []byte("pong")); err != nil {
		t.Fatal(err)
	}
	if m, err := sub.NextMsg(5 * time.Second); err != nil || string(m.Data) != "pong" {
		t.Fatalf("%v %v", m, err)
	}
}

func TestFreePort(t *testing.T) {
	p := FreePort(t)
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
	if err != nil {
		t.Fatalf("port %d not free: %v", p, err)
	}
	l.Close()
}
