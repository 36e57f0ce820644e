package quickjs

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"strings"
	"time"
)

// hostFunc is a function the prelude reaches as host.<name>(…). Arguments
// arrive as JSValue pointers; the prelude guarantees their types (strings,
// numbers, ArrayBuffers), so Go never inspects user objects.
type hostFunc struct {
	name string
	fn   func(c *hostCall) (uint32, error)
}

// hostFuncs are registered in this order; a function's host ref id is its
// index + 1.
var hostFuncs = []hostFunc{
	{"log", hLog},
	{"now", hNow},
	{"randomBytes", hRandomBytes},
	{"digest", hDigest},
	{"hmac", hHMAC},
	{"encode", hEncode},
	{"encodeJSON", hEncodeJSON},
	{"decode", hDecode},
	{"parseURL", hParseURL},
	{"request", hRequest},
	{"requestBody", hRequestBody},
	{"respond", hRespond},
	{"write", hWrite},
	{"writeText", hWriteText},
	{"fetch", hFetch},
	{"fetchResult", hFetchResult},
	{"fetchBody", hFetchBody},
}

// jsTypeError becomes a TypeError in JavaScript.
type jsTypeError struct{ msg string }

func (e *jsTypeError) Error() string { return e.msg }

func typeErrorf(format string, args ...any) error {
	return &jsTypeError{fmt.Sprintf(format, args...)}
}

// jsNamedError becomes an error of that constructor name in JavaScript.
type jsNamedError struct{ name, msg string }

func (e *jsNamedError) Error() string { return e.msg }

type hostCall struct {
	in         *instance
	argc, argv uint32
}

func (c *hostCall) arg(i int) uint32 {
	if uint32(i) >= c.argc {
		return 0
	}
	return c.argv + uint32(i)*c.in.base.valueSize
}

func (c *hostCall) str(i int) string {
	if a := c.arg(i); a != 0 {
		return c.in.jsString(a)
	}
	return ""
}

func (c *hostCall) num(i int) float64 {
	if a := c.arg(i); a != 0 {
		return c.in.jsNumber(a)
	}
	return 0
}

func (c *hostCall) bytes(i int) []byte {
	if a := c.arg(i); a != 0 {
		return c.in.jsBytes(a)
	}
	return nil
}

func (in *instance) runHostFunc(ref, argc, argv uint32) uint32 {
	if ref == 0 || int(ref) > len(hostFuncs) {
		panic(&trapError{fmt.Errorf("unknown host function %d", ref)})
	}
	c := &hostCall{in: in, argc: argc, argv: argv}
	v, err := hostFuncs[ref-1].fn(c)
	if err != nil {
		return in.throw(err)
	}
	return v
}

// throw raises err in JavaScript as an Error (TypeError for *jsTypeError,
// the given name for *jsNamedError).
func (in *instance) throw(err error) uint32 {
	e := in.must(fnNewError, in.ctxPtr())
	set := func(k, v string) {
		kv, vv := in.newString(k), in.newString(v)
		in.must(fnSetProp, in.ctxPtr(), uint64(e), uint64(kv), uint64(vv))
		in.freeValue(kv)
		in.freeValue(vv)
	}
	set("message", err.Error())
	var te *jsTypeError
	var ne *jsNamedError
	switch {
	case errors.As(err, &te):
		set("name", "TypeError")
	case errors.As(err, &ne):
		set("name", ne.name)
	}
	r := in.must(fnThrow, in.ctxPtr(), uint64(e))
	in.freeValue(e)
	return r
}

func (in *instance) invocation() *invocation {
	if in.inv == nil {
		panic(&trapError{errors.New("host function called outside an invocation")})
	}
	return in.inv
}

func hLog(c *hostCall) (uint32, error) {
	c.in.invocation().addLog(logLevelName(int(c.num(0))), c.str(1))
	return 0, nil
}

func hNow(c *hostCall) (uint32, error) {
	inv := c.in.invocation()
	return c.in.newNumber(float64(time.Since(inv.start).Nanoseconds()) / 1e6), nil
}

func hRandomBytes(c *hostCall) (uint32, error) {
	n := int(c.num(0))
	if n < 0 || n > 65536 {
		return 0, fmt.Errorf("QuotaExceededError: %d bytes of randomness requested, at most 65536", n)
	}
	b := make([]byte, n)
	rand.Read(b)
	return c.in.newBytes(b), nil
}

func newHash(alg string) func() hash.Hash {
	switch strings.ToUpper(alg) {
	case "SHA-1":
		return sha1.New
	case "SHA-256":
		return sha256.New
	case "SHA-384":
		return sha512.New384
	case "SHA-512":
		return sha512.New
	}
	return nil
}

func hDigest(c *hostCall) (uint32, error) {
	alg := c.str(0)
	h := newHash(alg)
	if h == nil {
		return 0, fmt.Errorf("NotSupportedError: digest algorithm %q (want SHA-1, SHA-256, SHA-384 or SHA-512)", alg)
	}
	d := h()
	d.Write(c.bytes(1))
	return c.in.newBytes(d.Sum(nil)), nil
}

func hHMAC(c *hostCall) (uint32, error) {
	alg := c.str(0)
	h := newHash(alg)
	if h == nil {
		return 0, fmt.Errorf("NotSupportedError: HMAC hash %q", alg)
	}
	m := hmac.New(h, c.bytes(1))
	m.Write(c.bytes(2))
	return c.in.newBytes(m.Sum(nil)), nil
}

func hEncode(c *hostCall) (uint32, error) {
	return c.in.newBytes(wtf8ToUTF8([]byte(c.str(0)))), nil
}

// hEncodeJSON encodes a string that holds NUL characters, passed as a JSON
// string literal because C strings cannot carry NUL.
func hEncodeJSON(c *hostCall) (uint32, error) {
	var s string
	if err := json.Unmarshal([]byte(c.str(0)), &s); err != nil {
		return 0, fmt.Errorf("decoding string: %w", err)
	}
	return c.in.newBytes([]byte(s)), nil
}

func hDecode(c *hostCall) (uint32, error) {
	s, ok := decodeUTF8(c.bytes(0), c.num(1) != 0)
	if !ok {
		return 0, typeErrorf("The encoded data was not valid utf-8")
	}
	return c.in.newString(s), nil
}

func hParseURL(c *hostCall) (uint32, error) {
	var base *parsedURL
	if c.argc > 1 {
		b, err := parseURL(c.str(1), nil)
		if err != nil {
			return 0, typeErrorf("Invalid base URL: %s", c.str(1))
		}
		base = b
	}
	u, err := parseURL(c.str(0), base)
	if err != nil {
		return 0, typeErrorf("Invalid URL: %s", c.str(0))
	}
	j, _ := json.Marshal(u)
	return c.in.newString(string(j)), nil
}

func hRequest(c *hostCall) (uint32, error) {
	inv := c.in.invocation()
	if inv.reqMeta == "" {
		return 0, errors.New("no request in this invocation")
	}
	return c.in.newString(inv.reqMeta), nil
}

func hRequestBody(c *hostCall) (uint32, error) {
	inv := c.in.invocation()
	if inv.reqBody == nil {
		return 0, nil
	}
	return c.in.newBytes(inv.reqBody), nil
}

func hRespond(c *hostCall) (uint32, error) {
	inv := c.in.invocation()
	if inv.responded {
		return 0, errors.New("response already sent")
	}
	var pairs [][2]string
	if err := json.Unmarshal([]byte(c.str(1)), &pairs); err != nil {
		return 0, fmt.Errorf("decoding response headers: %w", err)
	}
	size := 0
	for _, p := range pairs {
		size += len(p[0]) + len(p[1])
	}
	if size > MaxResponseHeaderBytes {
		c.in.outputErr = fmt.Errorf("%w: response headers larger than %d bytes", ErrOutputLimit, MaxResponseHeaderBytes)
		c.in.interrupt.Store(true)
		return 0, c.in.outputErr
	}
	inv.responded = true
	inv.status = int(c.num(0))
	inv.header = make(http.Header, len(pairs))
	for _, p := range pairs {
		if !validHeaderValue(p[1]) {
			return 0, typeErrorf("invalid value for response header %q", p[0])
		}
		inv.header.Add(p[0], p[1])
	}
	return 0, nil
}

func hWrite(c *hostCall) (uint32, error) {
	return 0, c.in.writeBody(c.bytes(0))
}

// hWriteText writes a string body (without NUL: the prelude sends those as
// bytes) as UTF-8, saving the script an encoding pass.
func hWriteText(c *hostCall) (uint32, error) {
	return 0, c.in.writeBody(wtf8ToUTF8([]byte(c.str(0))))
}

func (in *instance) writeBody(b []byte) error {
	inv := in.invocation()
	if inv.body.Len()+len(b) > inv.outputLimit {
		in.outputErr = fmt.Errorf("%w: response body larger than %d bytes", ErrOutputLimit, inv.outputLimit)
		in.interrupt.Store(true)
		return in.outputErr
	}
	inv.body.Write(b)
	return nil
}

func hFetch(c *hostCall) (uint32, error) {
	inv := c.in.invocation()
	id, err := inv.startFetch(c.str(0), c.bytes(1))
	if err != nil {
		return 0, err
	}
	return c.in.newNumber(float64(id)), nil
}

func hFetchResult(c *hostCall) (uint32, error) {
	inv := c.in.invocation()
	f := inv.fetches[int(c.num(0))]
	if f == nil || !f.done {
		return 0, errors.New("no such fetch result")
	}
	meta := map[string]any{"url": f.url}
	if f.err != nil {
		meta["error"] = f.err.Error()
	} else {
		meta["status"] = f.resp.Status
		meta["statusText"] = http.StatusText(f.resp.Status)
		meta["headers"] = headerPairs(f.resp.Header)
	}
	j, _ := json.Marshal(meta)
	return c.in.newString(string(j)), nil
}

func hFetchBody(c *hostCall) (uint32, error) {
	inv := c.in.invocation()
	id := int(c.num(0))
	f := inv.fetches[id]
	if f == nil || !f.done {
		return 0, errors.New("no such fetch result")
	}
	delete(inv.fetches, id)
	if f.resp == nil {
		return 0, nil
	}
	return c.in.newBytes(f.resp.Body), nil
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func parseJSError(j string) *JSError {
	var e JSError
	if err := json.Unmarshal([]byte(j), &e); err != nil {
		return &JSError{Message: j}
	}
	return &e
}
