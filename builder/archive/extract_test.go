package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func goodEntries() []ent {
	return []ent{
		{name: "./", typ: tar.TypeDir},
		{name: "./go.mod", body: "module fn\n"},
		{name: "./main.go", body: "package main\n"},
		{name: "./bin/run.sh", body: "#!/bin/sh\n", mode: 0o755},
		{name: "./static/css/", typ: tar.TypeDir},
		{name: "./static/css/site.css", body: "body{}"},
		{name: "./static/current", typ: tar.TypeSymlink, link: "css"},
		{name: "./static/css/mod", typ: tar.TypeSymlink, link: "../../go.mod"},
		{name: "./copy.go", typ: tar.TypeLink, link: "./main.go"},
	}
}

func checkGoodTree(t *testing.T, dst string, hardlinks bool) {
	t.Helper()
	read := func(rel string) string {
		b, err := os.ReadFile(filepath.Join(dst, rel))
		if err != nil {
			t.Fatalf("reading %s: %v", rel, err)
		}
		return string(b)
	}
	if got := read("go.mod"); got != "module fn\n" {
		t.Errorf("go.mod = %q", got)
	}
	if got := read("static/current/site.css"); got != "body{}" {
		t.Errorf("static/current/site.css through the link = %q", got)
	}
	if got := read("static/css/mod"); got != "module fn\n" {
		t.Errorf("static/css/mod through the link = %q", got)
	}
	if hardlinks {
		if got := read("copy.go"); got != "package main\n" {
			t.Errorf("hard link copy.go = %q", got)
		}
	}
	fi, err := os.Stat(filepath.Join(dst, "bin/run.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o755 {
		t.Errorf("bin/run.sh mode = %v, want 0755", fi.Mode().Perm())
	}
	fi, err = os.Stat(filepath.Join(dst, "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("main.go mode = %v, want 0644", fi.Mode().Perm())
	}
}

func TestExtractFormats(t *testing.T) {
	ents := goodEntries()
	zipEnts := ents[:len(ents)-1] // zip has no hard links
	for _, tc := range []struct {
		name      string
		data      []byte
		hardlinks bool
	}{
		{"tar.gz", tgz(t, ents...), true},
		{"tar", tarBytes(t, ents...), true},
		{"zip", zipBytes(t, zipEnts...), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parent, dst := sandbox(t)
			st, err := Extract(context.Background(), bytes.NewReader(tc.data), dst, Limits{})
			if err != nil {
				t.Fatalf("Extract: %v", err)
			}
			checkGoodTree(t, dst, tc.hardlinks)
			checkContained(t, parent, dst)
			wantFiles := 4
			if tc.hardlinks {
				wantFiles = 5
			}
			if st.Files != wantFiles || st.Symlinks != 2 || st.Dirs != 3 {
				t.Errorf("stats = %+v, want %d files, 2 symlinks, 3 dirs", st, wantFiles)
			}
			if st.Compressed != int64(len(tc.data)) {
				t.Errorf("stats.Compressed = %d, want %d", st.Compressed, len(tc.data))
			}
		})
	}
}

func TestExtractRejectsUnsafeEntries(t *testing.T) {
	file := func(name string) ent { return ent{name: name, body: "x"} }
	for _, tc := range []struct {
		name  string
		ents  []ent
		entry string // the entry the error must name
	}{
		{"dotdot", []ent{file("../evil")}, "../evil"},
		{"dotdot inside", []ent{file("a/../../evil")}, "a/../../evil"},
		{"dotdot that stays inside", []ent{file("a/../b")}, "a/../b"},
		{"absolute", []ent{file("/tmp/evil")}, "/tmp/evil"},
		{"backslash", []ent{file(`..\evil`)}, `..\evil`},
		{"symlink up", []ent{{name: "l", typ: tar.TypeSymlink, link: "../out"}}, "l"},
		{"symlink deep up", []ent{{name: "a/b/l", typ: tar.TypeSymlink, link: "../../../out"}}, "a/b/l"},
		{"symlink absolute", []ent{{name: "l", typ: tar.TypeSymlink, link: "/etc"}}, "l"},
		{"symlink dotdot after name", []ent{{name: "y", typ: tar.TypeSymlink, link: "x/../.."}}, "y"},
		// y is checked before x exists; the rule must not depend on order.
		{"symlink chain", []ent{{name: "y", typ: tar.TypeSymlink, link: "x/.."}, {name: "x", typ: tar.TypeSymlink, link: "."}}, "y"},
		{"write through symlink", []ent{{name: "d", typ: tar.TypeDir}, {name: "l", typ: tar.TypeSymlink, link: "d"}, file("l/x")}, "l/x"},
		{"overwrite through symlink", []ent{file("a"), {name: "l", typ: tar.TypeSymlink, link: "a"}, file("l")}, "l"},
		{"duplicate file", []ent{file("a"), file("a")}, "a"},
		{"file over dir", []ent{{name: "a", typ: tar.TypeDir}, file("a")}, "a"},
		{"parent is a file", []ent{file("a"), file("a/b")}, "a/b"},
		{"hardlink out", []ent{{name: "h", typ: tar.TypeLink, link: "../etc/passwd"}}, "h"},
		{"hardlink absolute", []ent{{name: "h", typ: tar.TypeLink, link: "/etc/passwd"}}, "h"},
		{"hardlink to missing", []ent{{name: "h", typ: tar.TypeLink, link: "nothere"}}, "h"},
		{"hardlink to symlink", []ent{{name: "l", typ: tar.TypeSymlink, link: "."}, {name: "h", typ: tar.TypeLink, link: "l"}}, "h"},
		{"hardlink to dir", []ent{{name: "d", typ: tar.TypeDir}, {name: "h", typ: tar.TypeLink, link: "d"}}, "h"},
		{"char device", []ent{{name: "null", typ: tar.TypeChar}}, "null"},
		{"block device", []ent{{name: "sda", typ: tar.TypeBlock}}, "sda"},
		{"fifo", []ent{{name: "pipe", typ: tar.TypeFifo}}, "pipe"},
		{"file at root", []ent{file(".")}, "."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parent, dst := sandbox(t)
			_, err := Extract(context.Background(), bytes.NewReader(tgz(t, tc.ents...)), dst, Limits{})
			if !errors.Is(err, ErrUnsafePath) {
				t.Fatalf("Extract error = %v, want ErrUnsafePath", err)
			}
			var ee *EntryError
			if !errors.As(err, &ee) || ee.Name != tc.entry {
				t.Fatalf("error %v does not name entry %q", err, tc.entry)
			}
			checkContained(t, parent, dst)
		})
	}
}

func TestExtractZipRejectsUnsafeEntries(t *testing.T) {
	for _, tc := range []struct {
		name  string
		ents  []ent
		entry string
	}{
		{"dotdot", []ent{{name: "../evil", body: "x"}}, "../evil"},
		{"symlink up", []ent{{name: "l", typ: tar.TypeSymlink, link: "../../out"}}, "l"},
		{"fifo", []ent{{name: "p", typ: tar.TypeFifo}}, "p"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parent, dst := sandbox(t)
			_, err := Extract(context.Background(), bytes.NewReader(zipBytes(t, tc.ents...)), dst, Limits{})
			var ee *EntryError
			if !errors.Is(err, ErrUnsafePath) || !errors.As(err, &ee) || ee.Name != tc.entry {
				t.Fatalf("Extract error = %v, want ErrUnsafePath naming %q", err, tc.entry)
			}
			checkContained(t, parent, dst)
		})
	}
}

func TestExtractLimits(t *testing.T) {
	many := make([]ent, 0, 20)
	for i := range 20 {
		many = append(many, ent{name: "f" + string(rune('a'+i)), body: "0123456789"})
	}
	for _, tc := range []struct {
		name string
		data []byte
		lim  Limits
		want error
	}{
		{"file over limit", tgz(t, ent{name: "big", body: string(make([]byte, 2000))}), Limits{MaxFileBytes: 1000}, ErrTooLarge},
		{"total over limit", tgz(t, many...), Limits{MaxTotalBytes: 150}, ErrTooLarge},
		{"too many files", tgz(t, many...), Limits{MaxFiles: 19}, ErrTooManyFiles},
		{"implied dirs count", tgz(t, ent{name: "a/b/c/d/e", body: "x"}), Limits{MaxFiles: 4}, ErrTooManyFiles},
		{"zip too many files", zipBytes(t, many...), Limits{MaxFiles: 19}, ErrTooManyFiles},
		{"zip file over limit", zipBytes(t, ent{name: "big", body: string(make([]byte, 2000))}), Limits{MaxFileBytes: 1000}, ErrTooLarge},
		{"ratio", tgz(t, ent{name: "zeros", body: string(make([]byte, 3<<20))}), Limits{MaxRatio: 10}, ErrTooLarge},
		{"zip ratio", zipBytes(t, ent{name: "zeros", body: string(make([]byte, 3<<20))}), Limits{MaxRatio: 10}, ErrTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parent, dst := sandbox(t)
			_, err := Extract(context.Background(), bytes.NewReader(tc.data), dst, tc.lim)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Extract error = %v, want %v", err, tc.want)
			}
			checkContained(t, parent, dst)
		})
	}
	// Exactly at the limits is fine.
	_, dst := sandbox(t)
	if _, err := Extract(context.Background(), bytes.NewReader(tgz(t, many...)), dst, Limits{MaxFiles: 20, MaxTotalBytes: 200, MaxFileBytes: 10}); err != nil {
		t.Fatalf("archive exactly at the limits: %v", err)
	}
}

func TestExtractNotArchiveOrCorrupt(t *testing.T) {
	good := tgz(t, goodEntries()...)
	badCRC := bytes.Clone(good)
	badCRC[len(badCRC)-8] ^= 0xff // gzip trailer: CRC-32 of the content
	for _, tc := range []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrNotArchive},
		{"text", []byte("hello, this is not an archive"), ErrNotArchive},
		{"xz", []byte("\xfd7zXZ\x00rest"), ErrNotArchive},
		{"gzip of text", gzipBytes(t, bytes.Repeat([]byte("not a tar "), 100)), ErrNotArchive},
		{"truncated tar.gz", good[:len(good)/2], ErrCorrupt},
		{"bad gzip checksum", badCRC, ErrCorrupt},
		{"truncated tar", tarBytes(t, goodEntries()...)[:700], ErrCorrupt},
		{"truncated zip", zipBytes(t, goodEntries()[1:4]...)[:60], ErrCorrupt},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parent, dst := sandbox(t)
			_, err := Extract(context.Background(), bytes.NewReader(tc.data), dst, Limits{})
			if !errors.Is(err, tc.want) {
				t.Fatalf("Extract error = %v, want %v", err, tc.want)
			}
			checkContained(t, parent, dst)
		})
	}
}

func TestExtractDestinationMustBeEmpty(t *testing.T) {
	dst := t.TempDir()
	if err := os.WriteFile(filepath.Join(dst, "main.go"), []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Extract(context.Background(), bytes.NewReader(tgz(t, ent{name: "main.go", body: "x"})), dst, Limits{})
	if !errors.Is(err, ErrDestNotEmpty) {
		t.Fatalf("Extract error = %v, want ErrDestNotEmpty", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dst, "main.go")); string(b) != "keep me" {
		t.Fatalf("existing file was changed to %q", b)
	}
}

func TestExtractCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, dst := sandbox(t)
	_, err := Extract(ctx, bytes.NewReader(tgz(t, goodEntries()...)), dst, Limits{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Extract error = %v, want context.Canceled", err)
	}
}
