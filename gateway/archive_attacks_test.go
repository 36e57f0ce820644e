package gateway

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"strings"
	"testing"
)

// rawTarball packs entries with the headers given, for archives a normal
// packer would never write.
func rawTarball(t *testing.T, entries []tar.Header, bodies map[string]io.Reader) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	tw := tar.NewWriter(gz)
	for _, h := range entries {
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if r := bodies[h.Name]; r != nil {
			if _, err := io.Copy(tw, r); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestHostileArchivesThroughAPI uploads archives that try to escape the
// build folder or exhaust the builder. Each deployment fails with the
// reason in its build log, and the active deployment stays active.
func TestHostileArchivesThroughAPI(t *testing.T) {
	e, _ := newDeployEnv(t, 0)
	e.call(t, e.admin, "POST", "/v1/functions", map[string]any{"functionId": "fn", "name": "fn", "runtime": "wasi"})
	wasm := helloWASI(t)
	_, good := e.upload(t, "fn", tarball(t, map[string][]byte{"main.wasm": wasm}), true, "", "")
	if d := e.waitStatus(t, "fn", good["$id"].(string)); d["status"] != "ready" {
		t.Fatalf("good build: %v", d)
	}
	file := func(name string, size int) tar.Header {
		return tar.Header{Name: name, Mode: 0o644, Size: int64(size), Typeflag: tar.TypeReg}
	}
	wasmBody := func() map[string]io.Reader { return map[string]io.Reader{"main.wasm": bytes.NewReader(wasm)} }
	const bomb = 101 << 20 // one file over the 100 MiB per-file cap; ~100 KiB compressed
	cases := []struct {
		name   string
		tgz    []byte
		reason string
	}{
		{"parent path", rawTarball(t, []tar.Header{file("main.wasm", len(wasm)), file("../escape.wasm", 4)},
			map[string]io.Reader{"main.wasm": bytes.NewReader(wasm), "../escape.wasm": strings.NewReader("evil")}), "../escape.wasm"},
		{"absolute path", rawTarball(t, []tar.Header{file("main.wasm", len(wasm)), file("/tmp/kiln-escape", 4)},
			map[string]io.Reader{"main.wasm": bytes.NewReader(wasm), "/tmp/kiln-escape": strings.NewReader("evil")}), "/tmp/kiln-escape"},
		{"symlink out", rawTarball(t, []tar.Header{file("main.wasm", len(wasm)),
			{Name: "passwd", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd", Mode: 0o777}}, wasmBody()), "passwd"},
		{"write through a symlink", rawTarball(t, []tar.Header{
			{Name: "dir", Typeflag: tar.TypeSymlink, Linkname: "..", Mode: 0o777}, file("dir/escape.wasm", len(wasm))},
			map[string]io.Reader{"dir/escape.wasm": bytes.NewReader(wasm)}), "dir"},
		{"gzip bomb", rawTarball(t, []tar.Header{file("main.wasm", len(wasm)), file("zeros.bin", bomb)},
			map[string]io.Reader{"main.wasm": bytes.NewReader(wasm), "zeros.bin": io.LimitReader(zeros{}, bomb)}), "over the 104857600 byte limit"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, d := e.upload(t, "fn", c.tgz, true, "", "")
			if st != 202 {
				t.Fatalf("upload: %d %v", st, d)
			}
			done := e.waitStatus(t, "fn", d["$id"].(string))
			logs, _ := done["buildLogs"].(string)
			if done["status"] != "failed" || !strings.Contains(logs, "unpacking source") || !strings.Contains(logs, c.reason) {
				t.Fatalf("status %v, log:\n%s", done["status"], logs)
			}
			if _, fn := e.call(t, e.admin, "GET", "/v1/functions/fn", nil); fn["deploymentId"] != good["$id"] {
				t.Fatalf("active deployment changed to %v", fn["deploymentId"])
			}
		})
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
