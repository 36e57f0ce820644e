package egress

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

func get(t *testing.T, c *Client, url string) (*http.Request, error) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Do(context.Background(), req)
	return req, err
}

func TestDeniedDestinations(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "reached")
	}))
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	c := New(Policy{Timeout: 2 * time.Second})
	defer c.Close()
	cases := []struct{ url, reason string }{
		{srv.URL, "loopback"},
		{"http://localhost:" + port + "/", "loopback"}, // a name is judged by where it resolves
		{"http://169.254.169.254/latest/meta-data/", "cloud metadata"},
		{"http://10.1.2.3/", "private"},
		{"http://192.168.0.1/", "private"},
		{"http://172.16.5.4/", "private"},
		{"http://100.64.0.1/", "carrier-grade NAT"},
		{"http://0.0.0.0:" + port + "/", "unspecified"},
		{"http://[::1]:" + port + "/", "loopback"},
		{"http://[::ffff:127.0.0.1]:" + port + "/", "loopback"},
		{"http://[64:ff9b::a9fe:a9fe]/", "cloud metadata"},
		{"http://[fe80::1]/", "link-local"},
	}
	for _, tc := range cases {
		t.Run(tc.url, func(t *testing.T) {
			_, err := get(t, c, tc.url)
			var denied *DeniedError
			if !errors.Is(err, ErrDenied) || !errors.As(err, &denied) || !strings.Contains(denied.Reason, tc.reason) {
				t.Fatalf("got %v, want a denial naming %q", err, tc.reason)
			}
		})
	}
}

func TestAllowedNetsAndHosts(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Seen", r.Header.Get("X-Sent"))
		fmt.Fprintf(w, "reached %s", r.URL.Path)
	}))
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]

	c := New(Policy{AllowNets: loopback})
	defer c.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/x", nil)
	req.Header.Set("X-Sent", "1")
	res, err := c.Do(context.Background(), req)
	if err != nil || res.Status != 200 || string(res.Body) != "reached /x" || res.Header.Get("X-Seen") != "1" {
		t.Fatalf("allowed range: %v %+v", err, res)
	}
	if res.BytesSent <= 0 || res.BytesReceived < int64(len(res.Body)) {
		t.Fatalf("bytes not counted: sent %d received %d", res.BytesSent, res.BytesReceived)
	}

	// The allow-list is about names; the address check still applies to
	// what an allowed name resolves to.
	listed := New(Policy{AllowHosts: []string{"localhost", "*.example.com"}})
	defer listed.Close()
	if _, err := get(t, listed, "http://localhost:"+port+"/"); !errors.Is(err, ErrDenied) {
		t.Fatalf("allowed name resolving to loopback: %v", err)
	}
	for _, u := range []string{"http://127.0.0.1:" + port + "/", "http://example.org/", "http://evilexample.com/"} {
		_, err := get(t, listed, u)
		var denied *DeniedError
		if !errors.As(err, &denied) || denied.Reason != "host not in the allow-list" {
			t.Fatalf("%s: got %v", u, err)
		}
	}
	both := New(Policy{AllowHosts: []string{"LOCALHOST."}, AllowNets: loopback})
	defer both.Close()
	if _, err := get(t, both, "http://localhost:"+port+"/"); err != nil {
		t.Fatalf("allowed name and range: %v", err)
	}
	if _, err := get(t, both, "ftp://localhost/"); !errors.Is(err, ErrDenied) {
		t.Fatalf("ftp: %v", err)
	}
}

func TestRedirectsAreChecked(t *testing.T) {
	target := "http://169.254.169.254/latest/meta-data/iam"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/meta":
			http.Redirect(w, r, target, http.StatusFound)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		default:
			http.Redirect(w, r, "/final", http.StatusFound)
		}
	}))
	defer srv.Close()
	c := New(Policy{AllowNets: loopback, MaxRedirects: 3})
	defer c.Close()
	if _, err := get(t, c, srv.URL+"/meta"); !errors.Is(err, ErrDenied) || !strings.Contains(err.Error(), "metadata") {
		t.Fatalf("redirect to metadata: %v", err)
	}
	if _, err := get(t, c, srv.URL+"/loop"); err == nil || !strings.Contains(err.Error(), "3 redirects") {
		t.Fatalf("redirect loop: %v", err)
	}
	none := New(Policy{AllowNets: loopback, MaxRedirects: -1})
	defer none.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/meta", nil)
	res, err := none.Do(context.Background(), req)
	if err != nil || res.Status != http.StatusFound || res.Header.Get("Location") != target {
		t.Fatalf("redirects off: %v %+v", err, res)
	}
}

func TestCaps(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/big":
			w.Write(make([]byte, 4096))
		case "/slow":
			time.Sleep(2 * time.Second)
		}
	}))
	defer srv.Close()
	c := New(Policy{AllowNets: loopback, MaxRequestBytes: 100, MaxResponseBytes: 1000, Timeout: 200 * time.Millisecond})
	defer c.Close()
	if _, err := get(t, c, srv.URL+"/big"); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("big response: %v", err)
	}
	req, _ := http.NewRequest("POST", srv.URL+"/", strings.NewReader(strings.Repeat("x", 101)))
	if _, err := c.Do(context.Background(), req); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("big request: %v", err)
	}
	start := time.Now()
	if _, err := get(t, c, srv.URL+"/slow"); err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("slow: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("the timeout of 200ms took %v", d)
	}
}

func TestClassify(t *testing.T) {
	for addr, want := range map[string]string{
		"8.8.8.8": "", "2606:4700::1111": "", "1.1.1.1": "",
		"127.3.4.5": "loopback", "198.18.0.1": "reserved", "240.0.0.1": "reserved",
		"255.255.255.255": "multicast or broadcast", "224.0.0.1": "multicast or broadcast",
		"fc00::1": "private", "fd00:ec2::254": "cloud metadata", "2002:a00:1::": "private",
		"::": "unspecified", "::ffff:10.0.0.1": "private",
	} {
		if got := Classify(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Classify(%s) = %q, want %q", addr, got, want)
		}
	}
}
