package objects_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kilnhq/kiln/internal/testenv"
	"github.com/kilnhq/kiln/store/objects"
	"github.com/kilnhq/kiln/store/objects/objectstest"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestLocalContract(t *testing.T) {
	objectstest.Run(t, func(t *testing.T) objects.Store {
		s, err := objects.NewLocal(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

var prefixes atomic.Int64

func TestS3Contract(t *testing.T) {
	cfg := testenv.MinIO(t)
	objectstest.Run(t, func(t *testing.T) objects.Store {
		c := cfg
		c.Prefix = fmt.Sprintf("t%d", prefixes.Add(1))
		s, err := objects.NewS3(context.Background(), c)
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestLocalStaysInsideDir(t *testing.T) {
	root := t.TempDir()
	s, err := objects.NewLocal(filepath.Join(root, "store"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := s.Put(ctx, "ok/file", strings.NewReader("x"), 1, ""); err != nil {
		t.Fatal(err)
	}
	err = filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && !strings.HasPrefix(p, filepath.Join(root, "store")+string(filepath.Separator)) {
			t.Errorf("file written outside the store: %s", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestS3BadEndpoint(t *testing.T) {
	_, err := objects.NewS3(context.Background(), objects.S3Config{Endpoint: "http://x", Bucket: "b"})
	if err == nil || !strings.Contains(err.Error(), "without a scheme") {
		t.Fatalf("err = %v", err)
	}
	port := testenv.FreePort(t)
	_, err = objects.NewS3(context.Background(), objects.S3Config{Endpoint: fmt.Sprintf("127.0.0.1:%d", port), Bucket: "b", PathStyle: true})
	if err == nil {
		t.Fatal("NewS3 succeeded against a closed port")
	}
}

func newLocal(t *testing.T) *objects.Local {
	t.Helper()
	s, err := objects.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func readAll(t *testing.T, s objects.Store, key string) string {
	t.Helper()
	rc, _, err := s.Get(context.Background(), key, objects.GetOptions{})
	if err != nil {
		t.Fatalf("Get %s: %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mustPut(t *testing.T, s objects.Store, key, body, ct string) objects.Info {
	t.Helper()
	info, err := s.Put(context.Background(), key, strings.NewReader(body), int64(len(body)), ct)
	if err != nil {
		t.Fatalf("Put %s: %v", key, err)
	}
	return info
}

// The local device keeps a key that is also a prefix of others.
func TestLocalNestedKeys(t *testing.T) {
	ctx := context.Background()
	s := newLocal(t)
	mustPut(t, s, "a", "parent", "")
	mustPut(t, s, "a/b", "child", "")
	mustPut(t, s, "a/b/c", "grandchild", "")
	if got := readAll(t, s, "a"); got != "parent" {
		t.Fatalf("a = %q", got)
	}
	list, err := s.List(ctx, "a")
	if err != nil || len(list) != 3 || list[0].Key != "a" || list[1].Key != "a/b" || list[2].Key != "a/b/c" {
		t.Fatalf("List a = %+v, %v", list, err)
	}
	if err := s.Delete(ctx, "a/b"); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, s, "a/b/c"); got != "grandchild" {
		t.Fatalf("a/b/c after deleting a/b = %q", got)
	}
	if _, err := s.Put(ctx, strings.Repeat("s", 251)+"/x", strings.NewReader("x"), 1, ""); !errors.Is(err, objects.ErrInvalidKey) {
		t.Fatalf("over-long segment: %v", err)
	}
}

// Metadata left describing earlier content (a crash between the content
// and metadata renames) is not reported for the new content.
func TestLocalStaleMetadata(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := objects.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	mustPut(t, s, "k", "aaaa", "text/old")
	metaPath := filepath.Join(dir, "objects", "k.m")
	old, err := os.ReadFile(metaPath)
	if err != nil {
		t.Fatalf("metadata file: %v", err)
	}
	mustPut(t, s, "k", "bbbb", "text/new")
	if err := os.WriteFile(metaPath, old, 0o644); err != nil {
		t.Fatal(err)
	}
	info, err := s.Stat(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum([]byte("bbbb"))
	if info.ETag != hex.EncodeToString(sum[:]) || info.ContentType == "text/old" {
		t.Fatalf("stale metadata reported: %+v", info)
	}
	if healed, _ := os.ReadFile(metaPath); bytes.Equal(healed, old) {
		t.Fatal("stale metadata not rewritten")
	}
}

// A reader returned by Get serves the content it was opened on, whatever
// happens to the key afterwards.
func TestLocalGetSnapshot(t *testing.T) {
	ctx := context.Background()
	s := newLocal(t)
	mustPut(t, s, "k", "first", "")
	rc, info, err := s.Get(ctx, "k", objects.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	mustPut(t, s, "k", "second, longer", "")
	if err := s.Delete(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(rc)
	if err != nil || string(b) != "first" || info.Size != 5 {
		t.Fatalf("read %q (%v), info %+v", b, err, info)
	}
}

// Temp files of writes a crash interrupted are removed on open, and never listed.
func TestLocalCleansTemp(t *testing.T) {
	dir := t.TempDir()
	if _, err := objects.NewLocal(dir); err != nil {
		t.Fatal(err)
	}
	leftover := filepath.Join(dir, "tmp", "put-123")
	if err := os.WriteFile(leftover, []byte("half"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := objects.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(leftover); !os.IsNotExist(err) {
		t.Fatal("temp file of an interrupted write survived")
	}
	if all, err := s.List(context.Background(), ""); err != nil || len(all) != 0 {
		t.Fatalf("List = %+v, %v", all, err)
	}
}
