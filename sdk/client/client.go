package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client talks to one project of a Kiln server.
type Client struct {
	// Endpoint is the API root, e.g. "http://127.0.0.1:8080/v1".
	Endpoint string
	// Project is the project id; Key an API key secret of it.
	Project string
	Key     string
	// HTTP is the transport. Default: a client with a 5 minute timeout.
	HTTP *http.Client
}

// Error is an error answer from the server, in Appwrite's shape.
type Error struct {
	Status  int    `json:"code"`
	Type    string `json:"type"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return fmt.Sprintf("%s (%d %s)", e.Message, e.Status, e.Type) }

// IsNotFound reports whether err is a 404 from the server.
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == http.StatusNotFound
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return &http.Client{Timeout: 5 * time.Minute}
}

func (c *Client) newRequest(ctx context.Context, method, path string, query url.Values, body io.Reader, contentType string) (*http.Request, error) {
	u := strings.TrimSuffix(c.Endpoint, "/") + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("X-Appwrite-Project", c.Project)
	if c.Key != "" {
		req.Header.Set("X-Appwrite-Key", c.Key)
	}
	req.Header.Set("X-Appwrite-Response-Format", "1.7.0")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return req, nil
}

// do sends a request and decodes a JSON answer into out (nil: discard).
func (c *Client) do(req *http.Request, out any) error {
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		e := &Error{Status: resp.StatusCode}
		if json.Unmarshal(b, e) != nil || e.Message == "" {
			e.Message = strings.TrimSpace(string(b))
			if e.Message == "" {
				e.Message = resp.Status
			}
		}
		return e
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decoding answer to %s %s: %w", req.Method, req.URL.Path, err)
	}
	return nil
}

// call sends a JSON body (nil: none) and decodes the answer.
func (c *Client) call(ctx context.Context, method, path string, query url.Values, in, out any) error {
	var body io.Reader
	ct := ""
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body, ct = bytes.NewReader(b), "application/json"
	}
	req, err := c.newRequest(ctx, method, path, query, body, ct)
	if err != nil {
		return err
	}
	return c.do(req, out)
}

// Queries encodes Appwrite JSON queries as queries[i] parameters.
func Queries(qs ...string) url.Values {
	v := url.Values{}
	for i, q := range qs {
		v.Set(fmt.Sprintf("queries[%d]", i), q)
	}
	return v
}

// Query builds one Appwrite query, e.g. Query("equal", "status", "failed").
func Query(method, attribute string, values ...any) string {
	b, _ := json.Marshal(map[string]any{"method": method, "attribute": attribute, "values": values})
	return string(b)
}
