// Command extism is a test plugin: it behaves, or misbehaves, by the path
// of the request. It is built with the kernel imports of
// examples/hello-extism/pdk.go.
package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"
)

type request struct {
	Method  string              `json:"method"`
	URL     string              `json:"url"`
	Host    string              `json:"host"`
	Headers map[string][]string `json:"headers"`
	Body    []byte              `json:"body"`
}

//go:wasmimport extism:host/env http_request
func extismHTTPRequest(request, body uint64) uint64

var (
	keep  [][]byte
	calls int
)

func reply(v any) int32 {
	b, _ := json.Marshal(v)
	output(b)
	return 0
}

//go:wasmexport handle
func handle() int32 {
	calls++
	var req request
	if err := json.Unmarshal(input(), &req); err != nil {
		setError("bad request JSON: " + err.Error())
		return 1
	}
	u, _ := url.Parse(req.URL)
	switch u.Path {
	case "/hello":
		logInfo("hello from the plugin")
		logWarn("careful: " + req.Method)
		return reply(map[string]any{
			"status": 201,
			"headers": map[string]any{
				"Content-Type": "text/plain",
				"X-Token":      strings.Join(req.Headers["X-Token"], ","),
				"X-Multi":      []string{"a", "b"},
			},
			"body": []byte(fmt.Sprintf("hello %s %s q=%s host=%s body=%s", req.Method, u.Path, u.Query().Get("q"), req.Host, req.Body)),
		})
	case "/config":
		v, ok := config(u.Query().Get("key"))
		return reply(map[string]any{"text": fmt.Sprintf("%q %v", v, ok)})
	case "/text":
		return reply(map[string]any{"text": "plain text"})
	case "/calls":
		return reply(map[string]any{"text": fmt.Sprint(calls)})
	case "/stderr":
		fmt.Fprintln(os.Stderr, "to stderr")
		return reply(map[string]any{"text": "ok"})
	case "/error":
		setError("plugin says no")
		return 1
	case "/rc":
		return 3
	case "/garbage":
		output([]byte("this is not JSON"))
		return 0
	case "/nothing":
		return 0
	case "/badbody":
		return reply(map[string]any{"body": "not base64!"})
	case "/big":
		return reply(map[string]any{"text": strings.Repeat("x", 64<<10)})
	case "/loop":
		for i := 0; ; i++ {
			if i < 0 {
				break
			}
		}
	case "/memory":
		for {
			keep = append(keep, make([]byte, 1<<20))
		}
	case "/kernelmemory":
		for n := 1; ; n++ {
			if extismAlloc(1<<20) == 0 {
				setError(fmt.Sprintf("kernel alloc failed at %d MiB", n))
				return 1
			}
		}
	case "/kernelflood":
		for {
			extismInputLength()
		}
	case "/http":
		extismHTTPRequest(store([]byte(`{"url":"http://127.0.0.1:9/","method":"GET"}`)), 0)
		return reply(map[string]any{"text": "fetched"})
	case "/sleep":
		time.Sleep(time.Hour)
	case "/panic":
		panic("boom in plugin")
	case "/exit":
		os.Exit(0)
	}
	return reply(map[string]any{"status": 404, "text": "no such path"})
}

func main() {}
