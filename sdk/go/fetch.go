package kiln

import (
	"errors"
	"net/http"
)

// Why a fetch failed, for errors.Is on the errors of Transport (wrapped
// in *url.Error by http.Client).
var (
	// ErrEgressDenied: the deployment's egress policy refused the
	// destination (private and loopback addresses are refused unless
	// allowed).
	ErrEgressDenied = errors.New("kiln: denied by egress policy")
	// ErrFetchFailed: the request failed on the network or timed out.
	ErrFetchFailed = errors.New("kiln: fetch failed")
	// ErrFetchTooLarge: the request or response exceeded a size limit.
	ErrFetchTooLarge = errors.New("kiln: fetch over the size limit")
	// ErrFetchUnavailable: the deployment has no outbound HTTP.
	ErrFetchUnavailable = errors.New("kiln: outbound HTTP unavailable")
	// ErrFetchBadRequest: the request could not be sent as given (not an
	// absolute http or https URL, …).
	ErrFetchBadRequest = errors.New("kiln: bad fetch request")
)

// FetchError is a failed outbound request; Message is the host's account.
type FetchError struct {
	Code    int
	Message string
}

func (e *FetchError) Error() string { return e.Message }

// Is matches the Err* value of the error's code.
func (e *FetchError) Is(target error) bool { return target == e.kind() }

func (e *FetchError) kind() error {
	switch e.Code {
	case fetchDenied:
		return ErrEgressDenied
	case fetchTooLarge:
		return ErrFetchTooLarge
	case fetchUnavailable:
		return ErrFetchUnavailable
	case fetchBadRequest:
		return ErrFetchBadRequest
	}
	return ErrFetchFailed
}

var errBodyTooLarge = errors.New("kiln: response body over the deployment's output limit")

// Transport sends requests through Kiln's egress (http.DefaultTransport
// outside wasip1).
type Transport struct{}

var _ http.RoundTripper = Transport{}

// HTTPClient returns an http.Client sending through Transport.
func HTTPClient() *http.Client { return &http.Client{Transport: Transport{}} }
