package runtime

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
)

func TestWAGIRequestAndResponse(t *testing.T) {
	e := newEngine(t, Config{})
	d := deploy(t, e, buildCommand(t, wagiEcho), DeploymentConfig{Env: map[string]string{"GREETING": "hi"}})
	if d.ABI() != ABIWAGI {
		t.Fatalf("detected ABI %q", d.ABI())
	}
	req := &Request{
		Method: "PUT", URL: "/api/items/7?full=1", Host: "fn.example:8080", Route: "/api/...",
		Header: http.Header{"Content-Type": {"text/plain"}, "X-Token": {"s3"}},
		Body:   strings.NewReader("payload"),
	}
	res, err := d.Invoke(context.Background(), req)
	if err != nil {
		t.Fatalf("invoke: %v (logs %v)", err, res.Logs)
	}
	want := strings.Join([]string{
		"REQUEST_METHOD=PUT", "PATH_INFO=/items/7", "QUERY_STRING=full=1", "CONTENT_TYPE=text/plain",
		"CONTENT_LENGTH=7", "HTTP_X_TOKEN=s3", "X_MATCHED_ROUTE=/api/...", "SERVER_NAME=fn.example",
		"GREETING=hi", "body=payload", "",
	}, "\n")
	if res.Status != 200 || string(res.Body) != want || res.Header.Get("X-Script") != "/api" {
		t.Fatalf("got %d %v\n%s\nwant\n%s", res.Status, res.Header, res.Body, want)
	}
	if res.BytesIn != 7 || res.BytesOut != int64(len(want)) || res.Fuel == 0 {
		t.Fatalf("measures: in %d out %d fuel %d", res.BytesIn, res.BytesOut, res.Fuel)
	}
	if len(res.Logs) != 1 || res.Logs[0].Message != "serving PUT" || res.Logs[0].Stream != "stderr" {
		t.Fatalf("logs %+v", res.Logs)
	}

	res, err = d.Invoke(context.Background(), &Request{URL: "/api/missing", Route: "/api/..."})
	if err != nil || res.Status != 404 || string(res.Body) != "no such thing" {
		t.Fatalf("404 case: %v %d %q", err, res.Status, res.Body)
	}
	res, err = d.Invoke(context.Background(), &Request{URL: "/api/moved", Route: "/api/..."})
	if err != nil || res.Status != 302 || res.Header.Get("Location") != "/elsewhere" {
		t.Fatalf("redirect case: %v %d %v", err, res.Status, res.Header)
	}
	res, err = d.Invoke(context.Background(), &Request{URL: "/api/fail", Route: "/api/..."})
	var trap *TrapError
	if !errors.As(err, &trap) || trap.ExitCode != 3 || res.ErrorKind != KindTrap || res.Status != 0 {
		t.Fatalf("exit 3 case: %v kind %q status %d", err, res.ErrorKind, res.Status)
	}
	if len(res.Logs) != 2 || res.Logs[1].Message != "giving up" {
		t.Fatalf("exit 3 logs %+v", res.Logs)
	}
}

func TestWAGIHandAssembled(t *testing.T) {
	e := newEngine(t, Config{})
	d := deploy(t, e, wagiHelloWasm(), DeploymentConfig{})
	res, err := d.Invoke(context.Background(), &Request{})
	if err != nil || res.Status != 200 || string(res.Body) != "hello from wat\n" || res.Header.Get("Content-Type") != "text/plain" {
		t.Fatalf("got %v %d %q %v", err, res.Status, res.Body, res.Header)
	}
}
