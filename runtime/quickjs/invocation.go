package quickjs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Defaults for zero Invocation and LoadOptions fields.
const (
	// DefaultFuel is the fuel budget of an invocation: about a few seconds
	// of QuickJS work.
	DefaultFuel = 20_000_000_000
	// DefaultLoadFuel is the fuel budget for evaluating a bundle.
	DefaultLoadFuel = 50_000_000_000
	// DefaultMemoryPages caps linear memory at 128 MiB.
	DefaultMemoryPages = 2048
	// DefaultOutputLimit caps a response body at 16 MiB.
	DefaultOutputLimit = 16 << 20
	// DefaultLogLimit caps captured log text at 64 KiB per invocation.
	DefaultLogLimit = 64 << 10
	// DefaultFetchConcurrency is how many outbound fetches of one
	// invocation run at once, as many as Cloudflare Workers allows.
	DefaultFetchConcurrency = 6
)

// MaxResponseHeaderBytes caps the names and values of a response's headers
// together; more ends the invocation with ErrOutputLimit, like a body over
// Invocation.OutputLimit.
const MaxResponseHeaderBytes = 128 << 10

// unmeteredFuel is the budget set where nothing is billed (building the
// base snapshot).
const unmeteredFuel = 1 << 62

// Invocation is the limits and capabilities of one Worker.Fetch.
type Invocation struct {
	// Fuel is the budget in fuel units (WebAssembly instructions of the
	// engine). Default DefaultFuel. Not enforced when the engine is not
	// metered (Engine.Metered).
	Fuel uint64
	// MemoryPages caps the engine's linear memory in 64 KiB pages.
	// Default: the Worker's LoadOptions.MemoryPages.
	MemoryPages uint32
	// OutputLimit caps the response body in bytes. Default
	// DefaultOutputLimit.
	OutputLimit int
	// LogLimit caps the captured log text in bytes; later lines are dropped
	// and Stats.LogsTruncated is set. Default DefaultLogLimit.
	LogLimit int
	// Fetch carries out the script's outbound fetch() calls. nil makes
	// fetch() reject with a TypeError.
	Fetch FetchFunc
	// FetchConcurrency caps the outbound fetches running at once; later
	// ones wait, in order, for one to finish, so a script looping over
	// fetch() cannot open a connection per iteration. Default
	// DefaultFetchConcurrency.
	FetchConcurrency int
}

// FetchFunc performs one outbound HTTP request for a script. The request
// body, if any, is in memory; ctx ends with the invocation, and the
// function must return soon after it does (Fetch waits for it). Calls run
// on their own goroutines, several at a time when the script overlaps
// fetches.
type FetchFunc func(ctx context.Context, req *http.Request) (*FetchResponse, error)

// FetchResponse is a fully read response to an outbound fetch.
type FetchResponse struct {
	Status int
	Header http.Header
	Body   []byte
}

// Response is what the script answered.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Stats is what an invocation used. It is filled even when the invocation
// fails, so failed invocations can be billed.
type Stats struct {
	// Fuel is the fuel consumed (0 when the engine is not metered).
	Fuel uint64
	// PeakMemory is the engine's linear memory size at the end, in bytes.
	PeakMemory uint64
	// Logs are the console lines, in order.
	Logs []Log
	// LogsTruncated reports that lines were dropped at Invocation.LogLimit.
	LogsTruncated bool
	// Fetches counts outbound fetch() calls started.
	Fetches int
}

// Log is one console line.
type Log struct {
	// Level is "debug", "info", "log", "warn" or "error".
	Level   string
	Message string
}

var logLevels = []string{"debug", "info", "log", "warn", "error"}

func logLevelName(i int) string {
	if i < 0 || i >= len(logLevels) {
		return "log"
	}
	return logLevels[i]
}

// invocation is the host-side state of one Load or Fetch.
type invocation struct {
	ctx   context.Context
	start time.Time

	reqMeta string
	reqBody []byte

	logs          []Log
	logBytes      int
	logLimit      int
	logsTruncated bool
	fdLine        [3][]byte

	responded   bool
	status      int
	header      http.Header
	body        bytes.Buffer
	outputLimit int

	fetchFn  FetchFunc
	fetchCtx context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	nextID   int
	fetches  map[int]*fetchCall
	done     chan *fetchCall
	inflight int // started and not yet settled in JavaScript, queued included
	running  int // FetchFunc calls under way
	maxRun   int
	queue    []*fetchCall
	started  int
}

type fetchCall struct {
	id   int
	url  string
	req  *http.Request
	done bool
	resp *FetchResponse
	err  error
}

func newInvocation(ctx context.Context, fetch FetchFunc) *invocation {
	inv := &invocation{
		ctx:         ctx,
		start:       time.Now(),
		logLimit:    DefaultLogLimit,
		outputLimit: DefaultOutputLimit,
		fetchFn:     fetch,
		fetches:     map[int]*fetchCall{},
		done:        make(chan *fetchCall),
		maxRun:      DefaultFetchConcurrency,
	}
	inv.fetchCtx, inv.cancel = context.WithCancel(ctx)
	return inv
}

// finish cancels outbound fetches still running and waits for them.
func (inv *invocation) finish() {
	inv.cancel()
	inv.wg.Wait()
}

func (inv *invocation) addLog(level, msg string) {
	if inv.logsTruncated {
		return
	}
	if inv.logBytes+len(msg) > inv.logLimit {
		inv.logsTruncated = true
		return
	}
	inv.logBytes += len(msg)
	inv.logs = append(inv.logs, Log{Level: level, Message: msg})
}

func (in *instance) writeFD(fd uint32, b []byte) {
	inv := in.inv
	if inv == nil || fd > 2 {
		return
	}
	inv.fdLine[fd] = append(inv.fdLine[fd], b...)
	for {
		i := bytes.IndexByte(inv.fdLine[fd], '\n')
		if i < 0 {
			return
		}
		level := "log"
		if fd == 2 {
			level = "error"
		}
		inv.addLog(level, string(inv.fdLine[fd][:i]))
		inv.fdLine[fd] = inv.fdLine[fd][i+1:]
	}
}

// requestMeta is the request as the prelude's dispatch reads it.
type requestMeta struct {
	Method  string      `json:"method"`
	URL     string      `json:"url"`
	Headers [][2]string `json:"headers"`
	HasBody bool        `json:"hasBody"`
}

func (inv *invocation) setRequest(r *http.Request) error {
	meta := requestMeta{Method: r.Method, URL: requestURL(r), Headers: headerPairs(r.Header)}
	if meta.Method == "" {
		meta.Method = http.MethodGet
	}
	if r.Host != "" && r.Header.Get("Host") == "" {
		meta.Headers = append(meta.Headers, [2]string{"host", r.Host})
	}
	if r.Body != nil && r.Body != http.NoBody {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return fmt.Errorf("reading request body: %w", err)
		}
		inv.reqBody = b
		meta.HasBody = true
	}
	j, err := json.Marshal(meta)
	if err != nil {
		return fmt.Errorf("encoding request: %w", err)
	}
	inv.reqMeta = string(j)
	return nil
}

func requestURL(r *http.Request) string {
	if r.URL.IsAbs() {
		return r.URL.String()
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := r.Host
	if host == "" {
		host = "localhost"
	}
	return scheme + "://" + host + r.URL.RequestURI()
}

func headerPairs(h http.Header) [][2]string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out [][2]string
	for _, k := range keys {
		for _, v := range h[k] {
			out = append(out, [2]string{strings.ToLower(k), v})
		}
	}
	return out
}

// fetchMeta is an outbound request as the prelude's fetch() sends it.
type fetchMeta struct {
	Method  string      `json:"method"`
	URL     string      `json:"url"`
	Headers [][2]string `json:"headers"`
}

func (inv *invocation) startFetch(metaJSON string, body []byte) (int, error) {
	if inv.fetchFn == nil {
		return 0, typeErrorf("fetch is not available here (outbound requests are only possible while handling a request, and only when the function allows them)")
	}
	var m fetchMeta
	if err := json.Unmarshal([]byte(metaJSON), &m); err != nil {
		return 0, fmt.Errorf("decoding fetch request: %w", err)
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(inv.fetchCtx, m.Method, m.URL, rd)
	if err != nil {
		return 0, typeErrorf("fetch: %v", err)
	}
	for _, h := range m.Headers {
		req.Header.Add(h[0], h[1])
	}
	inv.nextID++
	inv.started++
	f := &fetchCall{id: inv.nextID, url: m.URL, req: req}
	inv.fetches[f.id] = f
	inv.inflight++
	if inv.running < inv.maxRun {
		inv.run(f)
	} else {
		inv.queue = append(inv.queue, f)
	}
	return f.id, nil
}

// run calls the FetchFunc for f on its own goroutine; the event loop
// receives f on inv.done.
func (inv *invocation) run(f *fetchCall) {
	inv.running++
	inv.wg.Add(1)
	go func() {
		defer inv.wg.Done()
		resp, err := inv.fetchFn(inv.fetchCtx, f.req)
		if err == nil && resp == nil {
			err = errors.New("no response")
		}
		f.resp, f.err = resp, err
		select {
		case inv.done <- f:
		case <-inv.fetchCtx.Done():
		}
	}()
}

// fetchDone records that f's FetchFunc call returned and starts the next
// queued fetch.
func (inv *invocation) fetchDone(f *fetchCall) {
	inv.inflight--
	inv.running--
	f.done = true
	f.req = nil
	if len(inv.queue) > 0 {
		next := inv.queue[0]
		inv.queue = inv.queue[1:]
		inv.run(next)
	}
}

func (inv *invocation) stats() Stats {
	return Stats{Logs: inv.logs, LogsTruncated: inv.logsTruncated, Fetches: inv.started}
}

// validHeaderValue guards against a script smuggling CR/LF into a header.
func validHeaderValue(v string) bool {
	return utf8.ValidString(v) && !strings.ContainsAny(v, "\r\n\x00")
}
