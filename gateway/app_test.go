package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/gofiber/fiber/v2"
)

type apiErr struct {
	Message string `json:"message"`
	Code    int    `json:"code"`
	Type    string `json:"type"`
	Version string `json:"version"`
}

// serve runs a on a real listener for the test (fasthttp enforces body
// limits while reading from the connection, which Fiber's Test bypasses).
func serve(t *testing.T, a *App) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go a.Serve(ln)
	t.Cleanup(func() { _ = a.Shutdown(context.Background()) })
	return "http://" + ln.Addr().String()
}

func do(t *testing.T, base string, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	u, _ := url.Parse(base + req.URL.RequestURI())
	req.URL, req.RequestURI, req.Host = u, "", u.Host
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

func decodeErr(t *testing.T, body []byte) apiErr {
	t.Helper()
	var e apiErr
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body is not JSON: %s", body)
	}
	return e
}

var errDomainMissing = errors.New("thing missing")

func newTestApp() *App {
	a := New(Config{BodyLimit: 1024})
	a.MapErrors(func(err error) *APIError {
		if errors.Is(err, errDomainMissing) {
			return NewError(404, "thing_not_found", "Thing with the requested ID could not be found.")
		}
		return nil
	})
	r := a.Router()
	r.Get("/v1/panic", func(c *fiber.Ctx) error { panic("secret internals") })
	r.Get("/v1/missing", func(c *fiber.Ctx) error { return errDomainMissing })
	r.Get("/v1/oops", func(c *fiber.Ctx) error { return errors.New("db password is hunter2") })
	r.Post("/v1/echo", func(c *fiber.Ctx) error { return c.Send(c.Body()) })
	return a
}

func TestErrorShape(t *testing.T) {
	a := serve(t, newTestApp())
	cases := []struct {
		name, method, path string
		body               string
		status             int
		typ                string
	}{
		{"unknown route", "GET", "/v1/nope", "", 404, TypeGeneralNotFound},
		{"wrong method", "DELETE", "/v1/echo", "", 405, TypeGeneralMethod},
		{"body over limit", "POST", "/v1/echo", strings.Repeat("x", 2048), 413, TypePayloadTooLarge},
		{"panic", "GET", "/v1/panic", "", 500, TypeGeneralUnknown},
		{"domain error", "GET", "/v1/missing", "", 404, "thing_not_found"},
		{"internal error", "GET", "/v1/oops", "", 500, TypeGeneralUnknown},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
			resp, body := do(t, a, req)
			if resp.StatusCode != tc.status {
				t.Fatalf("status = %d, want %d (%s)", resp.StatusCode, tc.status, body)
			}
			e := decodeErr(t, body)
			if e.Code != tc.status || e.Type != tc.typ || e.Message == "" || e.Version == "" {
				t.Fatalf("error = %+v", e)
			}
			if strings.Contains(string(body), "secret internals") || strings.Contains(string(body), "hunter2") || strings.Contains(string(body), "goroutine") {
				t.Fatalf("internals leaked: %s", body)
			}
			if resp.Header.Get(HeaderRequestID) == "" {
				t.Fatal("no request id on an error response")
			}
		})
	}
}

func TestRequestID(t *testing.T) {
	a := serve(t, newTestApp())
	req := httptest.NewRequest("POST", "/v1/echo", strings.NewReader("hi"))
	req.Header.Set(HeaderRequestID, "abc-123")
	resp, body := do(t, a, req)
	if string(body) != "hi" || resp.Header.Get(HeaderRequestID) != "abc-123" {
		t.Fatalf("incoming id not kept: %q %q", body, resp.Header.Get(HeaderRequestID))
	}
	req = httptest.NewRequest("POST", "/v1/echo", nil)
	req.Header.Set(HeaderRequestID, "bad id <script>")
	resp, _ = do(t, a, req)
	if id := resp.Header.Get(HeaderRequestID); id == "" || strings.Contains(id, " ") {
		t.Fatalf("unsafe id kept: %q", id)
	}
	r1, _ := do(t, a, httptest.NewRequest("POST", "/v1/echo", nil))
	r2, _ := do(t, a, httptest.NewRequest("POST", "/v1/echo", nil))
	if r1.Header.Get(HeaderRequestID) == r2.Header.Get(HeaderRequestID) {
		t.Fatal("two requests got the same id")
	}
}

func TestHealth(t *testing.T) {
	up := Check{Name: "database", Run: func(context.Context) (string, error) { return "15.18", nil }}
	a := serve(t, New(Config{Checks: []Check{up}, HealthInfo: map[string]any{"schemaVersion": 3}}))
	resp, body := do(t, a, httptest.NewRequest("GET", "/v1/health", nil))
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var h struct {
		Status        string                `json:"status"`
		SchemaVersion int                   `json:"schemaVersion"`
		Parts         map[string]partHealth `json:"parts"`
	}
	if err := json.Unmarshal(body, &h); err != nil {
		t.Fatal(err)
	}
	if h.Status != "ok" || h.SchemaVersion != 3 || h.Parts["database"].Status != "ok" || h.Parts["database"].Version != "15.18" {
		t.Fatalf("health = %s", body)
	}

	down := Check{Name: "nats", Run: func(context.Context) (string, error) { return "", errors.New("connection lost") }}
	a = serve(t, New(Config{Checks: []Check{up, down}}))
	resp, body = do(t, a, httptest.NewRequest("GET", "/v1/health", nil))
	if resp.StatusCode != 503 || !strings.Contains(string(body), "connection lost") || !strings.Contains(string(body), `"status":"down"`) {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
}

func TestMetrics(t *testing.T) {
	a := serve(t, newTestApp())
	do(t, a, httptest.NewRequest("POST", "/v1/echo", strings.NewReader("x")))
	do(t, a, httptest.NewRequest("POST", "/v1/echo", strings.NewReader("y")))
	do(t, a, httptest.NewRequest("GET", "/v1/nope", nil))
	do(t, a, httptest.NewRequest("GET", "/v1/missing", nil))
	do(t, a, httptest.NewRequest("GET", "/v1/panic", nil))
	resp, body := do(t, a, httptest.NewRequest("GET", "/metrics", nil))
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("status %d type %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{
		`kiln_http_requests_total{method="POST",route="/v1/echo",status="200"} 2`,
		// Unknown paths share one label, so probes cannot grow the series.
		`kiln_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		// Statuses are the ones the client got: a mapped domain error, a panic.
		`kiln_http_requests_total{method="GET",route="/v1/missing",status="404"} 1`,
		`kiln_http_requests_total{method="GET",route="/v1/panic",status="500"} 1`,
		`kiln_http_request_duration_seconds_count{route="/v1/echo"} 2`,
		`kiln_http_request_duration_seconds_bucket{route="/v1/echo",le="+Inf"} 2`,
		"\ngo_goroutines ",
		"\nprocess_resident_memory_bytes ",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if t.Failed() {
		t.Logf("metrics:\n%s", body)
	}
}

// A panic reaches the operator's log with its stack, never the client.
func TestPanicLogged(t *testing.T) {
	var logs strings.Builder
	var mu sync.Mutex
	a := New(Config{Logger: slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, nil))})
	a.Router().Get("/v1/panic", func(c *fiber.Ctx) error { panic("secret internals") })
	base := serve(t, a)
	resp, body := do(t, base, httptest.NewRequest("GET", "/v1/panic", nil))
	if resp.StatusCode != 500 || strings.Contains(string(body), "secret internals") {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, want := range []string{"secret internals", "goroutine", resp.Header.Get(HeaderRequestID)} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
