package runtime

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kilnhq/kiln/runtime/hostfn"
)

// WAGI runs any WASI command as a CGI program (the WAGI convention): a
// fresh instance per request, the request in environment variables and
// stdin, the response as CGI headers, a blank line and the body on stdout.
// Nothing survives between requests, so a misbehaving request cannot
// affect the next one.

func (d *Deployment) invokeWAGI(ctx context.Context, req *Request, res *Result, deadline time.Time) error {
	lim := d.limits
	if lr, ok := req.Body.(lenReader); ok && lr.Len() > lim.MaxInputBytes {
		return fmt.Errorf("%w: the request body is %d bytes, over %d", ErrInputLimit, lr.Len(), lim.MaxInputBytes)
	}
	if _, _, err := d.acquire(ctx, deadline); err != nil {
		return err
	}
	defer d.pool.Release(nil, false)
	res.ColdStart = true

	logs := hostfn.NewLogs(lim.MaxLogBytes)
	call := hostfn.NewCall(logs)
	call.Reset(ctx, deadline)
	call.Egress = d.egress
	in := &stdin{call: call, body: req.Body, max: int64(lim.MaxInputBytes)}
	out := &output{call: call, max: lim.MaxOutputBytes}
	closer, _ := req.Body.(interface{ Close() error })
	w := watch(ctx, deadline, call, closer)
	defer w.stop()

	inst, err := d.instantiate(ctx, logs, call, stdio{stdin: in, stdout: out, env: cgiEnv(req, d.id)})
	if err != nil {
		return err
	}
	defer func() {
		res.BytesIn = in.n
		res.Logs, res.LogsTruncated = logs.Lines(), logs.Truncated()
		res.PeakMemory = inst.mem.size()
		res.EgressSent, res.EgressReceived = call.EgressSent, call.EgressReceived
		d.closeInstance(inst)
	}()
	start := inst.mod.ExportedFunction("_start")
	used, left, err := inst.run(start, nil, lim.Fuel)
	res.Fuel = used
	if err != nil && !exitedZero(err) {
		return inst.failure(err, left, lim)
	}
	if !time.Now().Before(deadline) || ctx.Err() != nil {
		return fmt.Errorf("%w: the program finished after the deadline", ErrDeadline)
	}
	status, h, body, err := parseCGI(out.buf)
	if err != nil {
		return err
	}
	res.Status, res.Header, res.Body = status, h, body
	res.BytesOut = int64(len(body))
	return nil
}

// cgiEnv is the CGI/WAGI environment of a request.
func cgiEnv(req *Request, id string) []string {
	method := req.Method
	if method == "" {
		method = "GET"
	}
	uri := req.URL
	if uri == "" {
		uri = "/"
	}
	path, query, _ := strings.Cut(uri, "?")
	route := req.Route
	if route == "" {
		route = "/..."
	}
	script, pathInfo := path, ""
	if prefix, ok := strings.CutSuffix(route, "/..."); ok {
		script = prefix
		pathInfo = strings.TrimPrefix(path, prefix)
	}
	host, port := req.Host, "80"
	if h, p, ok := strings.Cut(req.Host, ":"); ok {
		host, port = h, p
	}
	remoteHost, _, _ := strings.Cut(req.RemoteAddr, ":")
	env := []string{
		"GATEWAY_INTERFACE=CGI/1.1",
		"SERVER_SOFTWARE=Kiln",
		"SERVER_PROTOCOL=HTTP/1.1",
		"SERVER_NAME=" + host,
		"SERVER_PORT=" + port,
		"REQUEST_METHOD=" + method,
		"REQUEST_URI=" + uri,
		"SCRIPT_NAME=" + script,
		"PATH_INFO=" + pathInfo,
		"X_RAW_PATH_INFO=" + pathInfo,
		"PATH_TRANSLATED=" + pathInfo,
		"QUERY_STRING=" + query,
		"REMOTE_ADDR=" + remoteHost,
		"REMOTE_HOST=" + remoteHost,
		"X_MATCHED_ROUTE=" + route,
		"X_FULL_URL=http://" + req.Host + uri,
		"X_KILN_DEPLOYMENT=" + id,
		"CONTENT_TYPE=" + req.Header.Get("Content-Type"),
	}
	if n := contentLength(req); n >= 0 {
		env = append(env, "CONTENT_LENGTH="+strconv.Itoa(n))
	}
	for k, vs := range req.Header {
		name := "HTTP_" + strings.ToUpper(strings.ReplaceAll(k, "-", "_"))
		if name == "HTTP_PROXY" || strings.ContainsRune(name, '=') {
			continue // httpoxy: a client must not set the guest's proxy
		}
		env = append(env, name+"="+strings.Join(vs, ", "))
	}
	return env
}

func contentLength(req *Request) int {
	if lr, ok := req.Body.(lenReader); ok {
		return lr.Len()
	}
	if req.Body == nil {
		return 0
	}
	if n, err := strconv.Atoi(req.Header.Get("Content-Length")); err == nil && n >= 0 {
		return n
	}
	return -1
}

// parseCGI splits CGI output into status, headers and body. "Status:"
// sets the status; "Location:" without it means a 302 redirect.
func parseCGI(out []byte) (int, http.Header, []byte, error) {
	if len(out) == 0 {
		return 0, nil, nil, fmt.Errorf("%w: the program wrote nothing to stdout", ErrBadResponse)
	}
	h := http.Header{}
	status := 0
	rest := out
	for {
		nl := bytes.IndexByte(rest, '\n')
		if nl < 0 {
			return 0, nil, nil, fmt.Errorf("%w: no blank line after the CGI headers", ErrBadResponse)
		}
		line := bytes.TrimSuffix(rest[:nl], []byte{'\r'})
		rest = rest[nl+1:]
		if len(line) == 0 {
			break
		}
		k, v, ok := bytes.Cut(line, []byte{':'})
		if !ok || len(k) == 0 {
			return 0, nil, nil, fmt.Errorf("%w: %q is not a CGI header line", ErrBadResponse, firstBytes(line, 80))
		}
		key := http.CanonicalHeaderKey(string(bytes.TrimSpace(k)))
		val := string(bytes.TrimSpace(v))
		if key == "Status" {
			code, _, _ := strings.Cut(val, " ")
			n, err := strconv.Atoi(code)
			if err != nil || n < 100 || n > 999 {
				return 0, nil, nil, fmt.Errorf("%w: bad CGI Status %q", ErrBadResponse, val)
			}
			status = n
			continue
		}
		h.Add(key, val)
	}
	if status == 0 {
		status = http.StatusOK
		if h.Get("Location") != "" {
			status = http.StatusFound
		}
	}
	return status, h, rest, nil
}

func firstBytes(b []byte, n int) string {
	if len(b) > n {
		b = b[:n]
	}
	return string(b)
}
