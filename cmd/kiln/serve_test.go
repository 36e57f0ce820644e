package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/testenv"
)

// buildKiln compiles this command into a temp dir.
func buildKiln(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "kiln")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func startServe(t *testing.T, bin, dataDir string, port int) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--data", dataDir, "--addr", fmt.Sprintf("127.0.0.1:%d", port))
	cmd.Stdout = os.Stderr
	log, err := os.Create(filepath.Join(t.TempDir(), "serve.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	return cmd
}

// waitHealthy polls /v1/health until it answers 200, returning how long it took.
func waitHealthy(t *testing.T, port int, timeout time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	url := fmt.Sprintf("http://127.0.0.1:%d/v1/health", port)
	for time.Since(start) < timeout {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return time.Since(start)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("not healthy within %s", timeout)
	return 0
}

// apiCall sends an API request as the admin key and returns the status.
func apiCall(t *testing.T, port int, key, method, path, body string) int {
	t.Helper()
	req, err := http.NewRequest(method, fmt.Sprintf("http://127.0.0.1:%d%s", port, path), strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Appwrite-Project", "default")
	req.Header.Set("X-Appwrite-Key", strings.TrimSpace(key))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		t.Logf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	return resp.StatusCode
}

// After kill -9 of kiln (its managed Postgres left behind), the next start
// recovers with no manual cleanup, and SIGTERM then stops everything.
func TestServeRecoversAfterKill9(t *testing.T) {
	bin := buildKiln(t)
	data, err := os.MkdirTemp("", "kiln-serve-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(data)
	port := testenv.FreePort(t)

	first := startServe(t, bin, data, port)
	t.Logf("first start: healthy after %s", waitHealthy(t, port, 60*time.Second))
	key, err := os.ReadFile(filepath.Join(data, "admin.key"))
	if err != nil {
		t.Fatal(err)
	}
	// Something committed before the crash must be there after it.
	if code := apiCall(t, port, string(key), "POST", "/v1/functions", `{"functionId":"survivor","name":"Survivor","runtime":"wasi"}`); code != 201 {
		t.Fatalf("creating a function: status %d", code)
	}
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()

	second := startServe(t, bin, data, port)
	t.Logf("start after kill -9: healthy after %s", waitHealthy(t, port, 60*time.Second))
	if again, _ := os.ReadFile(filepath.Join(data, "admin.key")); string(again) != string(key) {
		t.Fatal("admin key changed across the crash")
	}
	if code := apiCall(t, port, string(key), "GET", "/v1/functions/survivor", ""); code != 200 {
		t.Fatalf("function created before the crash: status %d", code)
	}
	if err := second.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- second.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("kiln exited with %v after SIGTERM", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("kiln did not stop within 30s of SIGTERM")
	}
	if b, err := os.ReadFile(filepath.Join(data, "pg", "postmaster.pid")); err == nil {
		t.Fatalf("postgres still running after a clean stop: %s", strings.SplitN(string(b), "\n", 2)[0])
	}
}

func TestCLI(t *testing.T) {
	bin := buildKiln(t)
	run := func(env []string, args ...string) (string, error) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run(nil, "frobnicate")
	if err == nil || !strings.Contains(out, `unknown command "frobnicate"`) {
		t.Fatalf("unknown command: err=%v out=%s", err, out)
	}
	out, err = run(nil, "help")
	if err != nil {
		t.Fatalf("help: %v\n%s", err, out)
	}
	for _, want := range []string{"serve", "version", "--data", "$KILN_DATA", "./kiln_data", "--addr", "127.0.0.1:8080",
		"--database-url", "--s3-endpoint", "$KILN_S3_SECRET_KEY", "--s3-path-style", "--nats-port", "--nats-cluster-name",
		"--nats-cluster-port", "--nats-routes", "--functions-domain", "fn.localhost", "--body-limit", "30MiB", "--log-level"} {
		if !strings.Contains(out, want) {
			t.Errorf("help lacks %q", want)
		}
	}
	out, err = run(nil, "version")
	if err != nil || !strings.HasPrefix(out, "kiln ") {
		t.Fatalf("version: err=%v out=%s", err, out)
	}
	// The environment sets a flag; the command line wins over it.
	out, err = run([]string{"KILN_ADDR=from-env"}, "serve")
	if err == nil || !strings.Contains(out, `bad listen address "from-env"`) {
		t.Fatalf("env: err=%v out=%s", err, out)
	}
	out, err = run([]string{"KILN_ADDR=from-env"}, "serve", "--addr", "from-flag")
	if err == nil || !strings.Contains(out, `bad listen address "from-flag"`) {
		t.Fatalf("flag over env: err=%v out=%s", err, out)
	}
	out, err = run([]string{"KILN_BODY_LIMIT=lots"}, "serve")
	if err == nil || !strings.Contains(out, "$KILN_BODY_LIMIT") || !strings.Contains(out, "not a size") {
		t.Fatalf("bad env value: err=%v out=%s", err, out)
	}
	out, err = run(nil, "serve", "--log-level", "loud")
	if err == nil || !strings.Contains(out, `bad log level "loud"`) {
		t.Fatalf("bad log level: err=%v out=%s", err, out)
	}
}
