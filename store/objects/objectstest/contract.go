// Package objectstest is the contract every objects.Store device passes:
// the same suite runs against the local folder and against S3 on a real MinIO.
package objectstest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/kilnhq/kiln/store/objects"
)

// Run runs the contract against stores made by newStore (a fresh, empty store per call).
func Run(t *testing.T, newStore func(t *testing.T) objects.Store) {
	ctx := context.Background()
	put := func(t *testing.T, s objects.Store, key, body, ct string) objects.Info {
		t.Helper()
		info, err := s.Put(ctx, key, strings.NewReader(body), int64(len(body)), ct)
		if err != nil {
			t.Fatalf("Put %s: %v", key, err)
		}
		return info
	}
	read := func(t *testing.T, s objects.Store, key string, opt objects.GetOptions) string {
		t.Helper()
		rc, _, err := s.Get(ctx, key, opt)
		if err != nil {
			t.Fatalf("Get %s %+v: %v", key, opt, err)
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatalf("reading %s: %v", key, err)
		}
		return string(b)
	}

	t.Run("PutGetStat", func(t *testing.T) {
		s := newStore(t)
		if err := s.Ping(ctx); err != nil {
			t.Fatal(err)
		}
		info := put(t, s, "a/b/c.txt", "hello world", "text/plain")
		if info.Key != "a/b/c.txt" || info.Size != 11 || info.ContentType != "text/plain" || info.ETag == "" {
			t.Fatalf("info = %+v", info)
		}
		if got := read(t, s, "a/b/c.txt", objects.GetOptions{}); got != "hello world" {
			t.Fatalf("body = %q", got)
		}
		st, err := s.Stat(ctx, "a/b/c.txt")
		if err != nil || st.Size != 11 || st.ETag != info.ETag || st.Modified.IsZero() {
			t.Fatalf("stat = %+v, %v", st, err)
		}
		empty := put(t, s, "empty", "", "")
		if empty.Size != 0 || empty.ContentType != "application/octet-stream" {
			t.Fatalf("empty = %+v", empty)
		}
		if got := read(t, s, "empty", objects.GetOptions{}); got != "" {
			t.Fatalf("empty body = %q", got)
		}
	})

	t.Run("Ranges", func(t *testing.T) {
		s := newStore(t)
		put(t, s, "r", "0123456789", "")
		for _, tc := range []struct {
			opt  objects.GetOptions
			want string
		}{
			{objects.GetOptions{Offset: 0, Length: 3}, "012"},
			{objects.GetOptions{Offset: 7}, "789"},
			{objects.GetOptions{Offset: 4, Length: 2}, "45"},
			{objects.GetOptions{Offset: 9, Length: 1}, "9"},
		} {
			if got := read(t, s, "r", tc.opt); got != tc.want {
				t.Errorf("range %+v = %q, want %q", tc.opt, got, tc.want)
			}
		}
		for _, bad := range []objects.GetOptions{{Offset: 11}, {Offset: 5, Length: 6}, {Offset: -1}, {Length: -2}} {
			if _, _, err := s.Get(ctx, "r", bad); !errors.Is(err, objects.ErrInvalidRange) {
				t.Errorf("range %+v: err = %v, want ErrInvalidRange", bad, err)
			}
		}
	})

	t.Run("NotFound", func(t *testing.T) {
		s := newStore(t)
		if _, err := s.Stat(ctx, "missing"); !errors.Is(err, objects.ErrNotFound) {
			t.Fatalf("Stat: %v", err)
		}
		if _, _, err := s.Get(ctx, "missing", objects.GetOptions{}); !errors.Is(err, objects.ErrNotFound) {
			t.Fatalf("Get: %v", err)
		}
		if err := s.Delete(ctx, "missing"); err != nil {
			t.Fatalf("Delete of a missing key: %v", err)
		}
	})

	t.Run("InvalidKeys", func(t *testing.T) {
		s := newStore(t)
		for _, key := range []string{"", "/abs", "../escape", "a/../../b", "a//b", "a/./b", "back\\slash", "nul\x00", "trailing/", strings.Repeat("k", 2000)} {
			if _, err := s.Put(ctx, key, strings.NewReader("x"), 1, ""); !errors.Is(err, objects.ErrInvalidKey) {
				t.Errorf("Put %q: err = %v, want ErrInvalidKey", key, err)
			}
			if _, err := s.Stat(ctx, key); !errors.Is(err, objects.ErrInvalidKey) {
				t.Errorf("Stat %q: err = %v", key, err)
			}
		}
		if _, err := s.List(ctx, "../"); !errors.Is(err, objects.ErrInvalidKey) {
			t.Errorf("List ../: %v", err)
		}
	})

	t.Run("SizeMismatch", func(t *testing.T) {
		s := newStore(t)
		put(t, s, "kept", "original", "text/plain")
		for _, tc := range []struct {
			body string
			size int64
		}{{"abc", 10}, {"too long for it", 3}, {"", 1}} {
			if _, err := s.Put(ctx, "kept", strings.NewReader(tc.body), tc.size, ""); !errors.Is(err, objects.ErrSizeMismatch) {
				t.Errorf("Put %d bytes declared %d: err = %v, want ErrSizeMismatch", len(tc.body), tc.size, err)
			}
			if _, err := s.Put(ctx, "new", strings.NewReader(tc.body), tc.size, ""); !errors.Is(err, objects.ErrSizeMismatch) {
				t.Errorf("Put %d bytes declared %d: err = %v, want ErrSizeMismatch", len(tc.body), tc.size, err)
			}
		}
		if got := read(t, s, "kept", objects.GetOptions{}); got != "original" {
			t.Fatalf("a failed Put changed the object: %q", got)
		}
		if _, err := s.Stat(ctx, "new"); !errors.Is(err, objects.ErrNotFound) {
			t.Fatalf("a failed Put left an object: %v", err)
		}
	})

	t.Run("CanceledPut", func(t *testing.T) {
		s := newStore(t)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := s.Put(cctx, "c", strings.NewReader("data"), 4, ""); err == nil {
			t.Fatal("Put with a canceled context succeeded")
		}
		if _, err := s.Stat(ctx, "c"); !errors.Is(err, objects.ErrNotFound) {
			t.Fatalf("a canceled Put left an object: %v", err)
		}
	})

	t.Run("ListAndDelete", func(t *testing.T) {
		s := newStore(t)
		for _, k := range []string{"p/2", "p/1", "p/sub/3", "q/4", "pp/5"} {
			put(t, s, k, k, "text/x-"+strings.ReplaceAll(k, "/", "-"))
		}
		list, err := s.List(ctx, "p/")
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, i := range list {
			keys = append(keys, i.Key)
		}
		if got := strings.Join(keys, ","); got != "p/1,p/2,p/sub/3" {
			t.Fatalf("List p/ = %s", got)
		}
		for _, i := range list {
			if i.Size != int64(len(i.Key)) || i.ContentType != "text/x-"+strings.ReplaceAll(i.Key, "/", "-") || i.ETag == "" || i.Modified.IsZero() {
				t.Fatalf("listed %+v", i)
			}
		}
		if partial, err := s.List(ctx, "p/s"); err != nil || len(partial) != 1 || partial[0].Key != "p/sub/3" {
			t.Fatalf("List p/s = %+v, %v", partial, err)
		}
		if none, err := s.List(ctx, "nothing/here/"); err != nil || len(none) != 0 {
			t.Fatalf("List of an unused prefix = %+v, %v", none, err)
		}
		all, _ := s.List(ctx, "")
		if len(all) != 5 {
			t.Fatalf("List all = %d objects", len(all))
		}
		if err := s.Delete(ctx, "p/sub/3"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Stat(ctx, "p/sub/3"); !errors.Is(err, objects.ErrNotFound) {
			t.Fatalf("after delete: %v", err)
		}
		list, _ = s.List(ctx, "p/")
		if len(list) != 2 {
			t.Fatalf("after delete List p/ = %d", len(list))
		}
	})

	t.Run("Overwrite", func(t *testing.T) {
		s := newStore(t)
		first := put(t, s, "k", "first", "text/plain")
		second := put(t, s, "k", "second!", "application/json")
		if got := read(t, s, "k", objects.GetOptions{}); got != "second!" {
			t.Fatalf("body = %q", got)
		}
		if second.Size != 7 || second.ContentType != "application/json" || second.ETag == first.ETag {
			t.Fatalf("info after overwrite = %+v", second)
		}
	})

	t.Run("LargeUnknownSize", func(t *testing.T) {
		s := newStore(t)
		big := make([]byte, 6<<20+123)
		if _, err := rand.Read(big); err != nil {
			t.Fatal(err)
		}
		info, err := s.Put(ctx, "big.bin", io.MultiReader(bytes.NewReader(big)), -1, "")
		if err != nil {
			t.Fatal(err)
		}
		if info.Size != int64(len(big)) {
			t.Fatalf("size = %d", info.Size)
		}
		got := read(t, s, "big.bin", objects.GetOptions{Offset: 5 << 20, Length: 1000})
		if got != string(big[5<<20:5<<20+1000]) {
			t.Fatal("range of a large object differs")
		}
	})

	t.Run("ConcurrentPutsSameKey", func(t *testing.T) {
		s := newStore(t)
		bodies := make([]string, 8)
		infos := make([]objects.Info, len(bodies))
		for i := range bodies {
			bodies[i] = strings.Repeat(fmt.Sprint(i), 100_000) // same size: only content tells them apart
		}
		var wg sync.WaitGroup
		for i, b := range bodies {
			wg.Add(1)
			go func() {
				defer wg.Done()
				info, err := s.Put(ctx, "race", strings.NewReader(b), int64(len(b)), fmt.Sprintf("text/x-%d", i))
				if err != nil {
					t.Error(err)
				}
				infos[i] = info
			}()
		}
		wg.Wait()
		rc, got, err := s.Get(ctx, "race", objects.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		winner := -1
		for i, b := range bodies {
			if string(body) == b {
				winner = i
			}
		}
		if winner < 0 {
			t.Fatalf("object is a mix of concurrent writes (len %d)", len(body))
		}
		// The metadata is the winner's, not another writer's of the same size.
		if got.ETag != infos[winner].ETag || got.ContentType != infos[winner].ContentType {
			t.Fatalf("content of Put %d described as %+v; that Put returned %+v", winner, got, infos[winner])
		}
		for i, info := range infos {
			for j := range i {
				if info.ETag == infos[j].ETag {
					t.Fatalf("Puts %d and %d of different content returned the same etag %s", j, i, info.ETag)
				}
			}
		}
	})
}
