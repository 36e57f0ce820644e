package objects_test

import (
	"context"
	"fmt"
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
