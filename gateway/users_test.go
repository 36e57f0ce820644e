package gateway

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/kilnhq/kiln/internal/wasmtest"
)

// whoAmI answers with the user id Kiln passed to the function.
const whoAmI = `package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Print("Content-Type: text/plain\n\n")
	fmt.Printf("user=%s", os.Getenv("HTTP_X_APPWRITE_USER_ID"))
}
`

// TestExecuteRolesForUsers calls functions as end users vouched for by a
// JWT the app's backend minted, against the functions' execute roles.
func TestExecuteRolesForUsers(t *testing.T) {
	e, p := newInvokeEnv(t)
	wasm := wasmtest.BuildGo(t, map[string]string{"main.go": whoAmI}, wasmtest.GoOptions{})
	for fn, roles := range map[string][]string{"members": {"users"}, "bobs": {"user:bob"}} {
		e.call(t, e.admin, "POST", "/v1/functions", map[string]any{"functionId": fn, "name": fn, "runtime": "wasi", "execute": roles})
		_, d := e.upload(t, fn, tarball(t, map[string][]byte{"main.wasm": wasm}), true, "", "")
		if done := e.waitStatus(t, fn, d["$id"].(string)); done["status"] != "ready" {
			t.Fatalf("build: %v", done)
		}
	}
	mint := func(user string, body map[string]any) (int, map[string]any) {
		return e.call(t, e.admin, "POST", "/v1/users/"+user+"/jwts", body)
	}
	_, a := mint("alice", nil)
	alice, _ := a["jwt"].(string)
	_, b := mint("bob", map[string]any{"duration": 60})
	bob, _ := b["jwt"].(string)
	if alice == "" || bob == "" {
		t.Fatalf("minting: %v %v", a, b)
	}
	otherProject, _, err := p.CreateUserJWT("p2", "alice", "", 0)
	if err != nil {
		t.Fatal(err)
	}

	call := func(fn, jwt string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", e.base+"/fn/p1/"+fn+"/", nil)
		if jwt != "" {
			req.Header.Set(HeaderJWT, jwt)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	tampered := alice[:len(alice)-4] + "AAAA"
	for _, c := range []struct {
		name, fn, jwt string
		code          int
		want          string
	}{
		{"guest on users", "members", "", 401, "user_unauthorized"},
		{"alice on users", "members", alice, 200, "user=alice"},
		{"bob on users", "members", bob, 200, "user=bob"},
		{"alice on user:bob", "bobs", alice, 401, "user_unauthorized"},
		{"bob on user:bob", "bobs", bob, 200, "user=bob"},
		{"forged token", "members", tampered, 401, "user_jwt_invalid"},
		{"other project's token", "members", otherProject, 401, "user_jwt_invalid"},
		{"not a token", "members", "hello", 401, "user_jwt_invalid"},
	} {
		if code, body := call(c.fn, c.jwt); code != c.code || !strings.Contains(body, c.want) {
			t.Errorf("%s: %d %s, want %d with %q", c.name, code, body, c.code, c.want)
		}
	}

	// The executions API follows the same roles for a user without a key.
	req, _ := http.NewRequest("POST", e.base+"/v1/functions/members/executions", strings.NewReader(`{"path":"/"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderProject, "p1")
	req.Header.Set(HeaderJWT, alice)
	if resp, body := do(t, e.base, req); resp.StatusCode != 201 || !strings.Contains(string(body), `user=alice`) {
		t.Fatalf("execution as alice: %d %s", resp.StatusCode, body)
	}
	req, _ = http.NewRequest("POST", e.base+"/v1/functions/members/executions", strings.NewReader(`{"path":"/"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderProject, "p1")
	if resp, body := do(t, e.base, req); resp.StatusCode != 401 {
		t.Fatalf("execution as a guest: %d %s", resp.StatusCode, body)
	}

	// Minting needs users.write and a sane id and duration.
	for _, c := range []struct {
		user string
		body map[string]any
		code int
		typ  string
	}{
		{"-bad", nil, 400, "general_argument_invalid"},
		{strings.Repeat("u", 37), nil, 400, "general_argument_invalid"},
		{"carol", map[string]any{"duration": 7200}, 400, "general_argument_invalid"},
	} {
		if code, out := mint(c.user, c.body); code != c.code || out["type"] != c.typ {
			t.Errorf("mint %q %v: %d %v", c.user, c.body, code, out)
		}
	}
}
