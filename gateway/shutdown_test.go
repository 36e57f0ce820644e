package gateway

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Shutdown lets a request in flight finish, then refuses new connections.
func TestShutdownDrainsInFlight(t *testing.T) {
	a := New(Config{})
	entered := make(chan struct{})
	a.Router().Get("/v1/slow", func(c *fiber.Ctx) error {
		close(entered)
		time.Sleep(300 * time.Millisecond)
		return c.SendString("finished")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- a.Serve(ln) }()

	type result struct {
		body string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/v1/slow")
		if err != nil {
			got <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		got <- result{string(b), err}
	}()
	<-entered
	if err := a.Shutdown(context.Background()); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if r := <-got; r.err != nil || r.body != "finished" {
		t.Fatalf("in-flight request: %q, %v", r.body, r.err)
	}
	if err := <-served; err != nil {
		t.Fatalf("serve: %v", err)
	}
	if c, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		c.Close()
		t.Fatal("still accepting connections after shutdown")
	}
}

// A request that outlives the drain timeout makes Shutdown return the
// timeout, and its context is cancelled so it ends.
func TestShutdownTimeoutCancelsStragglers(t *testing.T) {
	a := New(Config{ShutdownTimeout: 200 * time.Millisecond})
	entered := make(chan struct{})
	cancelled := make(chan struct{})
	a.Router().Get("/v1/stream", func(c *fiber.Ctx) error {
		close(entered)
		<-c.UserContext().Done()
		close(cancelled)
		return c.SendString("cut")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go a.Serve(ln)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/v1/stream")
		if err == nil {
			resp.Body.Close()
		}
	}()
	<-entered
	start := time.Now()
	err = a.Shutdown(context.Background())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("shutdown = %v, want the drain timeout", err)
	}
	select {
	case <-cancelled:
	case <-time.After(5 * time.Second):
		t.Fatal("the straggler's context was not cancelled")
	}
	t.Logf("shutdown returned after %s", time.Since(start).Round(time.Millisecond))
}
