package quickjs

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestMaxInstances: a Worker runs at most MaxInstances requests at once;
// another waits for a free instance until its context ends, and is then
// served once one is free.
func TestMaxInstances(t *testing.T) {
	w, err := testEngine(t).Load(context.Background(), []byte(`export default {
  async fetch(request) {
    if (new URL(request.url).pathname === "/slow") await new Promise((r) => setTimeout(r, 600));
    return new Response("done " + new URL(request.url).pathname);
  },
};`), "worker.js", LoadOptions{MaxInstances: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()

	slow := make(chan string, 1)
	go func() {
		resp, _, err := w.Fetch(context.Background(), get("http://fn.example/slow"), Invocation{})
		if err != nil {
			slow <- err.Error()
			return
		}
		slow <- string(resp.Body)
	}()
	time.Sleep(150 * time.Millisecond) // the slow request holds the only instance

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, _, err = w.Fetch(ctx, get("http://fn.example/fast"), Invocation{})
	if !errors.Is(err, ErrDeadline) || !strings.Contains(err.Error(), "waiting for a free instance") {
		t.Fatalf("a request past the limit: %v", err)
	}
	if got := <-slow; got != "done /slow" {
		t.Fatalf("slow request: %s", got)
	}
	if got := body(t, w, get("http://fn.example/fast")); got != "done /fast" {
		t.Fatalf("after the slow request: %q", got)
	}
}
