package quickjs

import (
	"context"
	"strings"
	"testing"
)

const counterWorker = `let n = 0;
%s
export default {
  fetch(request) {
    n++;
    if (new URL(request.url).pathname === "/fail") throw new Error("failing at " + n);
    return new Response(String(n));
  },
};`

// TestWarmReuse: by default every request starts from the snapshot; a
// module exporting config = { warm: true } keeps its state between
// successful requests, and a failed request sends the instance back to the
// snapshot.
func TestWarmReuse(t *testing.T) {
	ctx := context.Background()
	load := func(config string) *Worker {
		src := []byte(strings.Replace(counterWorker, "%s", config, 1))
		w, err := testEngine(t).Load(ctx, src, "worker.js", LoadOptions{MaxInstances: 1})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(w.Close)
		return w
	}
	cold := load("")
	if cold.Warm() {
		t.Fatal("a module without config is warm")
	}
	for i := 0; i < 3; i++ {
		if got := body(t, cold, get("http://fn.example/")); got != "1" {
			t.Fatalf("cold request %d saw %q", i, got)
		}
	}

	warm := load("export const config = { warm: true };")
	if !warm.Warm() {
		t.Fatal("config.warm not seen")
	}
	for i, want := range []string{"1", "2", "3"} {
		if got := body(t, warm, get("http://fn.example/")); got != want {
			t.Fatalf("warm request %d saw %q, want %q", i, got, want)
		}
	}
	if _, _, err := warm.Fetch(ctx, get("http://fn.example/fail"), Invocation{}); err == nil {
		t.Fatal("the failing request succeeded")
	}
	if got := body(t, warm, get("http://fn.example/")); got != "1" {
		t.Fatalf("after a failure the instance kept its state: %q", got)
	}
}
