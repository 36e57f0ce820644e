package runtime

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestHalfMisbehave runs 100 invocations at once on one engine, half of
// them hostile (runaway loops, memory bombs, oversize output, panics,
// exits, sleeps past the deadline): every good one answers correctly and
// every bad one ends in its own typed error.
func TestHalfMisbehave(t *testing.T) {
	e := newEngine(t, Config{})
	good := deploy(t, e, buildReactor(t, helloReactor), DeploymentConfig{})
	// The timeout is generous so that queueing for instances on a loaded
	// machine never looks like a hostile guest; /sleep gets a short
	// deadline of its own from its context.
	bad := deploy(t, e, buildReactor(t, badReactor), DeploymentConfig{Limits: Limits{
		Fuel: 100_000_000, MemoryPages: 512, Timeout: time.Minute, MaxOutputBytes: 1 << 20,
	}})
	hostile := []struct {
		path string
		kind string
	}{
		{"/loop", KindOutOfFuel}, {"/memory", KindMemoryLimit}, {"/big", KindOutputLimit},
		{"/panic", KindTrap}, {"/exit", KindTrap}, {"/sleep", KindDeadline},
	}
	const n = 100
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				q := fmt.Sprint(i)
				res, err := good.Invoke(context.Background(), &Request{URL: "/g?q=" + q})
				if err != nil || res.Status != 201 || string(res.Body) != "hello GET /g q="+q {
					errs <- fmt.Errorf("good request %d: %v %d %q", i, err, res.Status, res.Body)
				}
				return
			}
			h := hostile[(i/2)%len(hostile)]
			ctx := context.Background()
			if h.path == "/sleep" {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, 2*time.Second)
				defer cancel()
			}
			res, err := bad.Invoke(ctx, &Request{URL: h.path})
			if res.ErrorKind != h.kind || ErrorKind(err) != h.kind {
				errs <- fmt.Errorf("hostile %s: kind %q, error %v", h.path, res.ErrorKind, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	res, err := bad.Invoke(context.Background(), &Request{URL: "/ok"})
	if err != nil || string(res.Body) != "fine" {
		t.Fatalf("the hostile deployment no longer serves good requests: %v %q", err, res.Body)
	}
	var trap *TrapError
	if _, err := bad.Invoke(context.Background(), &Request{URL: "/panic"}); !errors.As(err, &trap) {
		t.Fatalf("panic after the storm: %v", err)
	}
}
