package bus

import (
	"context"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/testenv"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

func TestStreamsSurviveRestart(t *testing.T) {
	testenv.CheckLeaks(t)
	ctx := context.Background()
	dir := t.TempDir()
	b, err := Start(ctx, Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if b.ClientURL() != "" {
		t.Fatalf("client port open by default: %s", b.ClientURL())
	}
	if err := b.Healthy(); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{BuildsStream, EventsStream, ExecutionsStream} {
		if _, err := b.JetStream().Stream(ctx, name); err != nil {
			t.Fatalf("stream %s: %v", name, err)
		}
	}
	if _, err := b.JetStream().Publish(ctx, "builds.p1.d1", []byte("job")); err != nil {
		t.Fatal(err)
	}
	b.Shutdown()
	b.Shutdown() // idempotent
	if err := b.Healthy(); err == nil {
		t.Fatal("healthy after shutdown")
	}

	b2, err := Start(ctx, Config{Dir: dir})
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	defer b2.Shutdown()
	cons, err := b2.JetStream().CreateOrUpdateConsumer(ctx, BuildsStream, jetstream.ConsumerConfig{Durable: "builder", AckPolicy: jetstream.AckExplicitPolicy})
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
	_ = msg.Ack()
}

func TestClientPort(t *testing.T) {
	testenv.CheckLeaks(t)
	b, err := Start(context.Background(), Config{Dir: t.TempDir(), Port: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Shutdown()
	if b.ClientURL() == "" {
		t.Fatal("no client URL with Port -1")
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
	b.Conn().Flush()
	if err := nc.Publish("hello", []byte("world")); err != nil {
		t.Fatal(err)
	}
	m, err := sub.NextMsg(5 * time.Second)
	if err != nil || string(m.Data) != "world" {
		t.Fatalf("%v %v", m, err)
	}
}

func TestBadRoute(t *testing.T) {
	_, err := Start(context.Background(), Config{Dir: t.TempDir(), Routes: []string{"::nope"}})
	if err == nil {
		t.Fatal("started with a malformed route")
	}
}
