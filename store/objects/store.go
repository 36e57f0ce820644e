package objects

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"
)

// Info describes a stored object.
type Info struct {
	Key         string
	Size        int64
	ContentType string
	ETag        string // hex md5 of the content for local objects; the store's ETag for S3
	Modified    time.Time
}

// GetOptions selects a byte range: Offset from the start, Length bytes
// (0 means to the end).
type GetOptions struct {
	Offset int64
	Length int64
}

// Store is an object storage device. Implementations are safe for
// concurrent use.
//
// Avoid keys that are both an object and a prefix of other objects ("a" and
// "a/b"): the local device and AWS S3 keep both, but MinIO lists only "a".
type Store interface {
	// Put stores r under key, replacing any object there, and returns the
	// Info of what it wrote. size is the number of bytes r yields, or -1 if
	// unknown; a reader that yields fewer or more is ErrSizeMismatch and
	// stores nothing. Readers never see a partly written object. An empty
	// contentType is stored as "application/octet-stream".
	Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) (Info, error)
	// Get opens the object (or a range of it). The caller closes the reader.
	Get(ctx context.Context, key string, opt GetOptions) (io.ReadCloser, Info, error)
	// Stat describes the object.
	Stat(ctx context.Context, key string) (Info, error)
	// List returns the objects whose keys start with prefix, sorted by key.
	List(ctx context.Context, prefix string) ([]Info, error)
	// Delete removes the object; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// Name is "local" or "s3".
	Name() string
	// Ping checks the device is usable.
	Ping(ctx context.Context) error
}

// maxKeyLen bounds keys well under both devices' limits.
const maxKeyLen = 900

// CheckKey validates a key for every device.
func CheckKey(key string) error {
	if key == "" || len(key) > maxKeyLen || strings.HasPrefix(key, "/") || strings.HasSuffix(key, "/") {
		return fmt.Errorf("%w: %q", ErrInvalidKey, key)
	}
	for _, r := range key {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return fmt.Errorf("%w: %q", ErrInvalidKey, key)
		}
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("%w: %q", ErrInvalidKey, key)
		}
	}
	return nil
}

// checkPrefix validates a List prefix: "" or a key prefix without path tricks.
func checkPrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	if err := CheckKey(strings.TrimSuffix(prefix, "/") + "/x"); err != nil {
		return fmt.Errorf("%w: prefix %q", ErrInvalidKey, prefix)
	}
	return nil
}

// checkRange validates opt against an object of the given size and returns
// the resolved length.
func checkRange(opt GetOptions, size int64) (int64, error) {
	if opt.Offset < 0 || opt.Length < 0 || opt.Offset > size || (opt.Offset == size && size > 0 && opt.Length > 0) {
		return 0, fmt.Errorf("%w: offset %d length %d of %d bytes", ErrInvalidRange, opt.Offset, opt.Length, size)
	}
	n := size - opt.Offset
	if opt.Length > 0 {
		if opt.Offset+opt.Length > size {
			return 0, fmt.Errorf("%w: offset %d length %d of %d bytes", ErrInvalidRange, opt.Offset, opt.Length, size)
		}
		n = opt.Length
	}
	return n, nil
}
