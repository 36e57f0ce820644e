package platform

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/kilnhq/kiln/store/db"
	"github.com/kilnhq/kiln/store/objects"
)

// Runner runs built artifacts. The node adapts the runtime engine to it;
// the platform decides what runs, with which limits, and records it.
type Runner interface {
	Run(ctx context.Context, target RunTarget, req RunRequest) (RunResult, error)
}

// RunTarget is one deployment's artifact and how it may run.
type RunTarget struct {
	// Key identifies the deployment for instance pools: "<project>/<deployment>".
	Key string
	// SHA256 of the artifact; the runner may cache compiled code by it.
	SHA256 string
	ABI    string
	// Load reads the artifact; called only when the runner has no copy.
	Load func(ctx context.Context) ([]byte, error)
	Env  map[string]string
	// EnvSum is envSum(Env) when the caller has it; "" makes the runner
	// compute it.
	EnvSum      string
	Fuel        uint64        // 0 = the runner's default
	MemoryPages uint32        // 0 = the runner's default
	Timeout     time.Duration // wall clock limit of one invocation
}

// RunRequest is the HTTP request given to the function.
type RunRequest struct {
	Method     string
	URL        string // path and query, e.g. "/hello?x=1"
	Host       string
	Header     http.Header
	Body       []byte
	RemoteAddr string
}

// RunResult is what the function answered and what it used.
type RunResult struct {
	Status     int
	Header     http.Header
	Body       []byte
	Logs       string
	Errors     string
	Fuel       uint64
	Wall       time.Duration
	PeakMemory uint64
	Egress     int64
	// ErrorKind is "" on success, else e.g. "out_of_fuel", "deadline", "trap".
	ErrorKind string
}

// Invocation errors the gateway maps to Appwrite's types.
var (
	ErrFunctionDisabled = errors.New("function is disabled")
	ErrNoDeployment     = errors.New("function has no active deployment")
	ErrNotAllowed       = errors.New("not allowed to execute this function")
	ErrNoRunner         = errors.New("this node runs no functions")
)

// Invocation is one call of a function.
type Invocation struct {
	ProjectID  string
	FunctionID string
	Trigger    string // "http" or "schedule" or "event"
	Request    RunRequest
	// Caller is who asks; Execute permissions are checked against it.
	Caller Principal
	// ExecutionID is set to reuse an id (async executions); "" makes one.
	ExecutionID string
	// RecordNow writes the execution record before Invoke returns, for
	// callers that read it back at once (the executions API). Otherwise it
	// is queued and written in a batch (HTTP triggers).
	RecordNow bool
}

// Invoke runs the function's active deployment, records the execution and
// returns it with the function's answer. A function's own failure (trap,
// out of fuel …) is not an error: it is in the execution's status and errors.
func (p *Platform) Invoke(ctx context.Context, inv Invocation) (db.Execution, RunResult, error) {
	if p.cfg.Runner == nil {
		return db.Execution{}, RunResult{}, ErrNoRunner
	}
	e, err := p.invocable(ctx, inv.ProjectID, inv.FunctionID)
	if err != nil {
		return db.Execution{}, RunResult{}, err
	}
	f, d := &e.fn, &e.dep
	if !f.Enabled {
		return db.Execution{}, RunResult{}, ErrFunctionDisabled
	}
	if !mayExecute(f.Execute, inv.Caller) {
		return db.Execution{}, RunResult{}, ErrNotAllowed
	}
	if f.DeploymentID == "" {
		return db.Execution{}, RunResult{}, ErrNoDeployment
	}
	id := inv.ExecutionID
	if id == "" {
		id = NewID()
	}
	// Appwrite's request headers (its environment is in e.env).
	req := inv.Request
	req.Header = req.Header.Clone()
	if req.Header == nil {
		req.Header = http.Header{}
	}
	for _, h := range []string{"X-Appwrite-Key", "X-Kiln-Key"} {
		req.Header.Del(h) // never hand a caller's API key to the function
	}
	req.Header.Set("X-Appwrite-Trigger", inv.Trigger)
	req.Header.Set("X-Appwrite-Execution-Id", id)
	req.Header.Set("X-Appwrite-User-Id", inv.Caller.UserID)

	target := p.runTarget(inv.ProjectID, e)
	start := time.Now().UTC()
	res, err := p.cfg.Runner.Run(ctx, target, req)
	if err != nil {
		return db.Execution{}, RunResult{}, fmt.Errorf("running %s: %w", f.ID, err)
	}
	ex := db.Execution{
		ProjectID: inv.ProjectID, ID: id, FunctionID: f.ID, DeploymentID: d.ID, Trigger: inv.Trigger,
		Status: db.ExecutionCompleted, RequestMethod: req.Method, RequestPath: req.URL,
		RequestHeaders: headerList(req.Header, true), ResponseStatusCode: res.Status,
		ResponseHeaders: headerList(res.Header, false), Errors: res.Errors, Duration: res.Wall.Seconds(),
		Fuel: int64(res.Fuel), Memory: int64(res.PeakMemory), Egress: res.Egress, CreatedAt: start,
	}
	if f.Logging {
		ex.Logs = res.Logs
	}
	if res.ErrorKind != "" {
		ex.Status = db.ExecutionFailed
		if ex.ResponseStatusCode == 0 {
			ex.ResponseStatusCode = 500
		}
	}
	if inv.RecordNow || inv.Trigger != "http" || ex.Status == db.ExecutionFailed {
		// Appwrite keeps the body of executions made through the API;
		// HTTP trigger responses went to their caller.
		ex.ResponseBody = truncate(string(res.Body), 1<<20)
	}
	if inv.RecordNow {
		err = p.db.UpsertExecutions(context.WithoutCancel(ctx), []db.Execution{ex})
	} else {
		err = p.RecordExecution(context.WithoutCancel(ctx), ex)
	}
	if err != nil {
		p.logger.Error("recording execution", "execution", id, "err", err)
	}
	return ex, res, nil
}

func (p *Platform) readObject(ctx context.Context, key string) ([]byte, error) {
	rc, _, err := p.cfg.Objects.Get(ctx, key, objects.GetOptions{})
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// mayExecute applies a function's execute roles to a caller. API keys with
// the execution.write scope may always execute (as in Appwrite).
func mayExecute(roles []string, c Principal) bool {
	if c.Can("execution.write") {
		return true
	}
	for _, r := range roles {
		switch {
		case r == "any":
			return true
		case r == "guests" && c.UserID == "":
			return true
		case r == "users" && c.UserID != "":
			return true
		case strings.HasPrefix(r, "user:") && c.UserID != "" && strings.TrimPrefix(r, "user:") == c.UserID:
			return true
		}
	}
	return false
}

// headerList turns headers into Appwrite's list, dropping secrets from requests.
func headerList(h http.Header, request bool) []db.Header {
	var out []db.Header
	for name, vals := range h {
		lower := strings.ToLower(name)
		if request && (lower == "authorization" || lower == "cookie" || strings.Contains(lower, "key")) {
			continue
		}
		for _, v := range vals {
			out = append(out, db.Header{Name: lower, Value: v})
		}
	}
	return out
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// runTarget is what a runner needs to run a cached function's active
// deployment.
func (p *Platform) runTarget(projectID string, e *invokeEntry) RunTarget {
	f, d := &e.fn, &e.dep
	return RunTarget{
		Key: projectID + "/" + d.ID, SHA256: d.ArtifactSHA256, ABI: d.ABI, Env: e.env, EnvSum: e.envSum,
		Fuel: uint64(f.Fuel), MemoryPages: uint32(f.MemoryPages), Timeout: time.Duration(f.Timeout) * time.Second,
		Load: func(ctx context.Context) ([]byte, error) { return p.readObject(ctx, d.BuildKey) },
	}
}
