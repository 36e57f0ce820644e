package kiln

import (
	"encoding/binary"
	"errors"
	"net/http"
)

var errMalformed = errors.New("kiln: malformed frame")

// frameRequest is a decoded request frame.
type frameRequest struct {
	limit      uint32
	method     string
	url        string
	host       string
	remoteAddr string
	header     http.Header
	body       []byte // aliases the frame
}

func appendStr(b []byte, s string) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

func appendHeader(b []byte, h http.Header) []byte {
	n := 0
	for _, vs := range h {
		n += len(vs)
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(n))
	for k, vs := range h {
		for _, v := range vs {
			b = appendStr(b, k)
			b = appendStr(b, v)
		}
	}
	return b
}

// appendRequest appends a request frame.
func appendRequest(b []byte, limit uint32, method, url, host, remote string, h http.Header, body []byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, limit)
	b = appendStr(b, method)
	b = appendStr(b, url)
	b = appendStr(b, host)
	b = appendStr(b, remote)
	b = appendHeader(b, h)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(body)))
	return append(b, body...)
}

func parseRequest(b []byte) (frameRequest, error) {
	var r frameRequest
	d := decoder{b: b}
	r.limit = d.u32()
	r.method = d.str()
	r.url = d.str()
	r.host = d.str()
	r.remoteAddr = d.str()
	r.header = d.header()
	r.body = d.bytes()
	if d.bad || d.i != len(b) {
		return frameRequest{}, errMalformed
	}
	return r, nil
}

// frameResponse is a decoded response frame.
type frameResponse struct {
	status int
	flags  uint32
	header http.Header
	body   []byte // aliases the frame
}

func parseResponse(b []byte) (frameResponse, error) {
	var r frameResponse
	d := decoder{b: b}
	r.status = int(d.u32())
	r.flags = d.u32()
	r.header = d.header()
	r.body = d.bytes()
	if d.bad || d.i != len(b) {
		return frameResponse{}, errMalformed
	}
	return r, nil
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
	if d.bad || uint64(n)*8 > uint64(len(d.b)-d.i) {
		d.bad = true
		return nil
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
