// Command hello-extism is an Extism plugin for Kiln written in standard Go:
// Kiln calls its exported function handle with the HTTP request as JSON and
// answers with the JSON response it outputs. It needs no SDK, only the
// Extism kernel imports in pdk.go, so any Extism host can run it too.
//
// Build and deploy:
//
//	kiln deploy . --runtime extism
//
// Kiln compiles the Go source itself; a folder holding a built plugin
// .wasm deploys the same way:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o plugin.wasm .
package main

import (
	"encoding/json"
	"net/url"
)

// request is what Kiln passes to handle. Body is base64 in the JSON, which
// encoding/json decodes into a []byte by itself.
type request struct {
	Method  string              `json:"method"`
	URL     string              `json:"url"`
	Headers map[string][]string `json:"headers"`
	Body    []byte              `json:"body"`
}

// response is what handle outputs. Body is base64; a plugin may send
// "text" (a plain string) instead.
type response struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    []byte            `json:"body,omitempty"`
}

//go:wasmexport handle
func handle() int32 {
	var req request
	if err := json.Unmarshal(input(), &req); err != nil {
		setError("reading the request: " + err.Error())
		return 1
	}
	u, err := url.Parse(req.URL)
	if err != nil {
		setError("parsing the URL: " + err.Error())
		return 1
	}
	var res response
	switch {
	case req.Method == "POST" && u.Path == "/echo":
		var v any
		if json.Unmarshal(req.Body, &v) != nil {
			res = text(400, "send JSON\n")
			break
		}
		body, _ := json.Marshal(map[string]any{"echo": v, "plugin": "hello-extism"})
		res = response{Status: 200, Headers: map[string]string{"Content-Type": "application/json"}, Body: append(body, '\n')}
	case u.Path == "/" || u.Path == "":
		name := u.Query().Get("name")
		if name == "" {
			name = "world"
		}
		logInfo("greeting " + name)
		res = text(200, "Hello from Extism, "+name+"!\n")
	default:
		res = text(404, "no such page\n")
	}
	out, _ := json.Marshal(res)
	output(out)
	return 0
}

func text(status int, s string) response {
	return response{Status: status, Headers: map[string]string{"Content-Type": "text/plain; charset=utf-8"}, Body: []byte(s)}
}

func main() {}
