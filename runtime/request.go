package runtime

import (
	"io"
	"net/http"
	"time"

	"github.com/kilnhq/kiln/runtime/hostfn"
)

// Request is one HTTP request to a guest.
type Request struct {
	// Method is the HTTP method; empty means GET.
	Method string
	// URL is the request URI: path and query, e.g. "/items/7?full=1".
	URL string
	// Host is the Host the client addressed.
	Host string
	// Header holds the request headers.
	Header http.Header
	// Body is the request body; nil means empty. When it implements
	// io.Closer the engine closes it at the deadline, so a guest blocked
	// reading a slow body is released. An in-memory body (*bytes.Reader,
	// *bytes.Buffer, *strings.Reader) is copied straight into the guest.
	Body io.Reader
	// RemoteAddr is the client's address, "ip:port".
	RemoteAddr string
	// Route is the route pattern that matched, for WAGI's SCRIPT_NAME and
	// PATH_INFO: "/api/..." matches "/api" and everything below it, whose
	// rest becomes PATH_INFO. Empty means "/...".
	Route string
}

// LogLine is one line a guest logged: through the SDK's logger (Stream
// "log"), or on stdout or stderr where those are not the response.
type LogLine = hostfn.LogLine

// Result is what one invocation did. Invoke returns it even when it
// fails, with everything measured up to the failure.
type Result struct {
	// Status, Header and Body are the guest's response; Status is 0 when
	// the invocation failed.
	Status int
	Header http.Header
	Body   []byte

	// Logs are the lines logged, in order, capped by Limits.MaxLogBytes.
	Logs []LogLine
	// LogsTruncated reports lines cut or dropped at the cap.
	LogsTruncated bool

	// Fuel is the fuel the request used: instructions executed plus host
	// work charged as fuel. Deterministic for deterministic guests.
	Fuel uint64
	// InitFuel is the fuel spent initialising a new reactor instance for
	// this request (0 when an idle instance served it); not in Fuel.
	InitFuel uint64
	// ColdStart reports that a new instance was created for the request.
	ColdStart bool
	// Wall is the time from Invoke to its return.
	Wall time.Duration
	// PeakMemory is the guest's largest linear memory size in bytes (for
	// a reused instance: over its life so far).
	PeakMemory uint64
	// BytesIn and BytesOut count request and response body bytes.
	BytesIn, BytesOut int64
	// EgressSent and EgressReceived count bytes of the guest's outbound
	// HTTP requests.
	EgressSent, EgressReceived int64
	// ErrorKind is ErrorKind of the invocation's error; "" on success.
	ErrorKind string
}
