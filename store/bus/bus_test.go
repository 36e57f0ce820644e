package bus_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/testenv"
	"github.com/kilnhq/kiln/store/bus"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

func TestStreamsSurviveRestart(t *testing.T) {
	testenv.CheckLeaks(t)
	ctx := context.Background()
	dir := t.TempDir()
	b, err := bus.Start(ctx, bus.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if b.ClientURL() != "" || b.ClusterURL() != "" {
		t.Fatalf("ports open by default: %q %q", b.ClientURL(), b.ClusterURL())
	}
	if err := b.Healthy(); err != nil {
		t.Fatal(err)
	}
	if b.Version() == "" {
		t.Fatal("no version")
	}
	want := map[string]jetstream.RetentionPolicy{
		bus.BuildsStream: jetstream.WorkQueuePolicy, bus.EventsStream: jetstream.LimitsPolicy, bus.ExecutionsStream: jetstream.WorkQueuePolicy,
	}
	for name, retention := range want {
		s, err := b.JetStream().Stream(ctx, name)
		if err != nil {
			t.Fatalf("stream %s: %v", name, err)
		}
		if cfg := s.CachedInfo().Config; cfg.Retention != retention || cfg.Storage != jetstream.FileStorage {
			t.Fatalf("stream %s: retention %v storage %v", name, cfg.Retention, cfg.Storage)
		}
	}
	if _, err := b.JetStream().Publish(ctx, "builds.p1.d1", []byte("job")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.JetStream().Publish(ctx, "events.p1.function.created", []byte("ev")); err != nil {
		t.Fatal(err)
	}
	b.Shutdown()
	b.Shutdown() // idempotent
	if err := b.Healthy(); !errors.Is(err, bus.ErrUnhealthy) {
		t.Fatalf("Healthy after shutdown = %v", err)
	}

	b2, err := bus.Start(ctx, bus.Config{Dir: dir})
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	defer b2.Shutdown()
	cons, err := b2.JetStream().CreateOrUpdateConsumer(ctx, bus.BuildsStream, jetstream.ConsumerConfig{Durable: "builder", AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatal(err)
	}
	msg, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
	if err != nil {
		t.Fatalf("job published before the restart is lost: %v", err)
	}
	if string(msg.Data()) != "job" {
		t.Fatalf("job = %q", msg.Data())
	}
	if err := msg.DoubleAck(ctx); err != nil {
		t.Fatal(err)
	}
	s, err := b2.JetStream().Stream(ctx, bus.BuildsStream)
	if err != nil {
		t.Fatal(err)
	}
	if info, err := s.Info(ctx); err != nil || info.State.Msgs != 0 {
		t.Fatalf("acknowledged job still queued: %+v %v", info.State, err)
	}
	if s, err := b2.JetStream().Stream(ctx, bus.EventsStream); err != nil || s.CachedInfo().State.Msgs != 1 {
		t.Fatalf("events after restart: %v", err)
	}
}

func TestClientPort(t *testing.T) {
	testenv.CheckLeaks(t)
	b, err := bus.Start(context.Background(), bus.Config{Dir: t.TempDir(), Port: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Shutdown()
	if !strings.HasPrefix(b.ClientURL(), "nats://127.0.0.1:") {
		t.Fatalf("client URL with Port -1 = %q", b.ClientURL())
	}
	nc, err := nats.Connect(b.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	sub, err := b.Conn().SubscribeSync("hello")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Conn().Flush(); err != nil {
		t.Fatal(err)
	}
	if err := nc.Publish("hello", []byte("world")); err != nil {
		t.Fatal(err)
	}
	m, err := sub.NextMsg(5 * time.Second)
	if err != nil || string(m.Data) != "world" {
		t.Fatalf("%v %v", m, err)
	}
}

func TestBadConfig(t *testing.T) {
	for _, cfg := range []bus.Config{
		{},
		{Dir: t.TempDir(), Routes: []string{"::nope"}},
	} {
		if _, err := bus.Start(context.Background(), cfg); !errors.Is(err, bus.ErrConfig) {
			t.Errorf("Start(%+v) = %v, want ErrConfig", cfg, err)
		}
	}
}

// The server's log lines reach the injected logger.
func TestLogsThroughSlog(t *testing.T) {
	var buf syncBuffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	b, err := bus.Start(context.Background(), bus.Config{Dir: t.TempDir(), Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	b.Shutdown()
	out := buf.String()
	if !strings.Contains(out, "component=nats") || !strings.Contains(out, "Server is ready") {
		t.Fatalf("nats log lines missing from the logger:\n%s", out)
	}
}

// Two nodes form one cluster: streams are replicated to both, and a job
// published on one node is taken by a consumer on the other.
func TestCluster(t *testing.T) {
	testenv.CheckLeaks(t)
	ctx := context.Background()
	ports := []int{testenv.FreePort(t), testenv.FreePort(t)}
	buses := make([]*bus.Bus, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range buses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buses[i], errs[i] = bus.Start(ctx, bus.Config{
				Dir:         t.TempDir(),
				ServerName:  fmt.Sprintf("n%d", i),
				ClusterName: "kiln-test",
				ClusterPort: ports[i],
				Routes:      []string{fmt.Sprintf("nats-route://127.0.0.1:%d", ports[1-i])},
			})
		}()
	}
	wg.Wait()
	for i, b := range buses {
		if b != nil {
			defer b.Shutdown()
		}
		if errs[i] != nil {
			t.Fatalf("node %d: %v", i, errs[i])
		}
	}
	if got := buses[0].ClusterURL(); got != fmt.Sprintf("nats-route://127.0.0.1:%d", ports[0]) {
		t.Fatalf("ClusterURL = %q", got)
	}
	s, err := buses[1].JetStream().Stream(ctx, bus.BuildsStream)
	if err != nil {
		t.Fatal(err)
	}
	if r := s.CachedInfo().Config.Replicas; r != 2 {
		t.Fatalf("replicas = %d, want 2", r)
	}
	if _, err := buses[0].JetStream().Publish(ctx, "builds.p.d", []byte("across")); err != nil {
		t.Fatal(err)
	}
	cons, err := buses[1].JetStream().CreateOrUpdateConsumer(ctx, bus.BuildsStream, jetstream.ConsumerConfig{Durable: "b", AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatal(err)
	}
	msg, err := cons.Next(jetstream.FetchMaxWait(10 * time.Second))
	if err != nil || string(msg.Data()) != "across" {
		t.Fatalf("job on the other node: %v", err)
	}
	_ = msg.Ack()
	for i, b := range buses {
		if err := b.Healthy(); err != nil {
			t.Errorf("node %d: %v", i, err)
		}
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
