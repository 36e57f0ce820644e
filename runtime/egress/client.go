package egress

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"

	"github.com/kilnhq/kiln/runtime/hostfn"
)

// Client sends requests under one Policy. It implements hostfn.Egress and
// is safe for concurrent use; connections are pooled across requests.
type Client struct {
	p  Policy
	tr *http.Transport
	hc *http.Client
}

// New returns a Client for p.
func New(p Policy) *Client {
	c := &Client{p: p.withDefaults()}
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: c.control}
	c.tr = &http.Transport{
		Proxy: nil, // a proxy would dial for us, past the address check
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := d.DialContext(ctx, network, addr)
			var denied *DeniedError
			if errors.As(err, &denied) {
				host, _, _ := net.SplitHostPort(addr)
				return nil, &DeniedError{Host: host, Addr: denied.Addr, Reason: denied.Reason}
			}
			return conn, err
		},
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           256,
		MaxIdleConnsPerHost:    16,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    10 * time.Second,
		MaxResponseHeaderBytes: maxHeaderBytes,
	}
	c.hc = &http.Client{Transport: c.tr, CheckRedirect: c.checkRedirect}
	return c
}

// Close drops idle connections.
func (c *Client) Close() { c.tr.CloseIdleConnections() }

// control runs before every connection the dialer makes, on the resolved
// address, so no name can lead past the policy.
func (c *Client) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &DeniedError{Host: address, Reason: "address that cannot be checked"}
	}
	return c.p.checkAddr(ap.Addr())
}

// checkURL refuses what can be refused before dialling: other schemes,
// names off the allow-list and literal addresses that are not public.
func (c *Client) checkURL(u *url.URL) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%w: scheme %q (only http and https)", ErrDenied, u.Scheme)
	}
	host := u.Hostname()
	if host == "" {
		return fmt.Errorf("%w: the URL has no host", ErrDenied)
	}
	if !c.p.hostAllowed(host) {
		return &DeniedError{Host: host, Reason: "host not in the allow-list"}
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if err := c.p.checkAddr(a); err != nil {
			return err
		}
	}
	return nil
}

func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	if c.p.MaxRedirects < 0 {
		return http.ErrUseLastResponse
	}
	if len(via) > c.p.MaxRedirects {
		return fmt.Errorf("stopped after %d redirects", c.p.MaxRedirects)
	}
	return c.checkURL(req.URL)
}

// Do sends req and reads the whole response body. Errors match ErrDenied,
// ErrTooLarge or describe a network failure or timeout; the response
// counts the bytes moved (HTTP messages, without TLS framing) even then.
func (c *Client) Do(ctx context.Context, req *http.Request) (*hostfn.EgressResponse, error) {
	res := &hostfn.EgressResponse{}
	if err := c.checkURL(req.URL); err != nil {
		return res, err
	}
	if req.Body != nil && req.Body != http.NoBody {
		body, err := io.ReadAll(io.LimitReader(req.Body, c.p.MaxRequestBytes+1))
		req.Body.Close()
		if err != nil {
			return res, fmt.Errorf("reading the request body: %w", err)
		}
		if int64(len(body)) > c.p.MaxRequestBytes {
			return res, fmt.Errorf("%w: request body over %d bytes", ErrTooLarge, c.p.MaxRequestBytes)
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.ContentLength = int64(len(body))
	}
	ctx, cancel := context.WithTimeout(ctx, c.p.Timeout)
	defer cancel()
	req = req.WithContext(ctx)
	res.BytesSent = messageBytes(req.Header) + max(req.ContentLength, 0)

	resp, err := c.hc.Do(req)
	if err != nil {
		return res, c.explain(ctx, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.p.MaxResponseBytes+1))
	res.BytesReceived = messageBytes(resp.Header) + int64(len(body))
	if err != nil {
		return res, c.explain(ctx, fmt.Errorf("reading the response body: %w", err))
	}
	if int64(len(body)) > c.p.MaxResponseBytes {
		return res, fmt.Errorf("%w: response body over %d bytes", ErrTooLarge, c.p.MaxResponseBytes)
	}
	res.Status, res.Header, res.Body = resp.StatusCode, resp.Header, body
	return res, nil
}

// explain strips the *url.Error wrapper (the caller names the request)
// and says when the policy's timeout ended the request.
func (c *Client) explain(ctx context.Context, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var denied *DeniedError
	if errors.As(err, &denied) {
		return denied
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("timed out: %w", err)
	}
	return err
}

// messageBytes estimates a message's start line and headers on the wire.
func messageBytes(h http.Header) int64 {
	n := int64(32)
	for k, vs := range h {
		for _, v := range vs {
			n += int64(len(k) + len(v) + 4)
		}
	}
	return n
}
