package runtime

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kilnhq/kiln/runtime/egress"
)

// fetchReactor fetches the URL in ?u= with the SDK's http.Client and says
// what came back or why not.
const fetchReactor = `package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	kiln "github.com/kilnhq/kiln/sdk/go"
)

func init() {
	client := kiln.HTTPClient()
	kiln.Handle(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		resp, err := client.Get(r.URL.Query().Get("u"))
		if err != nil {
			fmt.Fprintf(w, "error denied=%v unavailable=%v: %v", errors.Is(err, kiln.ErrEgressDenied), errors.Is(err, kiln.ErrFetchUnavailable), err)
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		fmt.Fprintf(w, "%d %s %s", resp.StatusCode, resp.Header.Get("X-Upstream"), b)
	}))
}

func main() {}
`

func TestFetchThroughEgressPolicy(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path == "/to-metadata" {
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
			return
		}
		w.Header().Set("X-Upstream", "yes")
		fmt.Fprint(w, "upstream body")
	}))
	defer srv.Close()

	e := newEngine(t, Config{})
	wasm := buildReactor(t, fetchReactor)
	fetchVia := func(d *Deployment, target string) (*Result, error) {
		return d.Invoke(context.Background(), &Request{URL: "/?u=" + url.QueryEscape(target)})
	}

	t.Run("allowed", func(t *testing.T) {
		eg := egress.New(egress.Policy{AllowNets: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
		defer eg.Close()
		d := deploy(t, e, wasm, DeploymentConfig{Egress: eg})
		res, err := fetchVia(d, srv.URL+"/hello")
		if err != nil || string(res.Body) != "200 yes upstream body" {
			t.Fatalf("got %v %q", err, res.Body)
		}
		if res.EgressSent == 0 || res.EgressReceived < int64(len("upstream body")) {
			t.Fatalf("egress bytes not counted: sent %d received %d", res.EgressSent, res.EgressReceived)
		}
	})

	t.Run("denied", func(t *testing.T) {
		eg := egress.New(egress.Policy{})
		defer eg.Close()
		d := deploy(t, e, wasm, DeploymentConfig{Egress: eg})
		before := hits.Load()
		for _, target := range []string{
			srv.URL + "/secret",
			"http://169.254.169.254/latest/meta-data/",
			"http://10.0.0.1/",
			"http://192.168.1.1/admin",
		} {
			res, err := fetchVia(d, target)
			if err != nil || !strings.HasPrefix(string(res.Body), "error denied=true") {
				t.Fatalf("%s: got %v %q", target, err, res.Body)
			}
			if !logsContain(res.Logs, "denied by egress policy") {
				t.Fatalf("%s: the denial is not in the logs: %+v", target, res.Logs)
			}
		}
		if hits.Load() != before {
			t.Fatal("a denied request reached the server")
		}
	})

	t.Run("redirect to metadata", func(t *testing.T) {
		eg := egress.New(egress.Policy{AllowNets: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
		defer eg.Close()
		d := deploy(t, e, wasm, DeploymentConfig{Egress: eg})
		res, err := fetchVia(d, srv.URL+"/to-metadata")
		if err != nil || !strings.HasPrefix(string(res.Body), "error denied=true") || !strings.Contains(string(res.Body), "metadata") {
			t.Fatalf("got %v %q", err, res.Body)
		}
	})

	t.Run("no egress", func(t *testing.T) {
		d := deploy(t, e, wasm, DeploymentConfig{})
		res, err := fetchVia(d, srv.URL)
		if err != nil || !strings.HasPrefix(string(res.Body), "error denied=false unavailable=true") {
			t.Fatalf("got %v %q", err, res.Body)
		}
	})
}

func logsContain(lines []LogLine, s string) bool {
	for _, l := range lines {
		if strings.Contains(l.Message, s) {
			return true
		}
	}
	return false
}
