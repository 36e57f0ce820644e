package archive

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"runtime"
	"testing"
	"time"
)

// zeroBomb returns a gzip stream (concatenated members, which gzip readers
// accept) that decompresses to prefix followed by n MiB of zeros, built
// without ever holding the zeros in memory.
func zeroBomb(t testing.TB, prefix []byte, mib int) []byte {
	t.Helper()
	var member bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&member, gzip.BestCompression)
	chunk := make([]byte, 1<<20)
	for range 16 {
		zw.Write(chunk)
	}
	zw.Close()
	var out bytes.Buffer
	if len(prefix) > 0 {
		out.Write(gzipBytes(t, prefix))
	}
	for range mib / 16 {
		out.Write(member.Bytes())
	}
	return out.Bytes()
}

// tarHeaderOnly returns the 512-byte header of a regular file of the given
// declared size, without its content.
func tarHeaderOnly(t testing.TB, name string, size int64) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Size: size, Mode: 0o644}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestExtractGzipBombs(t *testing.T) {
	const gib = 1024 // MiB
	small := tarBytes(t, ent{name: "main.go", body: "package main\n"})
	for _, tc := range []struct {
		name string
		data []byte
		lim  Limits
		want error
	}{
		// A file of 1 GiB of zeros: refused from its header.
		{"one file of 1 GiB", zeroBomb(t, tarHeaderOnly(t, "zeros", gib<<20), gib), Limits{}, ErrTooLarge},
		// Same with a per-file limit that allows it: the total refuses it.
		{"one file of 1 GiB under a large file limit", zeroBomb(t, tarHeaderOnly(t, "zeros", gib<<20), gib), Limits{MaxFileBytes: 2 << 30}, ErrTooLarge},
		// A small valid archive followed by 1 GiB of zeros: no header is
		// involved, the decompressed stream cap stops it.
		{"1 GiB after the end marker", zeroBomb(t, small, gib), Limits{}, ErrTooLarge},
		// Zeros alone are no tar archive.
		{"1 GiB of zeros", zeroBomb(t, nil, gib), Limits{}, ErrNotArchive},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parent, dst := sandbox(t)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			st, err := Extract(context.Background(), bytes.NewReader(tc.data), dst, tc.lim)
			elapsed := time.Since(start)
			runtime.ReadMemStats(&after)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Extract error = %v, want %v", err, tc.want)
			}
			alloc := after.TotalAlloc - before.TotalAlloc
			t.Logf("%d compressed bytes read of %d, stopped after %v, %d KiB allocated: %v",
				st.Compressed, len(tc.data), elapsed.Round(time.Millisecond), alloc>>10, err)
			if alloc > 16<<20 {
				t.Errorf("Extract allocated %d MiB on a bomb; memory must stay bounded", alloc>>20)
			}
			if st.Compressed >= int64(len(tc.data)) && tc.want != ErrNotArchive {
				// The cap must stop before the whole bomb is read.
				t.Errorf("Extract read the whole bomb (%d bytes) before refusing it", st.Compressed)
			}
			checkContained(t, parent, dst)
		})
	}
}

// TestExtractStreamsUnderCap checks the cap counts real bytes, not headers:
// content that fits is extracted in full from a stream far larger than
// its compressed size.
func TestExtractStreamsUnderCap(t *testing.T) {
	content := bytes.Repeat([]byte{0}, 8<<20)
	data := tgz(t, ent{name: "zeros.bin", body: string(content)})
	_, dst := sandbox(t)
	st, err := Extract(context.Background(), bytes.NewReader(data), dst, Limits{MaxTotalBytes: 8 << 20, MaxFileBytes: 8 << 20})
	if err != nil {
		t.Fatalf("Extract: %v", err)
	}
	if st.Bytes != int64(len(content)) {
		t.Fatalf("extracted %d bytes, want %d", st.Bytes, len(content))
	}
}
