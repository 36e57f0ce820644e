package archive

import (
	"errors"
	"fmt"
)

// Sentinel errors returned (wrapped) by Extract and Pack. Callers branch on
// them with errors.Is; an *EntryError names the entry that caused them.
var (
	// ErrUnsafePath: an entry would land outside the destination, is a link
	// whose target escapes, is a device or fifo, repeats an earlier entry or
	// passes through a symlink.
	ErrUnsafePath = errors.New("unsafe path in archive")
	// ErrTooLarge: a file, the total or the decompression ratio exceeds Limits.
	ErrTooLarge = errors.New("archive too large")
	// ErrTooManyFiles: the archive holds more entries than Limits.MaxFiles.
	ErrTooManyFiles = errors.New("too many files in archive")
	// ErrNotArchive: the input is not a tar, tar.gz or zip archive.
	ErrNotArchive = errors.New("not a tar.gz, tar or zip archive")
	// ErrCorrupt: the input starts like an archive but is truncated or
	// damaged (bad header, bad gzip checksum, unexpected end).
	ErrCorrupt = errors.New("archive is truncated or corrupt")
	// ErrDestNotEmpty: Extract's destination already holds files.
	ErrDestNotEmpty = errors.New("destination directory is not empty")
)

// EntryError reports which archive entry was rejected and why. Err is one of
// the sentinel errors above.
type EntryError struct {
	Name   string // entry name as written in the archive
	Reason string // what is wrong with it, for a person to read
	Err    error
}

func (e *EntryError) Error() string {
	return fmt.Sprintf("archive entry %q: %s", e.Name, e.Reason)
}

func (e *EntryError) Unwrap() error { return e.Err }

func entryErr(name string, sentinel error, format string, args ...any) error {
	return &EntryError{Name: name, Reason: fmt.Sprintf(format, args...), Err: sentinel}
}
