package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kilnhq/kiln/builder"
	"github.com/kilnhq/kiln/builder/archive"
	"github.com/kilnhq/kiln/internal/testenv"
	"github.com/kilnhq/kiln/internal/wasmtest"
	"github.com/kilnhq/kiln/platform"
	"github.com/kilnhq/kiln/store/db"
	"github.com/kilnhq/kiln/store/objects"
)

// newDeployEnv is newAPIEnv plus NATS, object storage and a build worker.
func newDeployEnv(t *testing.T, maxSource int64) (apiEnv, *platform.Platform) {
	t.Helper()
	return newPlatformEnv(t, maxSource, nil)
}

// newPlatformEnv is newDeployEnv with a runner for executions.
func newPlatformEnv(t *testing.T, maxSource int64, runner platform.Runner) (apiEnv, *platform.Platform) {
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
	secret := platform.NewSecret()
	if _, err := d.CreateKey(ctx, db.Key{ID: "admin", ProjectID: "p1", Name: "admin", SecretHash: platform.HashSecret(secret), Scopes: platform.Scopes}); err != nil {
		t.Fatal(err)
	}
	b := testenv.NATS(t)
	store, err := objects.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	bld, err := builder.New(builder.Config{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	cfg := platform.Config{DB: d, SecretKey: make([]byte, 32), Objects: store, NATS: b.Conn(),
		JetStream: b.JetStream(), Builder: bld, MaxSourceBytes: maxSource, Runner: runner}
	p, err := platform.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.StartBuildWorker(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.StopBuildWorker)
	a := New(Config{})
	a.MountTriggers(p, "fn.localhost")
	a.MountFunctions(p)
	return apiEnv{base: serve(t, a), admin: secret, cfg: cfg}, p
}

// tarball packs files (name → content) as a deployment archive.
func tarball(t *testing.T, files map[string][]byte) []byte {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := archive.Pack(context.Background(), dir, &buf, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// upload posts code as multipart, optionally as one chunk of a larger upload.
func (e apiEnv) upload(t *testing.T, fn string, code []byte, activate bool, contentRange, uploadID string) (int, map[string]any) {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	fw, _ := w.CreateFormFile("code", "code.tar.gz")
	fw.Write(code)
	w.WriteField("activate", fmt.Sprint(activate))
	w.Close()
	req, _ := http.NewRequest("POST", e.base+"/v1/functions/"+fn+"/deployments", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set(HeaderProject, "p1")
	req.Header.Set(HeaderKey, e.admin)
	if contentRange != "" {
		req.Header.Set("Content-Range", contentRange)
	}
	if uploadID != "" {
		req.Header.Set("X-Appwrite-Id", uploadID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// waitStatus polls a deployment until its status is final.
func (e apiEnv) waitStatus(t *testing.T, fn, id string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		_, d := e.call(t, e.admin, "GET", "/v1/functions/"+fn+"/deployments/"+id, nil)
		switch d["status"] {
		case "ready", "failed", "canceled":
			return d
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("deployment %s did not finish", id)
	return nil
}

func helloWASI(t *testing.T) []byte {
	return wasmtest.BuildGo(t, map[string]string{"main.go": "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Print(\"Content-Type: text/plain\\n\\nhello\") }\n"}, wasmtest.GoOptions{})
}

func TestDeployBuildActivateRollback(t *testing.T) {
	e, _ := newDeployEnv(t, 0)
	e.call(t, e.admin, "POST", "/v1/functions", map[string]any{"functionId": "fn", "name": "fn", "runtime": "wasi"})
	wasm := helloWASI(t)
	code, d1 := e.upload(t, "fn", tarball(t, map[string][]byte{"main.wasm": wasm}), true, "", "")
	if code != 202 || d1["status"] != "waiting" || d1["resourceId"] != "fn" {
		t.Fatalf("upload: %d %v", code, d1)
	}
	id1 := d1["$id"].(string)
	done := e.waitStatus(t, "fn", id1)
	if done["status"] != "ready" || done["buildSize"].(float64) == 0 || !strings.Contains(done["buildLogs"].(string), "Build ready") {
		t.Fatalf("build: %v", done)
	}
	_, fn := e.call(t, e.admin, "GET", "/v1/functions/fn", nil)
	if fn["deploymentId"] != id1 {
		t.Fatalf("activate=true did not activate: %v", fn["deploymentId"])
	}

	// A second deployment that fails to build leaves the first serving.
	code, d2 := e.upload(t, "fn", tarball(t, map[string][]byte{"main.wasm": []byte("\x00asm garbage")}), true, "", "")
	if code != 202 {
		t.Fatalf("upload 2: %d %v", code, d2)
	}
	failed := e.waitStatus(t, "fn", d2["$id"].(string))
	if failed["status"] != "failed" || !strings.Contains(failed["buildLogs"].(string), "Build failed") {
		t.Fatalf("bad wasm: %v", failed)
	}
	_, fn = e.call(t, e.admin, "GET", "/v1/functions/fn", nil)
	if fn["deploymentId"] != id1 {
		t.Fatal("a failed build changed the active deployment")
	}
	if code, body := e.call(t, e.admin, "PATCH", "/v1/functions/fn/deployment", map[string]any{"deploymentId": d2["$id"]}); code != 400 {
		t.Fatalf("activating a failed deployment: %d %v", code, body)
	}

	// A third ready deployment, activated explicitly, then rolled back.
	_, d3 := e.upload(t, "fn", tarball(t, map[string][]byte{"main.wasm": wasm, "README": []byte("v3")}), false, "", "")
	id3 := d3["$id"].(string)
	e.waitStatus(t, "fn", id3)
	_, fn = e.call(t, e.admin, "GET", "/v1/functions/fn", nil)
	if fn["deploymentId"] != id1 {
		t.Fatal("activate=false activated")
	}
	if code, fn = e.call(t, e.admin, "PATCH", "/v1/functions/fn/deployment", map[string]any{"deploymentId": id3}); code != 200 || fn["deploymentId"] != id3 {
		t.Fatalf("activate: %d %v", code, fn)
	}
	if code, fn = e.call(t, e.admin, "PATCH", "/v1/functions/fn/deployment", map[string]any{"deploymentId": id1}); code != 200 || fn["deploymentId"] != id1 {
		t.Fatalf("rollback: %d %v", code, fn)
	}
	// Activations racing each other all succeed and leave one of them active.
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		for _, id := range []string{id1, id3} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if code, body := e.call(t, e.admin, "PATCH", "/v1/functions/fn/deployment", map[string]any{"deploymentId": id}); code != 200 {
					t.Errorf("concurrent activation: %d %v", code, body)
				}
			}()
		}
	}
	wg.Wait()
	if _, fn = e.call(t, e.admin, "GET", "/v1/functions/fn", nil); fn["deploymentId"] != id1 && fn["deploymentId"] != id3 {
		t.Fatalf("after concurrent activations: %v", fn["deploymentId"])
	}
	e.call(t, e.admin, "PATCH", "/v1/functions/fn/deployment", map[string]any{"deploymentId": id1})
	if code, body := e.call(t, e.admin, "DELETE", "/v1/functions/fn/deployments/"+id1, nil); code != 400 {
		t.Fatalf("deleting the active deployment: %d %v", code, body)
	}
	if code, _ := e.call(t, e.admin, "DELETE", "/v1/functions/fn/deployments/"+id3, nil); code != 204 {
		t.Fatalf("delete inactive: %d", code)
	}
	_, list := e.call(t, e.admin, "GET", "/v1/functions/fn/deployments", nil)
	if list["total"] != 2.0 {
		t.Fatalf("list after delete: %v", list)
	}
	if code, body := e.call(t, e.admin, "PATCH", "/v1/functions/fn/deployments/"+id1+"/status", nil); code != 400 {
		t.Fatalf("cancel a finished build: %d %v", code, body)
	}

	// The build output downloads as the instrumented module.
	req, _ := http.NewRequest("GET", e.base+"/v1/functions/fn/deployments/"+id1+"/download?type=output", nil)
	req.Header.Set(HeaderProject, "p1")
	req.Header.Set(HeaderKey, e.admin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.HasPrefix(out, []byte("\x00asm")) || int64(len(out)) != int64(done["buildSize"].(float64)) {
		t.Fatalf("download: %d, %d bytes", resp.StatusCode, len(out))
	}
}

func TestChunkedUpload(t *testing.T) {
	e, _ := newDeployEnv(t, 0)
	e.call(t, e.admin, "POST", "/v1/functions", map[string]any{"functionId": "fn", "name": "fn", "runtime": "wasi"})
	code := tarball(t, map[string][]byte{"main.wasm": helloWASI(t)})
	half := len(code) / 2
	total := len(code)
	st, first := e.upload(t, "fn", code[:half], true, fmt.Sprintf("bytes 0-%d/%d", half-1, total), "")
	if st != 202 {
		t.Fatalf("first chunk: %d %v", st, first)
	}
	id := first["$id"].(string)
	if st, body := e.upload(t, "fn", code[half:], true, fmt.Sprintf("bytes %d-%d/%d", half, total-1, total), ""); st != 400 {
		t.Fatalf("second chunk without x-appwrite-id: %d %v", st, body)
	}
	st, last := e.upload(t, "fn", code[half:], true, fmt.Sprintf("bytes %d-%d/%d", half, total-1, total), id)
	if st != 202 || last["$id"] != id || last["sourceSize"] != float64(total) {
		t.Fatalf("last chunk: %d %v", st, last)
	}
	if d := e.waitStatus(t, "fn", id); d["status"] != "ready" {
		t.Fatalf("chunked deployment: %v", d)
	}
	if st, body := e.upload(t, "fn", code[:10], false, "bytes 0-9/5", ""); st != 400 {
		t.Fatalf("bad content range: %d %v", st, body)
	}
}

func TestUploadLimitsAndBadArchives(t *testing.T) {
	e, _ := newDeployEnv(t, 4096)
	e.call(t, e.admin, "POST", "/v1/functions", map[string]any{"functionId": "fn", "name": "fn", "runtime": "wasi"})
	big := bytes.Repeat([]byte("x"), 5000)
	if st, body := e.upload(t, "fn", big, false, "", ""); st != 413 {
		t.Fatalf("oversize upload: %d %v", st, body)
	}
	if st, body := e.upload(t, "fn", big[:100], false, "bytes 0-99/100000", ""); st != 413 {
		t.Fatalf("oversize chunked upload: %d %v", st, body)
	}
	st, d := e.upload(t, "fn", []byte("this is not a tarball"), false, "", "")
	if st != 202 {
		t.Fatalf("upload: %d %v", st, d)
	}
	failed := e.waitStatus(t, "fn", d["$id"].(string))
	if failed["status"] != "failed" || !strings.Contains(failed["buildLogs"].(string), "unpacking source") {
		t.Fatalf("garbage archive: %v", failed)
	}
	if st, body := e.upload(t, "missing", big[:10], false, "", ""); st != 404 || body["type"] != "function_not_found" {
		t.Fatalf("unknown function: %d %v", st, body)
	}
}
