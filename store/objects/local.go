package objects

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
)

// Local stores objects as files under one directory:
//
//	<dir>/objects/<seg>.d/<seg>.d/<last>.o   the content
//	<dir>/objects/<seg>.d/<seg>.d/<last>.m   JSON metadata: content type, etag (hex md5), size, inode
//	<dir>/tmp/                               writes in progress
//
// Directory segments end in ".d" and objects in ".o", so the keys "a" and
// "a/b" can both exist, as they can on S3. Content is written to a temp
// file, synced and renamed into place, so a reader never sees a torn
// object. Metadata names the inode of the content it describes: metadata
// left stale by a crash between the two renames is detected, and the etag
// recomputed, instead of being reported for the wrong content.
//
// A Local is safe for concurrent use within one process; two processes must
// not share a directory (a Kiln node holds a lock on its data dir).
type Local struct {
	dir   string
	locks [64]sync.RWMutex // by key hash: a Put's two renames are atomic to readers
}

const (
	treeDir = "objects"
	tmpDir  = "tmp"
	dirExt  = ".d"
	dataExt = ".o"
	metaExt = ".m"
	// maxSegment keeps <segment><ext> within the 255-byte name limit of common filesystems.
	maxSegment = 250
)

// NewLocal opens (creating if needed) a local store in dir and removes
// temp files left by writes a crash interrupted.
func NewLocal(dir string) (*Local, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("resolving %s: %w", dir, err)
	}
	for _, d := range []string{treeDir, tmpDir} {
		if err := os.MkdirAll(filepath.Join(abs, d), 0o755); err != nil {
			return nil, fmt.Errorf("creating object store dir: %w", err)
		}
	}
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
	Inode       uint64 `json:"inode"`
}

// Name implements Store.
func (l *Local) Name() string { return "local" }

// Ping implements Store: the directory must be writable.
func (l *Local) Ping(ctx context.Context) error {
	f, err := os.CreateTemp(filepath.Join(l.dir, tmpDir), "ping-")
	if err != nil {
		return fmt.Errorf("object store not writable: %w", err)
	}
	f.Close()
	return os.Remove(f.Name())
}

func (l *Local) lock(key string) *sync.RWMutex {
	h := fnv.New32a()
	h.Write([]byte(key))
	return &l.locks[h.Sum32()%uint32(len(l.locks))]
}

// paths returns the content and metadata files of key.
func (l *Local) paths(key string) (data, meta string, err error) {
	if err := CheckKey(key); err != nil {
		return "", "", err
	}
	segs := strings.Split(key, "/")
	for _, s := range segs {
		if len(s) > maxSegment {
			return "", "", fmt.Errorf("%w: segment longer than %d bytes in %q", ErrInvalidKey, maxSegment, key)
		}
	}
	parts := make([]string, 0, len(segs)+1)
	parts = append(parts, l.dir, treeDir)
	for _, s := range segs[:len(segs)-1] {
		parts = append(parts, s+dirExt)
	}
	base := filepath.Join(parts...)
	last := segs[len(segs)-1]
	return filepath.Join(base, last+dataExt), filepath.Join(base, last+metaExt), nil
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
	placed := false
	defer func() {
		if !placed {
			os.Remove(tmp.Name())
		}
	}()
	h := md5.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), newSizedReader(ctx, r, size))
	if err == nil {
		err = tmp.Sync()
	}
	var st fs.FileInfo
	if err == nil {
		st, err = tmp.Stat()
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
	m := localMeta{ContentType: contentType, ETag: hex.EncodeToString(h.Sum(nil)), Size: n, Inode: inode(st)}

	mu := l.lock(key)
	mu.Lock()
	defer mu.Unlock()
	if err := renameInto(tmp.Name(), data); err != nil {
		return Info{}, fmt.Errorf("putting %s: %w", key, err)
	}
	placed = true
	if err := writeMeta(filepath.Join(l.dir, tmpDir), meta, m); err != nil {
		return Info{}, fmt.Errorf("putting %s: %w", key, err)
	}
	if err := syncDir(filepath.Dir(data)); err != nil {
		return Info{}, fmt.Errorf("putting %s: %w", key, err)
	}
	return Info{Key: key, Size: n, ContentType: m.ContentType, ETag: m.ETag, Modified: st.ModTime().UTC()}, nil
}

// renameInto moves src to dst, creating dst's directory. A concurrent Delete
// may prune that directory between the two steps, hence the retries.
func renameInto(src, dst string) error {
	var err error
	for range 5 {
		if err = os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err = os.Rename(src, dst); !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return err
}

func writeMeta(tmpDir, path string, m localMeta) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(tmpDir, "meta-")
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return err
	}
	return nil
}

// syncDir makes renames into dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) { // some filesystems cannot sync a directory
		return err
	}
	return nil
}

func inode(st fs.FileInfo) uint64 {
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		return uint64(s.Ino)
	}
	return 0
}

// describe returns the Info of the content file st (readable through f),
// recomputing the metadata if it describes other content. Callers hold the
// key's read lock; the healed metadata is the same whoever writes it.
func (l *Local) describe(key, metaPath string, st fs.FileInfo, f io.ReaderAt) (Info, error) {
	var m localMeta
	b, err := os.ReadFile(metaPath)
	fresh := err == nil && json.Unmarshal(b, &m) == nil && m.Size == st.Size() && m.Inode == inode(st)
	if !fresh {
		h := md5.New()
		if _, err := io.Copy(h, io.NewSectionReader(f, 0, st.Size())); err != nil {
			return Info{}, fmt.Errorf("reading %s: %w", key, err)
		}
		// The content type of content whose Put never finished is unknown.
		m = localMeta{ContentType: "application/octet-stream", ETag: hex.EncodeToString(h.Sum(nil)), Size: st.Size(), Inode: inode(st)}
		_ = writeMeta(filepath.Join(l.dir, tmpDir), metaPath, m)
	}
	return Info{Key: key, Size: st.Size(), ContentType: m.ContentType, ETag: m.ETag, Modified: st.ModTime().UTC()}, nil
}

// open opens the content of key with its Info, consistent with each other
// even while the key is being overwritten.
func (l *Local) open(key string) (*os.File, Info, error) {
	data, meta, err := l.paths(key)
	if err != nil {
		return nil, Info{}, err
	}
	mu := l.lock(key)
	mu.RLock()
	defer mu.RUnlock()
	f, err := os.Open(data)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil, Info{}, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	if err != nil {
		return nil, Info{}, fmt.Errorf("opening %s: %w", key, err)
	}
	st, err := f.Stat()
	if err == nil && st.IsDir() {
		err = fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	var info Info
	if err == nil {
		info, err = l.describe(key, meta, st, f)
	}
	if err != nil {
		f.Close()
		return nil, Info{}, err
	}
	return f, info, nil
}

// Stat implements Store.
func (l *Local) Stat(ctx context.Context, key string) (Info, error) {
	f, info, err := l.open(key)
	if err != nil {
		return Info{}, err
	}
	f.Close()
	return info, nil
}

// Get implements Store. The reader serves the content as it was when Get
// returned, even if the key is overwritten or deleted meanwhile.
func (l *Local) Get(ctx context.Context, key string, opt GetOptions) (io.ReadCloser, Info, error) {
	f, info, err := l.open(key)
	if err != nil {
		return nil, Info{}, err
	}
	n, err := checkRange(opt, info.Size)
	if err != nil {
		f.Close()
		return nil, Info{}, err
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
	root := filepath.Join(l.dir, treeDir)
	// Walk only the deepest directory the prefix names.
	start := root
	if i := strings.LastIndex(prefix, "/"); i >= 0 {
		for _, s := range strings.Split(prefix[:i], "/") {
			start = filepath.Join(start, s+dirExt)
		}
	}
	var out []Info
	err := filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // pruned meanwhile, or no such prefix
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(p, dataExt) {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		key := decodeKey(filepath.ToSlash(rel))
		if !strings.HasPrefix(key, prefix) {
			return nil
		}
		info, err := l.Stat(ctx, key)
		if errors.Is(err, ErrNotFound) {
			return nil // deleted meanwhile
		}
		if err != nil {
			return err
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

// decodeKey turns "a.d/b.d/c.o" back into "a/b/c".
func decodeKey(rel string) string {
	segs := strings.Split(rel, "/")
	for i, s := range segs {
		if i < len(segs)-1 {
			segs[i] = strings.TrimSuffix(s, dirExt)
		} else {
			segs[i] = strings.TrimSuffix(s, dataExt)
		}
	}
	return strings.Join(segs, "/")
}

// Delete implements Store.
func (l *Local) Delete(ctx context.Context, key string) error {
	data, meta, err := l.paths(key)
	if err != nil {
		return err
	}
	mu := l.lock(key)
	mu.Lock()
	err = os.Remove(data)
	if err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
		mu.Unlock()
		return fmt.Errorf("deleting %s: %w", key, err)
	}
	_ = os.Remove(meta)
	mu.Unlock()
	// Prune now-empty parent directories so listings stay cheap; a Put
	// racing for the same directory retries its rename.
	root := filepath.Join(l.dir, treeDir)
	for d := filepath.Dir(data); d != root && strings.HasPrefix(d, root); d = filepath.Dir(d) {
		if os.Remove(d) != nil {
			break
		}
	}
	return nil
}

var _ Store = (*Local)(nil)
