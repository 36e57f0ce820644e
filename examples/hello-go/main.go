// Command hello-go is a Kiln function written as a plain net/http handler.
//
//	kiln deploy examples/hello-go
//	curl http://127.0.0.1:8080/fn/default/hello-go/?name=Kiln
package main

import (
	"encoding/json"
	"net/http"
	"os"

	kiln "github.com/kilnhq/kiln/sdk/go"
)

func init() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		name := r.URL.Query().Get("name")
		if name == "" {
			name = "world"
		}
		kiln.Logger().Info("greeting", "name", name)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("Hello, " + name + "!\n"))
	})
	mux.HandleFunc("POST /echo", func(w http.ResponseWriter, r *http.Request) {
		var v any
		if err := json.NewDecoder(r.Body).Decode(&v); err != nil {
			http.Error(w, "send JSON: "+err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"echo": v, "function": os.Getenv("APPWRITE_FUNCTION_ID")})
	})
	kiln.Handle(mux)
}

func main() {}
