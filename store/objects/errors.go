package objects

import "errors"

var (
	// ErrNotFound means no object has the key.
	ErrNotFound = errors.New("object not found")
	// ErrInvalidKey means the key is empty, absolute, has empty, "." or ".."
	// segments, backslashes or control characters, or is too long.
	ErrInvalidKey = errors.New("invalid object key")
	// ErrInvalidRange means the byte range lies outside the object.
	ErrInvalidRange = errors.New("invalid byte range")
	// ErrSizeMismatch means the reader gave a different number of bytes than the size promised.
	ErrSizeMismatch = errors.New("object size does not match the declared size")
)
