package gosdk

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/kilnhq/kiln/builder/gosdk/internal/sdkzip"
)

// sdkSource is sdk/go seen from this package's directory.
const sdkSource = "../../sdk/go"

func TestEmbeddedSDKUpToDate(t *testing.T) {
	if _, err := os.Stat(filepath.Join(sdkSource, "go.mod")); err != nil {
		t.Fatalf("the Go SDK module is missing at sdk/go: %v", err)
	}
	want, err := sdkzip.Build(sdkSource)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sdkZip, want) {
		t.Fatal("builder/gosdk/sdk.zip differs from the sources in sdk/go: run go generate ./builder/gosdk")
	}
}

func TestDirWritesSDKOnceForConcurrentCallers(t *testing.T) {
	cache := t.TempDir()
	var wg sync.WaitGroup
	dirs := make([]string, 8)
	errs := make([]error, 8)
	for i := range dirs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dirs[i], errs[i] = Dir(cache)
		}()
	}
	wg.Wait()
	for i := range dirs {
		if errs[i] != nil {
			t.Fatalf("Dir: %v", errs[i])
		}
		if dirs[i] != dirs[0] {
			t.Fatalf("Dir returned %s and %s", dirs[0], dirs[i])
		}
	}
	zr, err := zip.NewReader(bytes.NewReader(sdkZip), int64(len(sdkZip)))
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) == 0 {
		t.Fatal("embedded SDK is empty")
	}
	for _, f := range zr.File {
		got, err := os.ReadFile(filepath.Join(dirs[0], filepath.FromSlash(f.Name)))
		if err != nil {
			t.Fatalf("SDK file %s not written: %v", f.Name, err)
		}
		rc, _ := f.Open()
		var want bytes.Buffer
		want.ReadFrom(rc)
		rc.Close()
		if !bytes.Equal(got, want.Bytes()) {
			t.Errorf("SDK file %s differs from the embedded copy", f.Name)
		}
	}
	entries, _ := os.ReadDir(cache)
	if len(entries) != 1 {
		t.Errorf("cache holds %d entries after concurrent installs, want 1 (no leftover temp dirs)", len(entries))
	}
}

func TestIncluded(t *testing.T) {
	for rel, want := range map[string]bool{
		"kiln.go":            true,
		"http/handler.go":    true,
		"kiln_test.go":       false,
		"go.mod":             true,
		"go.sum":             true,
		"LICENSE":            true,
		"README.md":          true,
		"ABI.md":             true,
		"NOTES.md":           false,
		"testdata/x.go":      false,
		".hidden/x.go":       false,
		"_tools/x.go":        false,
		"internal/abi/x.go":  true,
		"internal/abi/x.txt": false,
	} {
		if got := sdkzip.Included(rel); got != want {
			t.Errorf("Included(%q) = %v, want %v", rel, got, want)
		}
	}
}
