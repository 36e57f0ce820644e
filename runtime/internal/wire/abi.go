// Package wire is the host side of the reactor ABI spoken between Kiln and
// guests built with the Go SDK (module github.com/kilnhq/kiln/sdk/go): the
// names of the exports and host imports, and the length-prefixed binary
// frames that carry requests and responses through guest memory. The SDK
// keeps its own copy of these constants (it is a separate module with no
// dependencies); a test in package runtime checks the two copies agree.
//
// Frames are little-endian. A string or byte field is a u32 length followed
// by that many bytes; a header list is a u32 count followed by name, value
// string pairs (one pair per value, names in canonical form).
//
// Request frame (host → guest for kiln_handle, guest → host for fetch):
//
//	u32 limit      // kiln_handle: cap on the response body in bytes; fetch: cap on the response body the guest accepts (0 = host default)
//	str method
//	str url        // kiln_handle: request URI ("/path?query"); fetch: absolute URL
//	str host
//	str remoteAddr
//	headers
//	bytes body
//
// Response frame (guest → host from kiln_handle, host → guest for fetch):
//
//	u32 status
//	u32 flags      // FlagTruncated, FlagPanic
//	headers
//	bytes body     // with FlagPanic: "panic: <value>\n\n<stack>"
package wire

// Version is the ABI version; the guest's kiln_abi_version export returns
// it and the host refuses other values.
const Version = 1

// Guest exports.
const (
	// ExportVersion: func() -> i32, the ABI version the guest speaks.
	ExportVersion = "kiln_abi_version"
	// ExportBuffer: func(size i32) -> i32, the address of a guest buffer of
	// at least size bytes into which the host writes the next request
	// frame. The buffer stays valid until the next kiln_buffer call.
	ExportBuffer = "kiln_buffer"
	// ExportHandle: func(len i32) -> i64, serves the request frame of len
	// bytes in the buffer and returns the response frame as address<<32 |
	// length. The frame stays valid until the next call into the guest.
	ExportHandle = "kiln_handle"
)

// Host imports, all in module HostModule.
const (
	HostModule = "kiln"
	// ImportLog: func(level, ptr, len i32), one log line.
	ImportLog = "log"
	// ImportFetch: func(ptr, len i32) -> i64, sends the request frame at
	// ptr and returns code<<32 | n: with code FetchOK, n is the length of
	// the response frame; otherwise n is the length of an error message.
	// Either is then copied into guest memory by fetch_read.
	ImportFetch = "fetch"
	// ImportFetchRead: func(ptr, len i32) -> i32, copies up to len bytes of
	// the pending fetch result to ptr and returns how many it copied.
	ImportFetchRead = "fetch_read"
)

// Log levels of ImportLog.
const (
	LevelDebug = 0
	LevelInfo  = 1
	LevelWarn  = 2
	LevelError = 3
)

// Result codes of ImportFetch.
const (
	FetchOK          = 0
	FetchDenied      = 1 // the egress policy refused the destination
	FetchFailed      = 2 // network error, timeout or bad response
	FetchBadRequest  = 3 // the request frame or URL was malformed
	FetchTooLarge    = 4 // request or response over the size limits
	FetchUnavailable = 5 // the deployment has no outbound HTTP
)

// Response flags.
const (
	// FlagTruncated: the handler wrote more than the limit; the body was
	// cut at the limit.
	FlagTruncated = 1
	// FlagPanic: the handler panicked; the body holds the panic value and
	// the goroutine stack.
	FlagPanic = 2
)
