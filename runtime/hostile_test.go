package runtime

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

// hostileEngine is one engine shared by the hostile cases, with a good
// guest checked after each: a bad guest must end in its typed error and
// leave the node serving.
type hostileEngine struct {
	e    *Engine
	good *Deployment
}

func newHostileEngine(t *testing.T) *hostileEngine {
	e := newEngine(t, Config{})
	return &hostileEngine{e: e, good: deploy(t, e, buildReactor(t, helloReactor), DeploymentConfig{})}
}

func (h *hostileEngine) stillServes(t *testing.T) {
	t.Helper()
	res, err := h.good.Invoke(context.Background(), &Request{URL: "/after?q=1"})
	if err != nil || res.Status != 201 || string(res.Body) != "hello GET /after q=1" {
		t.Fatalf("the good guest failed after a hostile one: %v %d %q", err, res.Status, res.Body)
	}
}

func TestHostileReactor(t *testing.T) {
	h := newHostileEngine(t)
	bad := deploy(t, h.e, buildReactor(t, badReactor), DeploymentConfig{Limits: Limits{
		Fuel: 200_000_000, MemoryPages: 512, Timeout: 2 * time.Second, MaxOutputBytes: 1 << 20, MaxLogBytes: 64 << 10,
	}})
	cases := []struct {
		path string
		kind string
		is   error
	}{
		{"/loop", KindOutOfFuel, ErrOutOfFuel},
		{"/memory", KindMemoryLimit, ErrMemoryLimit},
		{"/big", KindOutputLimit, ErrOutputLimit},
		{"/sleep", KindDeadline, ErrDeadline},
		{"/exit", KindTrap, nil},
	}
	for _, c := range cases {
		t.Run(strings.TrimPrefix(c.path, "/"), func(t *testing.T) {
			res, err := bad.Invoke(context.Background(), &Request{URL: c.path})
			if res.ErrorKind != c.kind || (c.is != nil && !errors.Is(err, c.is)) {
				t.Fatalf("got kind %q, error %v; want %q", res.ErrorKind, err, c.kind)
			}
			if res.Status != 0 || res.Body != nil {
				t.Fatalf("a failed invocation returned a response: %d %q", res.Status, res.Body)
			}
			h.stillServes(t)
			// The failed instance is gone; the next request gets a fresh one.
			res, err = bad.Invoke(context.Background(), &Request{URL: "/ok"})
			if err != nil || string(res.Body) != "fine" || !res.ColdStart {
				t.Fatalf("after %s: %v %q cold=%v", c.path, err, res.Body, res.ColdStart)
			}
		})
	}
	t.Run("recurse", func(t *testing.T) {
		res, err := bad.Invoke(context.Background(), &Request{URL: "/recurse"})
		var trap *TrapError
		if !errors.As(err, &trap) && !errors.Is(err, ErrMemoryLimit) && !errors.Is(err, ErrOutOfFuel) {
			t.Fatalf("deep recursion ended with %v (kind %q)", err, res.ErrorKind)
		}
		h.stillServes(t)
	})
	t.Run("panic", func(t *testing.T) {
		res, err := bad.Invoke(context.Background(), &Request{URL: "/panic"})
		var trap *TrapError
		if !errors.As(err, &trap) || trap.Message != "panic: boom halfway" {
			t.Fatalf("got %v", err)
		}
		if !containsFrame(trap.Stack, "main.init") {
			t.Fatalf("stack lacks the handler's frame: %q", trap.Stack)
		}
		if res.Status != 0 || res.Body != nil || res.Header != nil {
			t.Fatalf("partial response surfaced: %d %q %v", res.Status, res.Body, res.Header)
		}
		h.stillServes(t)
	})
	t.Run("stdout", func(t *testing.T) {
		res, err := bad.Invoke(context.Background(), &Request{URL: "/stdout"})
		if err != nil || string(res.Body) != "flooded" {
			t.Fatalf("stdout flood: %v %q", err, res.Body)
		}
		if !res.LogsTruncated || logBytes(res.Logs) > 64<<10 {
			t.Fatalf("logs truncated=%v, %d bytes", res.LogsTruncated, logBytes(res.Logs))
		}
	})
}

func containsFrame(stack []string, s string) bool {
	for _, f := range stack {
		if strings.Contains(f, s) {
			return true
		}
	}
	return false
}

func logBytes(lines []LogLine) int {
	n := 0
	for _, l := range lines {
		n += len(l.Message)
	}
	return n
}

func TestHostileWAGI(t *testing.T) {
	h := newHostileEngine(t)
	bad := deploy(t, h.e, buildCommand(t, badCommand), DeploymentConfig{Limits: Limits{
		Timeout: 500 * time.Millisecond, MaxOutputBytes: 1 << 20, MaxLogBytes: 64 << 10,
	}})
	t.Run("stdin forever", func(t *testing.T) {
		pr, pw := io.Pipe()
		defer pw.Close()
		start := time.Now()
		res, err := bad.Invoke(context.Background(), &Request{URL: "/stdin", Body: pr})
		if !errors.Is(err, ErrDeadline) || res.ErrorKind != KindDeadline {
			t.Fatalf("got %v", err)
		}
		if wall := time.Since(start); wall > 5*time.Second {
			t.Fatalf("the deadline of 500ms took %v to act", wall)
		}
		h.stillServes(t)
	})
	t.Run("stdout flood", func(t *testing.T) {
		res, err := bad.Invoke(context.Background(), &Request{URL: "/stdout"})
		if !errors.Is(err, ErrOutputLimit) || res.Body != nil {
			t.Fatalf("got %v, body %d bytes", err, len(res.Body))
		}
		h.stillServes(t)
	})
	t.Run("stderr flood", func(t *testing.T) {
		res, err := bad.Invoke(context.Background(), &Request{URL: "/stderr"})
		if err != nil || string(res.Body) != "still answered" {
			t.Fatalf("got %v %q", err, res.Body)
		}
		if !res.LogsTruncated || logBytes(res.Logs) > 64<<10 || len(res.Logs) == 0 {
			t.Fatalf("logs truncated=%v, %d bytes in %d lines", res.LogsTruncated, logBytes(res.Logs), len(res.Logs))
		}
	})
	t.Run("not CGI", func(t *testing.T) {
		res, err := bad.Invoke(context.Background(), &Request{URL: "/garbage"})
		if !errors.Is(err, ErrBadResponse) || res.ErrorKind != KindBadResponse {
			t.Fatalf("got %v", err)
		}
	})
}

func TestHostileHandAssembled(t *testing.T) {
	h := newHostileEngine(t)
	lim := Limits{Fuel: 50_000_000, MemoryPages: 64}
	t.Run("infinite loop", func(t *testing.T) {
		d := deploy(t, h.e, loopForeverWasm(), DeploymentConfig{Limits: lim})
		res, err := d.Invoke(context.Background(), &Request{})
		if !errors.Is(err, ErrOutOfFuel) || res.Fuel != lim.Fuel {
			t.Fatalf("got %v, fuel %d", err, res.Fuel)
		}
		h.stillServes(t)
	})
	t.Run("recursion", func(t *testing.T) {
		d := deploy(t, h.e, recursionWasm(), DeploymentConfig{Limits: lim})
		_, err := d.Invoke(context.Background(), &Request{})
		// wazero reports a stack overflow without unwinding the frames
		// (that unwinding is what overflowed), so the trap has no stack.
		var trap *TrapError
		if !errors.As(err, &trap) || !strings.Contains(trap.Message, "stack overflow") || ErrorKind(err) != KindTrap {
			t.Fatalf("got %v", err)
		}
		h.stillServes(t)
	})
	t.Run("memory bomb", func(t *testing.T) {
		d := deploy(t, h.e, memoryBombWasm(), DeploymentConfig{Limits: lim})
		res, err := d.Invoke(context.Background(), &Request{})
		if !errors.Is(err, ErrMemoryLimit) || res.PeakMemory != 64<<16 {
			t.Fatalf("got %v, peak %d", err, res.PeakMemory)
		}
		h.stillServes(t)
	})
}

func TestRefusedModules(t *testing.T) {
	h := newHostileEngine(t)
	ctx := context.Background()
	hello := wagiHelloWasm()
	cases := []struct {
		name string
		wasm []byte
		kind string
		want string
	}{
		{"not wasm", []byte("#!/bin/sh\necho pwned\n"), KindInvalidModule, ""},
		{"truncated", hello[:len(hello)-7], KindInvalidModule, ""},
		{"empty", nil, KindInvalidModule, ""},
		{"unknown import", unknownImportWasm(), KindUnknownImport, "env.steal_secrets"},
		{"wrong signature", wrongSignatureWasm(), KindUnknownImport, "wasi_snapshot_preview1.fd_write"},
		{"refills fuel", fuelExportWasm(), KindInvalidModule, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := h.e.Compile(ctx, c.wasm)
			if err == nil {
				m.Close(ctx)
				t.Fatal("compiled")
			}
			if ErrorKind(err) != c.kind || !errors.Is(err, ErrInvalidModule) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v (kind %q), want kind %q naming %q", err, ErrorKind(err), c.kind, c.want)
			}
			h.stillServes(t)
		})
	}
}
