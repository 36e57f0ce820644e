package wire

import (
	"encoding/binary"
	"errors"
	"net/http"
)

// ErrMalformed reports a frame that is cut short or whose lengths do not
// add up.
var ErrMalformed = errors.New("malformed frame")

// Request is a decoded request frame.
type Request struct {
	Limit      uint32
	Method     string
	URL        string
	Host       string
	RemoteAddr string
	Header     http.Header
	Body       []byte
}

// RequestSize is the length of the request frame for these fields with a
// body of bodyLen bytes.
func RequestSize(method, url, host, remote string, h http.Header, bodyLen int) int {
	return 4 + 4 + len(method) + 4 + len(url) + 4 + len(host) + 4 + len(remote) + HeaderSize(h) + 4 + bodyLen
}

// HeaderSize is the encoded size of h.
func HeaderSize(h http.Header) int {
	n := 4
	for k, vs := range h {
		for _, v := range vs {
			n += 8 + len(k) + len(v)
		}
	}
	return n
}

// PutRequestHead writes everything of a request frame but the body bytes
// into b, which must be RequestSize long, and returns the part of b where
// the bodyLen body bytes go.
func PutRequestHead(b []byte, limit uint32, method, url, host, remote string, h http.Header, bodyLen int) []byte {
	binary.LittleEndian.PutUint32(b, limit)
	i := 4
	i = putStr(b, i, method)
	i = putStr(b, i, url)
	i = putStr(b, i, host)
	i = putStr(b, i, remote)
	i = putHeader(b, i, h)
	binary.LittleEndian.PutUint32(b[i:], uint32(bodyLen))
	i += 4
	return b[i : i+bodyLen]
}

// AppendResponse appends a response frame.
func AppendResponse(b []byte, status int, flags uint32, h http.Header, body []byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(status))
	b = binary.LittleEndian.AppendUint32(b, flags)
	start := len(b)
	b = append(b, make([]byte, HeaderSize(h))...)
	putHeader(b[start:], 0, h)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(body)))
	return append(b, body...)
}

// ParseRequest decodes a request frame. Strings and the header are copies;
// Body aliases b.
func ParseRequest(b []byte) (Request, error) {
	var r Request
	d := decoder{b: b}
	r.Limit = d.u32()
	r.Method = d.str()
	r.URL = d.str()
	r.Host = d.str()
	r.RemoteAddr = d.str()
	r.Header = d.header()
	r.Body = d.bytes()
	if d.bad || d.i != len(b) {
		return Request{}, ErrMalformed
	}
	return r, nil
}

// Response is a decoded response frame. Body aliases the frame.
type Response struct {
	Status int
	Flags  uint32
	Header http.Header
	Body   []byte
}

// ParseResponse decodes a response frame.
func ParseResponse(b []byte) (Response, error) {
	var r Response
	d := decoder{b: b}
	r.Status = int(d.u32())
	r.Flags = d.u32()
	r.Header = d.header()
	r.Body = d.bytes()
	if d.bad || d.i != len(b) {
		return Response{}, ErrMalformed
	}
	return r, nil
}

func putStr(b []byte, i int, s string) int {
	binary.LittleEndian.PutUint32(b[i:], uint32(len(s)))
	i += 4
	return i + copy(b[i:], s)
}

func putHeader(b []byte, i int, h http.Header) int {
	n := 0
	for _, vs := range h {
		n += len(vs)
	}
	binary.LittleEndian.PutUint32(b[i:], uint32(n))
	i += 4
	for k, vs := range h {
		for _, v := range vs {
			i = putStr(b, i, k)
			i = putStr(b, i, v)
		}
	}
	return i
}

type decoder struct {
	b   []byte
	i   int
	bad bool
}

func (d *decoder) u32() uint32 {
	if d.bad || len(d.b)-d.i < 4 {
		d.bad = true
		return 0
	}
	v := binary.LittleEndian.Uint32(d.b[d.i:])
	d.i += 4
	return v
}

func (d *decoder) bytes() []byte {
	n := d.u32()
	if d.bad || uint64(len(d.b)-d.i) < uint64(n) {
		d.bad = true
		return nil
	}
	v := d.b[d.i : d.i+int(n) : d.i+int(n)]
	d.i += int(n)
	return v
}

func (d *decoder) str() string { return string(d.bytes()) }

func (d *decoder) header() http.Header {
	n := d.u32()
	// Each pair takes at least 8 bytes: refuse counts the frame cannot hold
	// before allocating for them.
	if d.bad || uint64(n)*8 > uint64(len(d.b)-d.i) {
		d.bad = true
		return nil
	}
	if n == 0 {
		return http.Header{}
	}
	h := make(http.Header, n)
	for range n {
		k := d.bytes()
		v := d.str()
		if d.bad {
			return nil
		}
		key := http.CanonicalHeaderKey(string(k))
		h[key] = append(h[key], v)
	}
	return h
}
