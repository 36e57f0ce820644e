package runtime

import (
	"path/filepath"
	"testing"

	"github.com/kilnhq/kiln/internal/wasmtest"
)

// sdkReplace points guests at the SDK in this tree.
func sdkOptions(t testing.TB) wasmtest.GoOptions {
	dir, err := filepath.Abs("../sdk/go")
	if err != nil {
		t.Fatal(err)
	}
	return wasmtest.GoOptions{
		Reactor:  true,
		Replace:  map[string]string{"github.com/kilnhq/kiln/sdk/go": dir},
		Requires: []string{"github.com/kilnhq/kiln/sdk/go v0.0.0"},
	}
}

// buildReactor builds a Go reactor guest from the body of its main.go.
func buildReactor(t testing.TB, mainGo string) []byte {
	t.Helper()
	return wasmtest.BuildGo(t, map[string]string{"main.go": mainGo}, sdkOptions(t))
}

const helloReactor = `package main

import (
	"net/http"
	"os"

	kiln "github.com/kilnhq/kiln/sdk/go"
)

func init() {
	kiln.Handle(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("X-Greeting", os.Getenv("GREETING"))
		w.WriteHeader(201)
		w.Write([]byte("hello " + r.Method + " " + r.URL.Path + " q=" + r.URL.Query().Get("q")))
	}))
}

func main() {}
`

// buildCommand builds a Go WASI command (a WAGI guest).
func buildCommand(t testing.TB, mainGo string) []byte {
	t.Helper()
	return wasmtest.BuildGo(t, map[string]string{"main.go": mainGo}, wasmtest.GoOptions{})
}

// wagiEcho answers with what the CGI environment and stdin told it.
const wagiEcho = `package main

import (
	"fmt"
	"io"
	"os"
)

func main() {
	body, _ := io.ReadAll(os.Stdin)
	fmt.Fprintln(os.Stderr, "serving", os.Getenv("REQUEST_METHOD"))
	switch os.Getenv("PATH_INFO") {
	case "/missing":
		fmt.Print("Status: 404 Not Found\nContent-Type: text/plain\n\nno such thing")
		return
	case "/moved":
		fmt.Print("Location: /elsewhere\n\n")
		return
	case "/fail":
		fmt.Fprintln(os.Stderr, "giving up")
		os.Exit(3)
	}
	fmt.Print("Content-Type: text/plain\r\nX-Script: ", os.Getenv("SCRIPT_NAME"), "\r\n\r\n")
	for _, k := range []string{"REQUEST_METHOD", "PATH_INFO", "QUERY_STRING", "CONTENT_TYPE", "CONTENT_LENGTH", "HTTP_X_TOKEN", "X_MATCHED_ROUTE", "SERVER_NAME", "GREETING"} {
		fmt.Printf("%s=%s\n", k, os.Getenv(k))
	}
	fmt.Printf("body=%s\n", body)
}
`

// badReactor misbehaves according to the request path.
const badReactor = `package main

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	kiln "github.com/kilnhq/kiln/sdk/go"
)

var keep [][]byte

func recurse(n int) int {
	var pad [64]byte
	pad[n%64] = byte(n)
	return recurse(n+1) + int(pad[0])
}

func init() {
	kiln.Handle(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			w.Write([]byte("fine"))
		case "/loop":
			for i := 0; ; i++ {
				if i < 0 {
					break
				}
			}
		case "/recurse":
			recurse(0)
		case "/memory":
			for {
				keep = append(keep, make([]byte, 1<<20))
			}
		case "/big":
			chunk := []byte(strings.Repeat("x", 1024))
			for i := 0; i < 2048; i++ {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		case "/panic":
			w.Header().Set("X-Partial", "yes")
			w.Write([]byte("partial response"))
			panic("boom halfway")
		case "/sleep":
			time.Sleep(time.Hour)
		case "/stdout":
			line := strings.Repeat("y", 100)
			for i := 0; i < 20000; i++ {
				fmt.Println(line)
			}
			w.Write([]byte("flooded"))
		case "/exit":
			os.Exit(7)
		}
	}))
}

func main() {}
`

// badCommand is a WAGI guest misbehaving according to PATH_INFO.
const badCommand = `package main

import (
	"fmt"
	"io"
	"os"
	"strings"
)

func main() {
	switch os.Getenv("PATH_INFO") {
	case "/stdin":
		io.ReadAll(os.Stdin)
		fmt.Print("Content-Type: text/plain\n\nread it all")
	case "/stdout":
		chunk := []byte(strings.Repeat("z", 4096))
		fmt.Print("Content-Type: text/plain\n\n")
		for {
			os.Stdout.Write(chunk)
		}
	case "/stderr":
		line := strings.Repeat("e", 200)
		for i := 0; i < 10000; i++ {
			fmt.Fprintln(os.Stderr, line)
		}
		fmt.Print("Content-Type: text/plain\n\nstill answered")
	case "/garbage":
		fmt.Print("this is not a CGI response")
	default:
		fmt.Print("Content-Type: text/plain\n\nok")
	}
}
`
