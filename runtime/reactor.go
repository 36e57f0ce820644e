package runtime

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/kilnhq/kiln/runtime/hostfn"
	"github.com/kilnhq/kiln/runtime/internal/wire"
	"github.com/tetratelabs/wazero/api"
)

// The reactor ABI, spoken by guests built with the Go SDK (sdk/go/ABI.md
// documents it for guest authors; package internal/wire holds the frame
// format). An instance is created and initialised (_initialize) once, then
// serves requests one at a time: the host writes a request frame into the
// guest's buffer (kiln_buffer), calls kiln_handle, and reads the response
// frame it returns. Fuel is set before and read after, so a request costs
// two guest calls at most and no host allocation but the response's.
const (
	exportHandle  = wire.ExportHandle
	exportBuffer  = wire.ExportBuffer
	exportVersion = wire.ExportVersion
)

func checkReactorSignatures(exports map[string]api.FunctionDefinition) error {
	i32, i64 := api.ValueTypeI32, api.ValueTypeI64
	want := map[string][2][]api.ValueType{
		exportVersion: {nil, {i32}},
		exportBuffer:  {{i32}, {i32}},
		exportHandle:  {{i32}, {i64}},
	}
	for name, sig := range want {
		f := exports[name]
		if !sameTypes(f.ParamTypes(), sig[0]) || !sameTypes(f.ResultTypes(), sig[1]) {
			return fmt.Errorf("%w: export %s has signature %s", ErrInvalidModule, name, signature(f))
		}
	}
	return nil
}

func sameTypes(a, b []api.ValueType) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// newReactor creates and initialises an instance, recording the
// initialisation's fuel in res, and on failure its logs.
func (d *Deployment) newReactor(ctx context.Context, deadline time.Time, res *Result) (*instance, error) {
	logs := hostfn.NewLogs(d.limits.MaxLogBytes)
	call := hostfn.NewCall(logs)
	call.Reset(ctx, deadline)
	call.Egress = d.egress
	in, err := d.instantiate(ctx, logs, call, stdio{})
	if err != nil {
		return nil, err
	}
	in, err = d.initReactor(in, res)
	if err != nil {
		res.Logs, res.LogsTruncated = logs.Lines(), logs.Truncated()
	}
	return in, err
}

func (d *Deployment) initReactor(in *instance, res *Result) (*instance, error) {
	in.handle = in.mod.ExportedFunction(exportHandle)
	in.buffer = in.mod.ExportedFunction(exportBuffer)
	if init := in.mod.ExportedFunction("_initialize"); init != nil {
		used, left, err := in.run(init, nil, d.limits.Fuel)
		res.InitFuel += used
		if err != nil {
			ferr := in.failure(err, left, d.limits)
			res.PeakMemory = in.mem.size()
			d.closeInstance(in)
			return nil, fmt.Errorf("initialising: %w", ferr)
		}
	}
	used, left, err := in.run(in.mod.ExportedFunction(exportVersion), in.stack[:], d.limits.Fuel)
	res.InitFuel += used
	if err != nil {
		ferr := in.failure(err, left, d.limits)
		d.closeInstance(in)
		return nil, fmt.Errorf("initialising: %w", ferr)
	}
	if v := uint32(in.stack[0]); v != wire.Version {
		d.closeInstance(in)
		return nil, fmt.Errorf("%w: the guest speaks reactor ABI version %d, the host %d", ErrInvalidModule, v, wire.Version)
	}
	res.PeakMemory = in.mem.size()
	return in, nil
}

func (d *Deployment) invokeReactor(ctx context.Context, req *Request, res *Result, deadline time.Time) error {
	lim := d.limits
	body, bodyLen, err := requestBody(ctx, deadline, req.Body, lim.MaxInputBytes)
	if err != nil {
		return err
	}
	res.BytesIn = int64(bodyLen)
	in, fresh, err := d.acquire(ctx, deadline)
	if err != nil {
		return err
	}
	if fresh {
		res.ColdStart = true
		if in, err = d.newReactor(ctx, deadline, res); err != nil {
			d.pool.Release(nil, false)
			return err
		}
	} else {
		in.logs.Reset(lim.MaxLogBytes)
		in.call.Reset(ctx, deadline)
		in.call.Egress = d.egress
	}
	reuse := false
	defer func() {
		res.Logs = in.logs.Lines()
		res.LogsTruncated = in.logs.Truncated()
		res.PeakMemory = in.mem.size()
		res.EgressSent, res.EgressReceived = in.call.EgressSent, in.call.EgressReceived
		if !reuse {
			d.closeInstance(in)
		}
		d.pool.Release(in, reuse)
	}()

	resp, err := in.serve(req, body, bodyLen, res, lim)
	if err != nil {
		return err
	}
	// The guest finished on its own; a late finish is still a failure for
	// the caller, but the instance is intact.
	reuse = true
	if !time.Now().Before(deadline) {
		return fmt.Errorf("%w: the response came after the deadline", ErrDeadline)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %w", ErrDeadline, err)
	}
	res.Status, res.Header = resp.Status, resp.Header
	res.Body = bytes.Clone(resp.Body)
	res.BytesOut = int64(len(res.Body))
	return nil
}

// serve runs one request on the instance. The response's Body aliases
// guest memory until the next call into the instance.
func (in *instance) serve(req *Request, body io.Reader, bodyLen int, res *Result, lim Limits) (wire.Response, error) {
	method := req.Method
	if method == "" {
		method = "GET"
	}
	uri := req.URL
	if uri == "" {
		uri = "/"
	}
	size := wire.RequestSize(method, uri, req.Host, req.RemoteAddr, req.Header, bodyLen)
	if size > math.MaxInt32 {
		return wire.Response{}, fmt.Errorf("%w: the request is %d bytes", ErrInputLimit, size)
	}
	var fuelLeft int64
	if in.fuel != nil {
		in.fuel.Set(lim.Fuel)
	}
	if uint32(size) > in.bufCap {
		in.stack[0] = uint64(size)
		if err := in.buffer.CallWithStack(in.ctx, in.stack[:]); err != nil {
			fuelLeft = in.fuelLeft()
			res.Fuel = spent(lim.Fuel, fuelLeft)
			return wire.Response{}, in.failure(err, fuelLeft, lim)
		}
		in.bufPtr, in.bufCap = uint32(in.stack[0]), uint32(size)
	}
	view, ok := in.mod.Memory().Read(in.bufPtr, uint32(size))
	if !ok {
		return wire.Response{}, fmt.Errorf("%w: kiln_buffer returned a buffer outside memory", ErrBadResponse)
	}
	limit := uint32(min(lim.MaxOutputBytes, math.MaxUint32))
	dst := wire.PutRequestHead(view, limit, method, uri, req.Host, req.RemoteAddr, req.Header, bodyLen)
	if body != nil {
		if _, err := io.ReadFull(body, dst); err != nil {
			return wire.Response{}, fmt.Errorf("reading request body: %w", err)
		}
	}

	in.stack[0] = uint64(size)
	err := in.handle.CallWithStack(in.ctx, in.stack[:])
	fuelLeft = in.fuelLeft()
	if in.fuel != nil {
		res.Fuel = spent(lim.Fuel, fuelLeft)
	}
	if err != nil {
		return wire.Response{}, in.failure(err, fuelLeft, lim)
	}
	ptr, n := uint32(in.stack[0]>>32), uint32(in.stack[0])
	frame, ok := in.mod.Memory().Read(ptr, n)
	if !ok {
		return wire.Response{}, fmt.Errorf("%w: response frame outside memory", ErrBadResponse)
	}
	resp, err := wire.ParseResponse(frame)
	if err != nil {
		return wire.Response{}, fmt.Errorf("%w: %w", ErrBadResponse, err)
	}
	switch {
	case resp.Flags&wire.FlagPanic != 0:
		return wire.Response{}, panicFrame(resp.Body)
	case resp.Flags&wire.FlagTruncated != 0 || len(resp.Body) > lim.MaxOutputBytes:
		return wire.Response{}, fmt.Errorf("%w: the response body is over %d bytes", ErrOutputLimit, lim.MaxOutputBytes)
	case resp.Status < 100 || resp.Status > 999:
		return wire.Response{}, fmt.Errorf("%w: status %d", ErrBadResponse, resp.Status)
	}
	return resp, nil
}

// fuelLeft reads the fuel global; 0 for an unmetered guest.
func (in *instance) fuelLeft() int64 {
	if in.fuel == nil {
		return 0
	}
	return int64(in.fuel.Get())
}
