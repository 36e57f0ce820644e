package runtime

import (
	"context"
	"testing"
)

func newEngine(t testing.TB, cfg Config) *Engine {
	t.Helper()
	e, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.Close(context.Background()); err != nil {
			t.Errorf("closing engine: %v", err)
		}
	})
	return e
}

func deploy(t testing.TB, e *Engine, wasm []byte, cfg DeploymentConfig) *Deployment {
	t.Helper()
	ctx := context.Background()
	m, err := e.Compile(ctx, wasm)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close(ctx)
	d, err := e.Deploy(t.Name(), m, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	return d
}

func TestReactorHello(t *testing.T) {
	e := newEngine(t, Config{})
	d := deploy(t, e, buildReactor(t, helloReactor), DeploymentConfig{Env: map[string]string{"GREETING": "hi"}})
	for i := 0; i < 3; i++ {
		res, err := d.Invoke(context.Background(), &Request{Method: "POST", URL: "/x/y?q=7"})
		if err != nil {
			t.Fatalf("invoke %d: %v (logs %v)", i, err, res.Logs)
		}
		if res.Status != 201 || string(res.Body) != "hello POST /x/y q=7" || res.Header.Get("X-Greeting") != "hi" {
			t.Fatalf("got %d %q %v", res.Status, res.Body, res.Header)
		}
		if (i == 0) != res.ColdStart {
			t.Fatalf("invoke %d: cold start %v", i, res.ColdStart)
		}
		t.Logf("fuel %d init %d wall %v peak %d", res.Fuel, res.InitFuel, res.Wall, res.PeakMemory)
	}
}
