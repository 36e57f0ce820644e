package gateway

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/sdk/client"
)

// TestBuildLogWebSocket follows a build's log over the WebSocket route the
// CLI uses, during the build and after it, and checks the plain-HTTP and
// unknown-deployment answers.
func TestBuildLogWebSocket(t *testing.T) {
	e, _ := newDeployEnv(t, 0)
	e.call(t, e.admin, "POST", "/v1/functions", map[string]any{"functionId": "fn", "name": "fn", "runtime": "wasi"})
	c := &client.Client{Endpoint: e.base + "/v1", Project: "p1", Key: e.admin}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	_, d := e.upload(t, "fn", tarball(t, map[string][]byte{"main.wasm": helloWASI(t)}), true, "", "")
	id := d["$id"].(string)
	var live strings.Builder
	got, err := c.FollowBuildLog(ctx, "fn", id, func(s string) { live.WriteString(s) })
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != "ready" || got.BuildLogs == "" || live.String() != got.BuildLogs {
		t.Fatalf("status %q; streamed %q, saved %q", got.Status, live.String(), got.BuildLogs)
	}
	if !strings.Contains(live.String(), "Build ready") {
		t.Fatalf("log: %q", live.String())
	}
	// After the build, the stream replays the saved log and ends.
	var again strings.Builder
	if got2, err := c.FollowBuildLog(ctx, "fn", id, func(s string) { again.WriteString(s) }); err != nil || got2.Status != "ready" || again.String() != got.BuildLogs {
		t.Fatalf("after the build: %v %q %q", err, got2.Status, again.String())
	}

	// A failed build streams its errors.
	_, bad := e.upload(t, "fn", tarball(t, map[string][]byte{"main.wasm": []byte("not wasm")}), true, "", "")
	var failLog strings.Builder
	failed, err := c.WaitDeployment(ctx, "fn", bad["$id"].(string), func(s string) { failLog.WriteString(s) })
	if err != nil || failed.Status != "failed" || !strings.Contains(failLog.String(), "Build failed") {
		t.Fatalf("failed build: %v %q %q", err, failed.Status, failLog.String())
	}

	// Plain HTTP is told to upgrade; an unknown deployment is a 404.
	req, _ := http.NewRequest("GET", e.base+"/v1/functions/fn/deployments/"+id+"/logs", nil)
	req.Header.Set(HeaderProject, "p1")
	req.Header.Set(HeaderKey, e.admin)
	if resp, body := do(t, e.base, req); resp.StatusCode != http.StatusUpgradeRequired || !strings.Contains(string(body), "WebSocket") {
		t.Fatalf("plain GET: %d %s", resp.StatusCode, body)
	}
	_, err = c.FollowBuildLog(ctx, "fn", "nope", nil)
	var apiErr *client.Error
	if !errors.As(err, &apiErr) || apiErr.Status != 404 || apiErr.Type != "deployment_not_found" {
		t.Fatalf("unknown deployment: %v", err)
	}
	// Without the read scope, the upgrade is refused.
	noKey := &client.Client{Endpoint: e.base + "/v1", Project: "p1"}
	if _, err := noKey.FollowBuildLog(ctx, "fn", id, nil); !errors.As(err, &apiErr) || apiErr.Status != 401 {
		t.Fatalf("no key: %v", err)
	}
}
