package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kilnhq/kiln/internal/testenv"
	"github.com/kilnhq/kiln/platform"
	"github.com/kilnhq/kiln/store/db"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// apiEnv is a gateway with the Functions API on a real database.
type apiEnv struct {
	base     string
	admin    string // key with every scope
	readOnly string // key with functions.read only
	other    string // admin key of another project
	// cfg is the platform's wiring when the env has one, for a second node
	// on the same database and NATS.
	cfg platform.Config
}

func newAPIEnv(t *testing.T) apiEnv {
	t.Helper()
	ctx := context.Background()
	d, err := db.Open(ctx, testenv.Postgres(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	if _, err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	mkKey := func(project, id string, scopes []string) string {
		if _, err := d.EnsureProject(ctx, project, project); err != nil {
			t.Fatal(err)
		}
		secret := platform.NewSecret()
		if _, err := d.CreateKey(ctx, db.Key{ID: id, ProjectID: project, Name: id, SecretHash: platform.HashSecret(secret), Scopes: scopes}); err != nil {
			t.Fatal(err)
		}
		return secret
	}
	env := apiEnv{
		admin:    mkKey("p1", "admin", platform.Scopes),
		readOnly: mkKey("p1", "reader", []string{"functions.read"}),
		other:    mkKey("p2", "admin2", platform.Scopes),
	}
	p, err := platform.New(platform.Config{DB: d, SecretKey: make([]byte, 32)})
	if err != nil {
		t.Fatal(err)
	}
	a := New(Config{})
	a.MountFunctions(p)
	env.base = serve(t, a)
	return env
}

// call sends a JSON request as project p1 with key and decodes the JSON answer.
func (e apiEnv) call(t *testing.T, key, method, path string, body any) (int, map[string]any) {
	t.Helper()
	var rd *strings.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	} else {
		rd = strings.NewReader("")
	}
	req, _ := http.NewRequest(method, e.base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderProject, "p1")
	if key != "" {
		req.Header.Set(HeaderKey, key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestFunctionsCRUD(t *testing.T) {
	e := newAPIEnv(t)
	code, f := e.call(t, e.admin, "POST", "/v1/functions", map[string]any{
		"functionId": "hello", "name": "Hello", "runtime": "go-1.26", "execute": []string{"any"}, "timeout": 30,
	})
	if code != 201 || f["$id"] != "hello" || f["runtime"] != "go-1.26" || f["timeout"] != 30.0 || f["enabled"] != true {
		t.Fatalf("create: %d %v", code, f)
	}
	for _, field := range []string{"$createdAt", "$updatedAt", "deploymentId", "vars", "events", "schedule", "scopes", "specification"} {
		if _, ok := f[field]; !ok {
			t.Errorf("function object lacks %q", field)
		}
	}
	if code, f = e.call(t, e.admin, "POST", "/v1/functions", map[string]any{"functionId": "unique()", "name": "Second", "runtime": "wasi"}); code != 201 || len(f["$id"].(string)) != 20 {
		t.Fatalf("unique(): %d %v", code, f)
	}
	code, f = e.call(t, e.admin, "PUT", "/v1/functions/hello", map[string]any{"name": "Hello v2", "enabled": false})
	if code != 200 || f["name"] != "Hello v2" || f["enabled"] != false || f["timeout"] != 30.0 {
		t.Fatalf("update: %d %v", code, f)
	}
	code, list := e.call(t, e.readOnly, "GET", "/v1/functions", nil)
	if code != 200 || list["total"] != 2.0 {
		t.Fatalf("list: %d %v", code, list)
	}
	code, list = e.call(t, e.admin, "GET", "/v1/functions?search=v2", nil)
	if code != 200 || list["total"] != 1.0 {
		t.Fatalf("search: %d %v", code, list)
	}
	code, _ = e.call(t, e.admin, "DELETE", "/v1/functions/hello", nil)
	if code != 204 {
		t.Fatalf("delete: %d", code)
	}
	code, f = e.call(t, e.admin, "GET", "/v1/functions/hello", nil)
	if code != 404 || f["type"] != "function_not_found" {
		t.Fatalf("get deleted: %d %v", code, f)
	}
}

func TestFunctionsBadInput(t *testing.T) {
	e := newAPIEnv(t)
	e.call(t, e.admin, "POST", "/v1/functions", map[string]any{"functionId": "dup", "name": "D", "runtime": "wasi"})
	cases := []struct {
		name   string
		key    string
		method string
		path   string
		body   any
		status int
		typ    string
	}{
		{"no key", "", "GET", "/v1/functions", nil, 401, TypeGeneralUnauthorized},
		{"wrong key", platform.NewSecret(), "GET", "/v1/functions", nil, 401, TypeGeneralUnauthorized},
		{"malformed key", "letmein", "GET", "/v1/functions", nil, 401, TypeGeneralUnauthorized},
		{"key of another project", "", "GET", "/v1/functions", nil, 401, TypeGeneralUnauthorized},
		{"missing scope", "reader", "POST", "/v1/functions", map[string]any{"functionId": "x", "name": "x", "runtime": "wasi"}, 401, TypeGeneralUnauthorized},
		{"unknown runtime", "admin", "POST", "/v1/functions", map[string]any{"functionId": "x", "name": "x", "runtime": "cobol-85"}, 400, "function_runtime_unsupported"},
		{"bad id", "admin", "POST", "/v1/functions", map[string]any{"functionId": "-bad", "name": "x", "runtime": "wasi"}, 400, TypeGeneralArgument},
		{"duplicate id", "admin", "POST", "/v1/functions", map[string]any{"functionId": "dup", "name": "x", "runtime": "wasi"}, 409, "function_already_exists"},
		{"timeout too long", "admin", "POST", "/v1/functions", map[string]any{"functionId": "x", "name": "x", "runtime": "wasi", "timeout": 901}, 400, TypeGeneralArgument},
		{"bad role", "admin", "POST", "/v1/functions", map[string]any{"functionId": "x", "name": "x", "runtime": "wasi", "execute": []string{"everyone!"}}, 400, TypeGeneralArgument},
		{"malformed query", "admin", "GET", "/v1/functions?queries[0]=" + url.QueryEscape("{not json"), nil, 400, "general_query_invalid"},
		{"unknown query attribute", "admin", "GET", "/v1/functions?queries[0]=" + url.QueryEscape(`{"method":"equal","attribute":"password","values":["x"]}`), nil, 400, "general_query_invalid"},
		{"unknown cursor", "admin", "GET", "/v1/functions?queries[0]=" + url.QueryEscape(`{"method":"cursorAfter","values":["nope"]}`), nil, 400, "general_query_invalid"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			key := map[string]string{"admin": e.admin, "reader": e.readOnly}[tc.key]
			if key == "" {
				key = tc.key
			}
			if tc.name == "key of another project" {
				key = e.other
			}
			code, body := e.call(t, key, tc.method, tc.path, tc.body)
			if code != tc.status || body["type"] != tc.typ {
				t.Fatalf("got %d %v, want %d %s", code, body, tc.status, tc.typ)
			}
		})
	}
	// Malformed JSON body.
	req, _ := http.NewRequest("POST", e.base+"/v1/functions", strings.NewReader("{\"functionId\":"))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderProject, "p1")
	req.Header.Set(HeaderKey, e.admin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Fatalf("malformed JSON: %d", resp.StatusCode)
	}
	// Unknown project.
	req, _ = http.NewRequest("GET", e.base+"/v1/functions", nil)
	req.Header.Set(HeaderProject, "nope")
	resp, _ = http.DefaultClient.Do(req)
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Fatalf("unknown project: %d", resp.StatusCode)
	}
}

func TestFunctionsQueries(t *testing.T) {
	e := newAPIEnv(t)
	for i := 0; i < 5; i++ {
		rt := "wasi"
		if i%2 == 0 {
			rt = "go-1.26"
		}
		e.call(t, e.admin, "POST", "/v1/functions", map[string]any{"functionId": fmt.Sprintf("f%d", i), "name": fmt.Sprintf("fn %d", i), "runtime": rt})
	}
	q := func(qs ...string) string {
		v := url.Values{}
		for i, s := range qs {
			v.Set(fmt.Sprintf("queries[%d]", i), s)
		}
		return "/v1/functions?" + v.Encode()
	}
	ids := func(body map[string]any) string {
		var out []string
		for _, f := range body["functions"].([]any) {
			out = append(out, f.(map[string]any)["$id"].(string))
		}
		return strings.Join(out, ",")
	}
	_, body := e.call(t, e.admin, "GET", q(`{"method":"equal","attribute":"runtime","values":["go-1.26"]}`), nil)
	if body["total"] != 3.0 || ids(body) != "f0,f2,f4" {
		t.Fatalf("equal: %v", body)
	}
	_, body = e.call(t, e.admin, "GET", q(`{"method":"orderDesc","attribute":"name"}`, `{"method":"limit","values":[2]}`), nil)
	if body["total"] != 5.0 || ids(body) != "f4,f3" {
		t.Fatalf("orderDesc+limit: %v", body)
	}
	_, body = e.call(t, e.admin, "GET", q(`{"method":"orderAsc","attribute":"name"}`, `{"method":"cursorAfter","values":["f1"]}`, `{"method":"limit","values":[2]}`), nil)
	if ids(body) != "f2,f3" {
		t.Fatalf("cursorAfter: %v", body)
	}
}

func TestVariables(t *testing.T) {
	e := newAPIEnv(t)
	e.call(t, e.admin, "POST", "/v1/functions", map[string]any{"functionId": "fn", "name": "fn", "runtime": "wasi"})
	code, v := e.call(t, e.admin, "POST", "/v1/functions/fn/variables", map[string]any{"key": "API_TOKEN", "value": "s3cret", "secret": true})
	if code != 201 || v["key"] != "API_TOKEN" || v["value"] != "" || v["secret"] != true {
		t.Fatalf("create secret: %d %v", code, v)
	}
	secretID := v["$id"].(string)
	code, v = e.call(t, e.admin, "POST", "/v1/functions/fn/variables", map[string]any{"key": "MODE", "value": "prod"})
	if code != 201 || v["value"] != "prod" {
		t.Fatalf("create plain: %d %v", code, v)
	}
	if code, v = e.call(t, e.admin, "POST", "/v1/functions/fn/variables", map[string]any{"key": "MODE", "value": "x"}); code != 409 {
		t.Fatalf("duplicate key: %d %v", code, v)
	}
	if code, v = e.call(t, e.admin, "POST", "/v1/functions/fn/variables", map[string]any{"key": "1BAD", "value": "x"}); code != 400 {
		t.Fatalf("bad key: %d %v", code, v)
	}
	_, list := e.call(t, e.admin, "GET", "/v1/functions/fn/variables", nil)
	if list["total"] != 2.0 || strings.Contains(fmt.Sprint(list), "s3cret") {
		t.Fatalf("list: %v", list)
	}
	_, fn := e.call(t, e.admin, "GET", "/v1/functions/fn", nil)
	if len(fn["vars"].([]any)) != 2 || strings.Contains(fmt.Sprint(fn), "s3cret") {
		t.Fatalf("function vars: %v", fn)
	}
	if code, v = e.call(t, e.admin, "PUT", "/v1/functions/fn/variables/"+secretID, map[string]any{"secret": false}); code != 400 {
		t.Fatalf("unhiding a secret: %d %v", code, v)
	}
	if code, v = e.call(t, e.admin, "PUT", "/v1/functions/fn/variables/"+secretID, map[string]any{"value": "rotated"}); code != 200 || v["value"] != "" {
		t.Fatalf("rotate secret: %d %v", code, v)
	}
	if code, _ = e.call(t, e.admin, "DELETE", "/v1/functions/fn/variables/"+secretID, nil); code != 204 {
		t.Fatalf("delete: %d", code)
	}
	if code, v = e.call(t, e.admin, "GET", "/v1/functions/fn/variables/"+secretID, nil); code != 404 || v["type"] != "variable_not_found" {
		t.Fatalf("get deleted: %d %v", code, v)
	}
	code, rts := e.call(t, e.readOnly, "GET", "/v1/functions/runtimes", nil)
	if code != 200 || rts["total"].(float64) < 3 {
		t.Fatalf("runtimes: %d %v", code, rts)
	}
}
