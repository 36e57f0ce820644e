// Package kiln is the Kiln SDK for Go functions. Register a plain
// net/http handler from an init function and build for WASI as a reactor:
//
//	package main
//
//	import (
//		"net/http"
//
//		kiln "github.com/kilnhq/kiln/sdk/go"
//	)
//
//	func init() {
//		kiln.Handle(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
//			w.Write([]byte("hello"))
//		}))
//	}
//
//	func main() {}
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o fn.wasm
//
// Kiln initialises the module once and serves many requests with the same
// instance, one at a time. Deployment variables are environment variables
// (os.Getenv). Logger returns a *slog.Logger whose lines appear in the
// execution's logs, as do stdout and stderr. Outbound HTTP goes through the
// deployment's egress policy: HTTPClient, Transport, and (under Kiln)
// http.DefaultTransport all send through it, so ordinary http.Client code
// works.
//
// Outside wasip1 the package builds too, so handlers can be unit-tested
// natively: Handler returns what was registered, Logger writes to stderr
// and Transport is http.DefaultTransport.
//
// ABI.md describes the binary interface between this package and Kiln.
package kiln
