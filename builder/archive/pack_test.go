package archive

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"
)

func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// listTree maps every path under dir to its content, "dir" or "-> target".
func listTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == "." {
			return nil
		}
		rel = filepath.ToSlash(rel)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			out[rel] = "-> " + target
		case d.IsDir():
			out[rel] = "dir"
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			fi, _ := d.Info()
			out[rel] = string(b) + "|" + fi.Mode().Perm().String()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestPackExtractRoundTrip(t *testing.T) {
	src := t.TempDir()
	writeTree(t, src, map[string]string{
		"go.mod":                  "module fn\n",
		"main.go":                 "package main\n",
		"internal/x/x.go":         "package x\n",
		"static/index.html":       "<h1>hi</h1>",
		".git/HEAD":               "ref: refs/heads/main\n",
		"vendor/.git":             "gitdir: ../.git/modules/v\n",
		"kiln_data/pg/PG_VERSION": "15\n",
		"sub/kiln_data/keep.txt":  "kept: only the top-level data dir is skipped\n",
		"debug.log":               "noise",
		"logs/today.log":          "noise",
		"tmp/scratch.txt":         "noise",
		"keep.log":                "kept by a negated pattern",
		"docs/build/out.txt":      "noise",
		".kilnignore":             "# local files\n*.log\n!keep.log\n/tmp/\ndocs/**/out.txt\n",
	})
	if err := os.Chmod(filepath.Join(src, "main.go"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("static/index.html", filepath.Join(src, "index.html")); err != nil {
		t.Fatal(err)
	}

	var dones []int64
	var total int64
	var buf bytes.Buffer
	err := Pack(context.Background(), src, &buf, func(done, tot int64) {
		dones = append(dones, done)
		total = tot
	})
	if err != nil {
		t.Fatalf("Pack: %v", err)
	}
	if len(dones) < 2 || dones[0] != 0 || dones[len(dones)-1] != total {
		t.Errorf("progress went %v with total %d; want 0 first and total last", dones, total)
	}

	dst := filepath.Join(t.TempDir(), "out")
	if _, err := Extract(context.Background(), bytes.NewReader(buf.Bytes()), dst, Limits{}); err != nil {
		t.Fatalf("Extract of packed folder: %v", err)
	}
	got := listTree(t, dst)
	want := map[string]string{
		".kilnignore":            "# local files\n*.log\n!keep.log\n/tmp/\ndocs/**/out.txt\n|-rw-r--r--",
		"go.mod":                 "module fn\n|-rw-r--r--",
		"main.go":                "package main\n|-rwxr-xr-x",
		"internal":               "dir",
		"internal/x":             "dir",
		"internal/x/x.go":        "package x\n|-rw-r--r--",
		"static":                 "dir",
		"static/index.html":      "<h1>hi</h1>|-rw-r--r--",
		"index.html":             "-> static/index.html",
		"vendor":                 "dir",
		"sub":                    "dir",
		"sub/kiln_data":          "dir",
		"sub/kiln_data/keep.txt": "kept: only the top-level data dir is skipped\n|-rw-r--r--",
		"keep.log":               "kept by a negated pattern|-rw-r--r--",
		"docs":                   "dir",
		"docs/build":             "dir",
		"logs":                   "dir", // kept, empty: its only file is ignored
	}
	var keys []string
	for k := range got {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if want[k] != got[k] {
			t.Errorf("%s = %q, want %q", k, got[k], want[k])
		}
	}
	for k := range want {
		if _, ok := got[k]; !ok {
			t.Errorf("%s missing after round trip", k)
		}
	}
}

func TestPackDeterministic(t *testing.T) {
	src := t.TempDir()
	writeTree(t, src, map[string]string{"a.go": "package a\n", "b/c.go": "package b\n"})
	pack := func() []byte {
		var buf bytes.Buffer
		if err := Pack(context.Background(), src, &buf, nil); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	first := pack()
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(filepath.Join(src, "a.go"), later, later); err != nil {
		t.Fatal(err)
	}
	if second := pack(); !bytes.Equal(first, second) {
		t.Fatal("packing the same content twice gave different bytes")
	}
}

func TestPackRefusesEscapingSymlink(t *testing.T) {
	src := t.TempDir()
	writeTree(t, src, map[string]string{"main.go": "package main\n"})
	if err := os.Symlink("../../etc/passwd", filepath.Join(src, "passwd")); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	err := Pack(context.Background(), src, &buf, nil)
	var ee *EntryError
	if !errors.Is(err, ErrUnsafePath) || !errors.As(err, &ee) || ee.Name != "passwd" {
		t.Fatalf("Pack error = %v, want ErrUnsafePath naming passwd", err)
	}
}

func TestIgnorePatterns(t *testing.T) {
	list, err := parseIgnore(bytes.NewReader([]byte(`
# comment
*.tmp
!important.tmp
/build/
node_modules/
docs/*.md
**/cache
a/**/z.txt
file[0-9].txt
`)))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		dir  bool
		want bool
	}{
		{"x.tmp", false, true},
		{"deep/x.tmp", false, true},
		{"important.tmp", false, false},
		{"build", true, true},
		{"build", false, false}, // dir-only pattern
		{"sub/build", true, false},
		{"node_modules", true, true},
		{"web/node_modules", true, true},
		{"docs/a.md", false, true},
		{"docs/sub/a.md", false, false},
		{"cache", true, true},
		{"x/y/cache", false, true},
		{"a/z.txt", false, true},
		{"a/b/c/z.txt", false, true},
		{"b/z.txt", false, false},
		{"file1.txt", false, true},
		{"filex.txt", false, false},
		{"main.go", false, false},
	} {
		if got := list.ignored(tc.path, tc.dir); got != tc.want {
			t.Errorf("ignored(%q, dir=%v) = %v, want %v", tc.path, tc.dir, got, tc.want)
		}
	}
}
