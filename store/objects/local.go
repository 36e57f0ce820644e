package objects

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Local stores objects as files under one directory. Each object is a data
// file plus a small JSON sidecar (content type, etag); both are written to a
// temp file, synced and renamed, so a crash never leaves a torn object.
type Local struct {
	dir string
}

const (
	dataDir = "data"
	metaDir = "meta"
	tmpDir  = "tmp"
)

// NewLocal opens (creating if needed) a local store in dir.
func NewLocal(dir string) (*Local, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("resolving %s: %w", dir, err)
	}
	for _, d := range []string{dataDir, metaDir, tmpDir} {
		if err := os.MkdirAll(filepath.Join(abs, d), 0o755); err != nil {
			return nil, fmt.Errorf("creating object store dir: %w", err)
		}
	}
	// Temp files of a crashed write are garbage.
	if entries, err := os.ReadDir(filepath.Join(abs, tmpDir)); err == nil {
		for _, e := range entries {
			_ = os.Remove(filepath.Join(abs, tmpDir, e.Name()))
		}
	}
	return &Local{dir: abs}, nil
}

type localMeta struct {
	ContentType string `json:"contentType"`
	ETag        string `json:"etag"`
	Size        int64  `json:"size"`
}

// Name implements Store.
func (l *Local) Name() string { return "local" }

// Ping implements Store.
func (l *Local) Ping(ctx context.Context) error {
	f, err := os.CreateTemp(filepath.Join(l.dir, tmpDir), "ping-")
	if err != nil {
		return fmt.Errorf("object store not writable: %w", err)
	}
	f.Close()
	return os.Remove(f.Name())
}

func (l *Local) paths(key string) (data, meta string, err error) {
	if err := CheckKey(key); err != nil {
		return "", "", err
	}
	rel := filepath.FromSlash(key)
	return filepath.Join(l.dir, dataDir, rel), filepath.Join(l.dir, metaDir, rel+".json"), nil
}

// Put implements Store.
func (l *Local) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) (Info, error) {
	data, meta, err := l.paths(key)
	if err != nil {
		return Info{}, err
	}
	tmp, err := os.CreateTemp(filepath.Join(l.dir, tmpDir), "put-")
	if err != nil {
		return Info{}, fmt.Errorf("putting %s: %w", key, err)
	}
	defer os.Remove(tmp.Name())
	h := md5.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), ctxReader{ctx, r})
	if err == nil && size >= 0 && n != size {
		err = fmt.Errorf("%w: got %d bytes, declared %d", ErrSizeMismatch, n, size)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Info{}, fmt.Errorf("putting %s: %w", key, err)
	}
	if contentType == "" {
		contentType = "application/octet-stream"
	}
	m := localMeta{ContentType: contentType, ETag: hex.EncodeToString(h.Sum(nil)), Size: n}
	if err := os.MkdirAll(filepath.Dir(data), 0o755); err != nil {
		return Info{}, fmt.Errorf("putting %s: %w", key, err)
	}
	if err := os.MkdirAll(filepath.Dir(meta), 0o755); err != nil {
		return Info{}, fmt.Errorf("putting %s: %w", key, err)
	}
	// Data first, then metadata. A crash between the two renames leaves
	// metadata describing the previous content; Stat notices by its size and
	// ignores it rather than report a wrong etag.
	if err := os.Rename(tmp.Name(), data); err != nil {
		return Info{}, fmt.Errorf("putting %s: %w", key, err)
	}
	if err := writeFileAtomic(filepath.Join(l.dir, tmpDir), meta, m); err != nil {
		return Info{}, fmt.Errorf("putting %s: %w", key, err)
	}
	return l.Stat(ctx, key)
}

func writeFileAtomic(tmpDir, path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(tmpDir, "meta-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// Stat implements Store.
func (l *Local) Stat(ctx context.Context, key string) (Info, error) {
	data, meta, err := l.paths(key)
	if err != nil {
		return Info{}, err
	}
	st, err := os.Stat(data)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && st.IsDir()) {
		return Info{}, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	if err != nil {
		return Info{}, fmt.Errorf("stat %s: %w", key, err)
	}
	var m localMeta
	if b, err := os.ReadFile(meta); err == nil {
		if json.Unmarshal(b, &m) != nil || m.Size != st.Size() {
			m = localMeta{}
		}
	}
	if m.ContentType == "" {
		m.ContentType = "application/octet-stream"
	}
	return Info{Key: key, Size: st.Size(), ContentType: m.ContentType, ETag: m.ETag, Modified: st.ModTime().UTC()}, nil
}

// Get implements Store.
func (l *Local) Get(ctx context.Context, key string, opt GetOptions) (io.ReadCloser, Info, error) {
	info, err := l.Stat(ctx, key)
	if err != nil {
		return nil, Info{}, err
	}
	n, err := checkRange(opt, info.Size)
	if err != nil {
		return nil, Info{}, err
	}
	data, _, _ := l.paths(key)
	f, err := os.Open(data)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, Info{}, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	if err != nil {
		return nil, Info{}, fmt.Errorf("opening %s: %w", key, err)
	}
	return struct {
		io.Reader
		io.Closer
	}{io.NewSectionReader(f, opt.Offset, n), f}, info, nil
}

// List implements Store.
func (l *Local) List(ctx context.Context, prefix string) ([]Info, error) {
	if err := checkPrefix(prefix); err != nil {
		return nil, err
	}
	root := filepath.Join(l.dir, dataDir)
	// Walk only the deepest directory the prefix names.
	start := root
	if i := strings.LastIndex(prefix, "/"); i >= 0 {
		start = filepath.Join(root, filepath.FromSlash(prefix[:i]))
	}
	var out []Info
	err := filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		key := filepath.ToSlash(rel)
		if !strings.HasPrefix(key, prefix) {
			return nil
		}
		info, err := l.Stat(ctx, key)
		if err != nil {
			return nil // deleted meanwhile
		}
		out = append(out, info)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing %q: %w", prefix, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Delete implements Store.
func (l *Local) Delete(ctx context.Context, key string) error {
	data, meta, err := l.paths(key)
	if err != nil {
		return err
	}
	if err := os.Remove(data); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("deleting %s: %w", key, err)
	}
	_ = os.Remove(meta)
	// Prune now-empty parent directories so listings stay cheap.
	for _, base := range []string{filepath.Join(l.dir, dataDir), filepath.Join(l.dir, metaDir)} {
		d := filepath.Dir(filepath.Join(base, filepath.FromSlash(key)))
		for d != base && strings.HasPrefix(d, base) {
			if os.Remove(d) != nil {
				break
			}
			d = filepath.Dir(d)
		}
	}
	return nil
}

// ctxReader stops a copy when ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

var _ Store = (*Local)(nil)
