package jsbundle

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kilnhq/kiln/builder/diag"
)

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestBundleTypeScriptWithDependency(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"src/index.ts": `import { greet } from "./greet";
import pad from "left-pad-lite";
import data from "./data.json";
interface Env { NAME: string }
export default { fetch(req: Request, env: Env): Response { return new Response(pad(greet(env.NAME)) + data.v) } }`,
		"src/greet.ts":  `export const greet = (n: string): string => "hi " + n;`,
		"src/data.json": `{"v": 7}`,
		"node_modules/left-pad-lite/package.json": `{"name":"left-pad-lite","main":"index.js"}`,
		"node_modules/left-pad-lite/index.js":     `module.exports = function (s) { return "  " + s; }`,
	})
	res, err := Bundle(context.Background(), Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	code := string(res.Code)
	if res.Entry != "src/index.ts" || !strings.Contains(code, "export {") || strings.Contains(code, "interface Env") {
		t.Fatalf("entry %s, code:\n%s", res.Entry, code)
	}
	if !strings.Contains(code, "sourceMappingURL=data:application/json;base64,") {
		t.Fatal("no inline source map")
	}
}

func TestBundleJSX(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"index.jsx": `/** @jsxImportSource ./jsx */
export default { fetch() { return new Response(<b>x</b>) } }`,
		"jsx/jsx-runtime.js": `export const jsx = (t, p) => "<" + t + ">" + p.children + "</" + t + ">"; export const jsxs = jsx;`,
	})
	res, err := Bundle(context.Background(), Options{Dir: dir, SourceMap: SourceMapExternal})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(res.Code), "jsx(") || len(res.Map) == 0 || !strings.Contains(string(res.Code), "sourceMappingURL=worker.js.map") {
		t.Fatalf("code:\n%s\nmap %d bytes", res.Code, len(res.Map))
	}
}

func TestBundleErrorsCarryLocations(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"src/index.ts": "export default {\n  fetch() {\n    return new Response(;\n  }\n}\n",
	})
	_, err := Bundle(context.Background(), Options{Dir: dir})
	var be *diag.BuildError
	if !errors.Is(err, ErrBundle) || !errors.As(err, &be) {
		t.Fatalf("err %v", err)
	}
	m := be.Messages[0]
	if m.File != "src/index.ts" || m.Line != 3 || m.Column != 25 {
		t.Fatalf("message %+v", m)
	}
}

func TestBundleNodeBuiltinIsAnError(t *testing.T) {
	dir := writeTree(t, map[string]string{"index.js": "import fs from 'fs';\nexport default { fetch() { return new Response(fs.readFileSync('x')) } }"})
	_, err := Bundle(context.Background(), Options{Dir: dir})
	var be *diag.BuildError
	if !errors.As(err, &be) || be.Messages[0].File != "index.js" || be.Messages[0].Line != 1 || !strings.Contains(be.Messages[0].Text, "fs") {
		t.Fatalf("err %v", err)
	}
}

func TestBundleNoEntry(t *testing.T) {
	dir := writeTree(t, map[string]string{"README.md": "hi"})
	if _, err := Bundle(context.Background(), Options{Dir: dir}); !errors.Is(err, ErrNoEntry) {
		t.Fatalf("err %v", err)
	}
	if _, err := Bundle(context.Background(), Options{Dir: dir, Entry: "../outside.js"}); !errors.Is(err, ErrNoEntry) {
		t.Fatalf("outside: %v", err)
	}
	dir = writeTree(t, map[string]string{"package.json": `{"main":"lib/app.js"}`, "lib/app.js": "export default {fetch(){return new Response('')}}"})
	res, err := Bundle(context.Background(), Options{Dir: dir})
	if err != nil || res.Entry != "lib/app.js" {
		t.Fatalf("package.json main: %v %+v", err, res)
	}
}
