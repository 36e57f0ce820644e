package runtime

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// The JSON an Extism plugin's handle export is called with and must
// output. Bodies are base64 (standard alphabet, padded) in both
// directions, so any bytes pass and a Go plugin can use []byte fields as
// encoding/json reads and writes them. A response may give "text", a plain
// string, instead of "body".
//
// Input:
//
//	{"method": "POST", "url": "/path?q=1", "host": "example.com",
//	 "remoteAddr": "203.0.113.7:52100",
//	 "headers": {"Content-Type": ["application/json"]},
//	 "body": "eyJhIjoxfQ=="}
//
// Output:
//
//	{"status": 200, "headers": {"Content-Type": "text/plain"},
//	 "body": "aGVsbG8="}
//
// A missing or zero status means 200; a header value may be a string or
// an array of strings.

// pluginRequest is the input of handle.
type pluginRequest struct {
	Method     string              `json:"method"`
	URL        string              `json:"url"`
	Host       string              `json:"host,omitempty"`
	RemoteAddr string              `json:"remoteAddr,omitempty"`
	Headers    map[string][]string `json:"headers"`
	Body       []byte              `json:"body"`
}

// pluginResponse is the output of handle.
type pluginResponse struct {
	Status  int                        `json:"status"`
	Headers map[string]json.RawMessage `json:"headers"`
	Body    *string                    `json:"body"`
	Text    *string                    `json:"text"`
}

// pluginInput encodes a request for handle.
func pluginInput(req *Request, body io.Reader, bodyLen int) ([]byte, error) {
	pr := pluginRequest{
		Method:     req.Method,
		URL:        req.URL,
		Host:       req.Host,
		RemoteAddr: req.RemoteAddr,
		Headers:    req.Header,
		Body:       []byte{},
	}
	if pr.Method == "" {
		pr.Method = "GET"
	}
	if pr.URL == "" {
		pr.URL = "/"
	}
	if pr.Headers == nil {
		pr.Headers = map[string][]string{}
	}
	if body != nil && bodyLen > 0 {
		pr.Body = make([]byte, bodyLen)
		if _, err := io.ReadFull(body, pr.Body); err != nil {
			return nil, fmt.Errorf("reading request body: %w", err)
		}
	}
	in, err := json.Marshal(pr)
	if err != nil {
		return nil, fmt.Errorf("encoding the request: %w", err)
	}
	return in, nil
}

// maxPluginOutput bounds the JSON output read for a body cap of max bytes:
// base64 grows the body by a third, and headers need some room.
func maxPluginOutput(max int) int {
	return max/3*4 + 4 + 1<<20
}

// parsePluginOutput decodes handle's output into a response.
func parsePluginOutput(out []byte, maxBody int) (int, http.Header, []byte, error) {
	if len(out) > maxPluginOutput(maxBody) {
		return 0, nil, nil, fmt.Errorf("%w: the plugin's output is %d bytes, over the limit for a %d byte body", ErrOutputLimit, len(out), maxBody)
	}
	if len(bytes.TrimSpace(out)) == 0 {
		return 0, nil, nil, fmt.Errorf("%w: the plugin output nothing; handle must output a JSON response", ErrBadResponse)
	}
	var pr pluginResponse
	dec := json.NewDecoder(bytes.NewReader(out))
	if err := dec.Decode(&pr); err != nil {
		return 0, nil, nil, fmt.Errorf("%w: the plugin's output is not a JSON response: %w (it begins %q)", ErrBadResponse, err, firstBytes(out, 80))
	}
	if dec.More() {
		return 0, nil, nil, fmt.Errorf("%w: the plugin's output has data after its JSON response", ErrBadResponse)
	}
	status := pr.Status
	if status == 0 {
		status = http.StatusOK
	}
	if status < 100 || status > 999 {
		return 0, nil, nil, fmt.Errorf("%w: status %d", ErrBadResponse, pr.Status)
	}
	h := make(http.Header, len(pr.Headers))
	for k, raw := range pr.Headers {
		var one string
		if err := json.Unmarshal(raw, &one); err == nil {
			h.Add(k, one)
			continue
		}
		var many []string
		if err := json.Unmarshal(raw, &many); err != nil {
			return 0, nil, nil, fmt.Errorf("%w: header %q is neither a string nor an array of strings", ErrBadResponse, k)
		}
		for _, v := range many {
			h.Add(k, v)
		}
	}
	var body []byte
	switch {
	case pr.Body != nil && pr.Text != nil:
		return 0, nil, nil, fmt.Errorf("%w: the response has both body and text; give one", ErrBadResponse)
	case pr.Text != nil:
		body = []byte(*pr.Text)
	case pr.Body != nil:
		var err error
		if body, err = base64.StdEncoding.DecodeString(*pr.Body); err != nil {
			return 0, nil, nil, fmt.Errorf("%w: the response body is not base64 (send a plain string as \"text\"): %w", ErrBadResponse, err)
		}
	}
	if len(body) > maxBody {
		return 0, nil, nil, fmt.Errorf("%w: the response body is %d bytes, over %d", ErrOutputLimit, len(body), maxBody)
	}
	return status, h, body, nil
}
