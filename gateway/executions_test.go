package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kilnhq/kiln/store/db"
)

func TestExecutionRecordsAndQueries(t *testing.T) {
	e, p := newDeployEnv(t, 0)
	ctx := context.Background()
	e.call(t, e.admin, "POST", "/v1/functions", map[string]any{"functionId": "fn", "name": "fn", "runtime": "wasi"})
	rec, err := p.StartRecorder(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Stop()

	base := time.Now().UTC().Add(-time.Minute)
	for i := 0; i < 10; i++ {
		status := "completed"
		if i%3 == 0 {
			status = "failed"
		}
		ex := db.Execution{ProjectID: "p1", ID: fmt.Sprintf("e%02d", i), FunctionID: "fn", Trigger: "http", Status: status,
			RequestMethod: "GET", RequestPath: "/", ResponseStatusCode: 200 + i, Duration: float64(i) / 100, Fuel: int64(1000 * i),
			Memory: 65536, CreatedAt: base.Add(time.Duration(i) * time.Second),
			ResponseHeaders: []db.Header{{Name: "content-type", Value: "text/plain"}}}
		if err := p.RecordExecution(ctx, ex); err != nil {
			t.Fatal(err)
		}
		// A redelivered copy changes nothing.
		if err := p.RecordExecution(ctx, ex); err != nil {
			t.Fatal(err)
		}
	}
	// A stale "processing" record for a finished execution must not win.
	if err := p.RecordExecution(ctx, db.Execution{ProjectID: "p1", ID: "e05", FunctionID: "fn", Trigger: "http", Status: "processing", CreatedAt: base}); err != nil {
		t.Fatal(err)
	}

	q := func(qs ...string) string {
		v := url.Values{}
		for i, s := range qs {
			v.Set(fmt.Sprintf("queries[%d]", i), s)
		}
		return "/v1/functions/fn/executions?" + v.Encode()
	}
	deadline := time.Now().Add(15 * time.Second)
	var list map[string]any
	for time.Now().Before(deadline) {
		_, list = e.call(t, e.admin, "GET", "/v1/functions/fn/executions", nil)
		if list["total"] == 10.0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if list["total"] != 10.0 {
		t.Fatalf("records written: %v", list["total"])
	}
	first := list["executions"].([]any)[0].(map[string]any)
	if first["$id"] != "e09" || first["fuel"] != 9000.0 || first["memory"] != 65536.0 {
		t.Fatalf("newest first with usage: %v", first)
	}
	_, e05 := e.call(t, e.admin, "GET", "/v1/functions/fn/executions/e05", nil)
	if e05["status"] != "completed" || e05["responseStatusCode"] != 205.0 {
		t.Fatalf("stale record overwrote a finished one: %v", e05)
	}
	ids := func(body map[string]any) string {
		var out []string
		for _, x := range body["executions"].([]any) {
			out = append(out, x.(map[string]any)["$id"].(string))
		}
		return strings.Join(out, ",")
	}
	for _, tc := range []struct {
		queries []string
		want    string
	}{
		{[]string{`{"method":"equal","attribute":"status","values":["failed"]}`}, "e09,e06,e03,e00"},
		{[]string{`{"method":"lessThan","attribute":"duration","values":[0.03]}`, `{"method":"orderAsc","attribute":"$createdAt"}`}, "e00,e01,e02"},
		{[]string{`{"method":"orderDesc","attribute":"fuel"}`, `{"method":"limit","values":[2]}`}, "e09,e08"},
		{[]string{`{"method":"orderDesc","attribute":"$createdAt"}`, `{"method":"cursorAfter","values":["e05"]}`, `{"method":"limit","values":[3]}`}, "e04,e03,e02"},
		{[]string{`{"method":"greaterThanEqual","attribute":"responseStatusCode","values":[208]}`, `{"method":"orderAsc","attribute":"responseStatusCode"}`}, "e08,e09"},
	} {
		_, body := e.call(t, e.admin, "GET", q(tc.queries...), nil)
		if got := ids(body); got != tc.want {
			t.Errorf("queries %v = %s, want %s", tc.queries, got, tc.want)
		}
	}
	if code, body := e.call(t, e.admin, "GET", q(`{"method":"lessThan","attribute":"duration","values":["slow"]}`), nil); code != 400 || body["type"] != "general_query_invalid" {
		t.Fatalf("mistyped query value: %d %v", code, body)
	}
	if code, _ := e.call(t, e.admin, "DELETE", "/v1/functions/fn/executions/e00", nil); code != 204 {
		t.Fatalf("delete: %d", code)
	}
	if code, body := e.call(t, e.admin, "GET", "/v1/functions/fn/executions/e00", nil); code != 404 || body["type"] != "execution_not_found" {
		t.Fatalf("deleted: %d %v", code, body)
	}
}

func TestExecutionRetention(t *testing.T) {
	e, p := newDeployEnv(t, 0)
	ctx := context.Background()
	e.call(t, e.admin, "POST", "/v1/functions", map[string]any{"functionId": "fn", "name": "fn", "runtime": "wasi"})
	rec, err := p.StartRecorder(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Stop()
	now := time.Now().UTC()
	for id, age := range map[string]time.Duration{"old": 48 * time.Hour, "new": time.Minute} {
		if err := p.RecordExecution(ctx, db.Execution{ProjectID: "p1", ID: id, FunctionID: "fn", Trigger: "http", Status: "completed", CreatedAt: now.Add(-age)}); err != nil {
			t.Fatal(err)
		}
	}
	waitTotal := func(want float64) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			if _, list := e.call(t, e.admin, "GET", "/v1/functions/fn/executions", nil); list["total"] == want {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("total never became %v", want)
	}
	waitTotal(2)
	stop := p.StartRetention(24*time.Hour, time.Hour)
	defer stop()
	waitTotal(1)
	if code, _ := e.call(t, e.admin, "GET", "/v1/functions/fn/executions/new", nil); code != 200 {
		t.Fatal("retention deleted a recent execution")
	}
}

// TestConcurrentRecordsAllWritten records many executions at once (they
// share JetStream publishes) plus one in the single-record format earlier
// versions queued, and expects every one in the database exactly once.
func TestConcurrentRecordsAllWritten(t *testing.T) {
	e, p := newDeployEnv(t, 0)
	ctx := context.Background()
	e.call(t, e.admin, "POST", "/v1/functions", map[string]any{"functionId": "fn", "name": "fn", "runtime": "wasi"})
	const n = 600
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- p.RecordExecution(ctx, db.Execution{ProjectID: "p1", ID: fmt.Sprintf("c%04d", i), FunctionID: "fn",
				Trigger: "http", Status: "completed", Fuel: int64(i), Logs: strings.Repeat("x", i*10)})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	legacy, _ := json.Marshal(db.Execution{ProjectID: "p1", ID: "legacy", FunctionID: "fn", Trigger: "http", Status: "completed"})
	if _, err := e.cfg.JetStream.Publish(ctx, "executions.records.p1.fn", legacy); err != nil {
		t.Fatal(err)
	}
	rec, err := p.StartRecorder(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Stop()
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, list := e.call(t, e.admin, "GET", "/v1/functions/fn/executions", nil)
		if list["total"] == float64(n+1) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("total %v, want %d", list["total"], n+1)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, id := range []string{"c0000", "c0599", "legacy"} {
		if code, ex := e.call(t, e.admin, "GET", "/v1/functions/fn/executions/"+id, nil); code != 200 || ex["status"] != "completed" {
			t.Fatalf("%s: %d %v", id, code, ex)
		}
	}
	if _, ex := e.call(t, e.admin, "GET", "/v1/functions/fn/executions/c0599", nil); ex["fuel"] != 599.0 {
		t.Fatalf("c0599 fuel %v", ex["fuel"])
	}
}
