// Package fetch provides the kiln.fetch host functions: a guest's outbound
// HTTP request, sent through its deployment's egress policy (the Go SDK
// wraps them in an http.RoundTripper). A request the policy refuses is
// reported to the guest as an error and logged in the invocation's logs;
// it moves no bytes.
//
// fetch is two calls so the guest need not guess the response size: fetch
// sends the request and returns the result's length, fetch_read copies the
// result into a buffer the guest allocated for it.
package fetch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/kilnhq/kiln/runtime/hostfn"
	"github.com/kilnhq/kiln/runtime/internal/wire"
	"github.com/tetratelabs/wazero/api"
)

// ErrOutOfBounds is the trap when a guest points outside its memory.
var ErrOutOfBounds = errors.New("kiln.fetch: buffer outside guest memory")

// Capability is the outbound HTTP capability.
type Capability struct{}

// Functions implements hostfn.Capability.
func (Capability) Functions() []hostfn.Function {
	i32, i64 := api.ValueTypeI32, api.ValueTypeI64
	return []hostfn.Function{
		{Name: wire.ImportFetch, Params: []api.ValueType{i32, i32}, Results: []api.ValueType{i64}, Fn: api.GoModuleFunc(fetch)},
		{Name: wire.ImportFetchRead, Params: []api.ValueType{i32, i32}, Results: []api.ValueType{i32}, Fn: api.GoModuleFunc(fetchRead)},
	}
}

func fetch(ctx context.Context, mod api.Module, stack []uint64) {
	c := hostfn.FromContext(ctx)
	ptr, n := uint32(stack[0]), uint32(stack[1])
	if c == nil {
		stack[0] = uint64(wire.FetchUnavailable) << 32
		return
	}
	c.CheckDeadline()
	c.Charge(hostfn.CostFetch + uint64(n)/hostfn.BytesPerFuel)
	frame, ok := mod.Memory().Read(ptr, n)
	if !ok {
		panic(ErrOutOfBounds)
	}
	code, result := do(c, frame)
	c.CheckDeadline()
	c.Charge(uint64(len(result)) / hostfn.BytesPerFuel)
	c.Pending = result
	stack[0] = uint64(code)<<32 | uint64(len(result))
}

// do sends the request frame and returns the result code and the response
// frame or error message.
func do(c *hostfn.Call, frame []byte) (uint32, []byte) {
	if c.Egress == nil {
		return wire.FetchUnavailable, []byte("outbound HTTP is not enabled for this deployment")
	}
	r, err := wire.ParseRequest(frame)
	if err != nil {
		return wire.FetchBadRequest, []byte("malformed request frame")
	}
	u, err := url.Parse(r.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return wire.FetchBadRequest, fmt.Appendf(nil, "fetch needs an absolute http or https URL, got %q", r.URL)
	}
	ctx, cancel := context.WithCancel(c.Context())
	if d := c.Deadline(); !d.IsZero() {
		ctx, cancel = context.WithDeadline(c.Context(), d)
	}
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, bytes.NewReader(bytes.Clone(r.Body)))
	if err != nil {
		return wire.FetchBadRequest, []byte(err.Error())
	}
	req.Header = r.Header
	if r.Host != "" {
		req.Host = r.Host
	}
	resp, err := c.Egress.Do(ctx, req)
	if resp != nil {
		c.EgressSent += resp.BytesSent
		c.EgressReceived += resp.BytesReceived
	}
	if err != nil {
		code := uint32(wire.FetchFailed)
		switch {
		case errors.Is(err, hostfn.ErrEgressDenied):
			code = wire.FetchDenied
		case errors.Is(err, hostfn.ErrEgressTooLarge):
			code = wire.FetchTooLarge
		}
		msg := fmt.Sprintf("fetch %s %s: %v", req.Method, redact(u), err)
		c.Logs.Add(slog.LevelWarn, hostfn.StreamKiln, []byte(msg))
		return code, []byte(msg)
	}
	body := resp.Body
	if r.Limit > 0 && len(body) > int(r.Limit) {
		return wire.FetchTooLarge, fmt.Appendf(nil, "fetch %s %s: response body of %d bytes is over the %d the guest accepts", req.Method, redact(u), len(body), r.Limit)
	}
	return wire.FetchOK, wire.AppendResponse(nil, resp.Status, 0, resp.Header, body)
}

// redact drops credentials and the query from a URL written to logs.
func redact(u *url.URL) string {
	c := *u
	c.User = nil
	c.RawQuery = ""
	c.Fragment = ""
	return c.String()
}

func fetchRead(ctx context.Context, mod api.Module, stack []uint64) {
	c := hostfn.FromContext(ctx)
	ptr, n := uint32(stack[0]), uint32(stack[1])
	if c == nil {
		stack[0] = 0
		return
	}
	k := min(int(n), len(c.Pending))
	if !mod.Memory().Write(ptr, c.Pending[:k]) {
		panic(ErrOutOfBounds)
	}
	c.Pending = c.Pending[k:]
	stack[0] = uint64(k)
}
