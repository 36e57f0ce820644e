package quickjs

import (
	"testing"
)

func TestWorkersHello(t *testing.T) {
	w := load(t, `export default { async fetch(request, env, ctx) { return new Response("hello " + new URL(request.url).pathname) } }`, LoadOptions{})
	resp, stats := do(t, w, get("http://example.com/world"))
	if resp.Status != 200 || string(resp.Body) != "hello /world" {
		t.Fatalf("got %d %q", resp.Status, resp.Body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/plain;charset=UTF-8" {
		t.Errorf("content-type %q", ct)
	}
	t.Logf("stats: %+v", stats)
}
