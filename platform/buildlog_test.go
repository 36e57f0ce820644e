package platform

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/testenv"
	"github.com/kilnhq/kiln/store/db"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func newTestPlatform(t *testing.T) *Platform {
	t.Helper()
	ctx := context.Background()
	d, err := db.Open(ctx, testenv.Postgres(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	if _, err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := d.EnsureProject(ctx, "p1", "p1"); err != nil {
		t.Fatal(err)
	}
	b := testenv.NATS(t)
	p, err := New(Config{DB: d, SecretKey: make([]byte, 32), NATS: b.Conn(), JetStream: b.JetStream()})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// follower is one FollowBuildLog call collecting what it is sent.
type follower struct {
	mu   sync.Mutex
	log  strings.Builder
	done chan struct{}
	d    db.Deployment
	err  error
}

func (f *follower) seen() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.log.String()
}

func follow(p *Platform) *follower {
	f := &follower{done: make(chan struct{})}
	go func() {
		defer close(f.done)
		f.d, f.err = p.FollowBuildLog(context.Background(), "p1", "fn", "d1", func(s string) error {
			f.mu.Lock()
			f.log.WriteString(s)
			f.mu.Unlock()
			return nil
		})
	}()
	time.Sleep(50 * time.Millisecond) // let it subscribe
	return f
}

// waitFor waits until cond holds, failing the test after 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestFollowBuildLog writes a build log while followers join before the
// first line, between saves, past the kept first MiB and after the build
// finished: each sees the log live, every byte once, in order.
func TestFollowBuildLog(t *testing.T) {
	p := newTestPlatform(t)
	ctx := context.Background()
	if _, err := p.db.CreateFunction(ctx, db.Function{ProjectID: "p1", ID: "fn", Name: "fn", Runtime: "wasi", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	dep, err := p.db.CreateDeployment(ctx, db.Deployment{ProjectID: "p1", ID: "d1", FunctionID: "fn", Status: db.DeploymentBuilding, SourceKey: "src"})
	if err != nil {
		t.Fatal(err)
	}

	early := follow(p)
	l := p.newBuildLog("p1", "d1")
	var want strings.Builder
	write := func(s string) {
		want.WriteString(s)
		fmt.Fprint(l, s)
	}
	line := func(i int) string { return fmt.Sprintf("step %03d %s\n", i, strings.Repeat("•", i%7)) }
	for i := 0; i < 40; i++ {
		write(line(i))
	}
	time.Sleep(buildLogSave + 300*time.Millisecond) // a save happens
	for i := 40; i < 60; i++ {
		write(line(i))
	}
	middle := follow(p) // joins with lines written after the last save
	for i := 60; i < 100; i++ {
		write(line(i))
		time.Sleep(2 * time.Millisecond)
	}
	// Both see the whole log so far while the build still runs.
	waitFor(t, "the early follower to see every line", func() bool { return early.seen() == want.String() })
	waitFor(t, "the middle follower to see every line", func() bool { return middle.seen() == want.String() })

	// Past the kept first MiB, the log is only streamed.
	for want.Len() < buildLogKeep+100<<10 {
		write(strings.Repeat("x", 1000) + "\n")
	}
	time.Sleep(buildLogSave + 300*time.Millisecond)
	beyond := follow(p) // the saved log is the first MiB; the rest it missed
	write("after the big part\n")
	waitFor(t, "the follower that joined past the kept part to see new lines", func() bool {
		return strings.HasSuffix(beyond.seen(), "after the big part\n")
	})
	if s := beyond.seen(); !strings.HasPrefix(s, want.String()[:buildLogKeep]) || !strings.Contains(s, "bytes of the log not kept") {
		t.Fatalf("follower past the kept part: %d bytes, no gap notice", len(s))
	}

	l.stop()
	dep.Status, dep.BuildLogs = db.DeploymentReady, l.String()
	if _, err := p.db.FinishBuild(ctx, dep); err != nil {
		t.Fatal(err)
	}
	p.publishBuildDone(BuildLogSubject("p1", "d1"), db.DeploymentReady)
	late := follow(p)

	for _, c := range []struct {
		name string
		f    *follower
		want string
	}{
		{"early", early, want.String()},
		{"middle", middle, want.String()},
		{"late", late, want.String()[:buildLogKeep]},
	} {
		select {
		case <-c.f.done:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s follower did not finish", c.name)
		}
		if c.f.err != nil || c.f.d.Status != db.DeploymentReady {
			t.Fatalf("%s follower: %v, status %q", c.name, c.f.err, c.f.d.Status)
		}
		if got := c.f.seen(); got != c.want {
			t.Fatalf("%s follower got %d bytes, want %d", c.name, len(got), len(c.want))
		}
	}
	<-beyond.done
}
