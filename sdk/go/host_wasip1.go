//go:build wasip1

package kiln

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"unsafe"
)

//go:wasmimport kiln log
func hostLog(level uint32, ptr unsafe.Pointer, n uint32)

//go:wasmimport kiln fetch
func hostFetch(ptr unsafe.Pointer, n uint32) uint64

//go:wasmimport kiln fetch_read
func hostFetchRead(ptr unsafe.Pointer, n uint32) uint32

func init() {
	// Plain http.Get and http.DefaultClient go through egress too.
	http.DefaultTransport = Transport{}
}

func writeLog(level uint32, msg []byte) {
	if len(msg) == 0 {
		return
	}
	hostLog(level, unsafe.Pointer(unsafe.SliceData(msg)), uint32(len(msg)))
}

// RoundTrip implements http.RoundTripper through the kiln.fetch host call.
func (Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("kiln: reading request body: %w", err)
		}
		body = b
	}
	host := req.Host
	if host == req.URL.Host {
		host = ""
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	frame := appendRequest(nil, 0, method, req.URL.String(), host, "", req.Header, body)
	packed := hostFetch(unsafe.Pointer(unsafe.SliceData(frame)), uint32(len(frame)))
	code, n := uint32(packed>>32), uint32(packed)
	out := make([]byte, n)
	if n > 0 {
		hostFetchRead(unsafe.Pointer(unsafe.SliceData(out)), n)
	}
	if code != fetchOK {
		return nil, &FetchError{Code: int(code), Message: string(out)}
	}
	fr, err := parseResponse(out)
	if err != nil {
		return nil, &FetchError{Code: fetchFailed, Message: "kiln: malformed fetch response"}
	}
	return &http.Response{
		Status:        strconv.Itoa(fr.status) + " " + http.StatusText(fr.status),
		StatusCode:    fr.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        fr.header,
		Body:          io.NopCloser(bytes.NewReader(fr.body)),
		ContentLength: int64(len(fr.body)),
		Request:       req,
	}, nil
}

// maxKeptResponse is the largest response buffer kept for reuse.
const maxKeptResponse = 1 << 20

// Request and response buffers, reused between requests. Go's collector
// does not move objects, so their addresses stay valid for the host.
var reqBuf, respBuf []byte

//go:wasmexport kiln_abi_version
func kilnABIVersion() uint32 { return abiVersion }

//go:wasmexport kiln_buffer
func kilnBuffer(size uint32) uint32 {
	if uint32(cap(reqBuf)) < size {
		reqBuf = make([]byte, size)
	}
	reqBuf = reqBuf[:size]
	return uint32(uintptr(unsafe.Pointer(unsafe.SliceData(reqBuf))))
}

//go:wasmexport kiln_handle
func kilnHandle(n uint32) uint64 {
	if n > uint32(len(reqBuf)) {
		n = 0 // a frame the buffer cannot hold: answered as malformed
	}
	if cap(respBuf) > maxKeptResponse {
		respBuf = nil // one large response should not pin its memory
	}
	respBuf = serve(reqBuf[:n:n], respBuf)
	return uint64(uintptr(unsafe.Pointer(unsafe.SliceData(respBuf))))<<32 | uint64(len(respBuf))
}
