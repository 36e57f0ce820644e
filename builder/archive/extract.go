// Package archive unpacks uploaded deployment sources safely and packs a
// local folder into the deterministic tar.gz the CLI uploads.
//
// Extract accepts tar.gz, tar and zip. Everything it writes stays inside the
// destination: entries are written through an os.Root, names with ".." or a
// leading "/" are refused, and links are limited to relative symlinks that
// resolve inside the archive and hard links to files extracted earlier.
// Device and fifo entries, duplicates and writes through a symlink are
// refused. Decompressed bytes are counted as they stream, so a compression
// bomb stops at the configured limit with bounded memory whatever the
// headers claim.
package archive

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
)

// Extract unpacks the archive read from r into dst, which is created if
// missing and must otherwise be empty. The format (tar.gz, tar or zip) is
// detected from the content. On error dst may hold part of the archive (all
// of it inside dst); the caller removes it. Errors wrap ErrUnsafePath,
// ErrTooLarge, ErrTooManyFiles, ErrNotArchive, ErrCorrupt or
// ErrDestNotEmpty, most inside an *EntryError naming the entry.
func Extract(ctx context.Context, r io.Reader, dst string, lim Limits) (Stats, error) {
	lim = lim.withDefaults()
	if err := checkEmpty(dst); err != nil {
		return Stats{}, err
	}
	root, err := os.OpenRoot(dst)
	if err != nil {
		return Stats{}, fmt.Errorf("opening destination: %w", err)
	}
	defer root.Close()

	in := &countingReader{ctx: ctx, r: r}
	br := bufio.NewReaderSize(in, 64<<10)
	head, _ := br.Peek(512)
	d := newDest(root, lim)
	switch {
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		err = extractGzip(br, in, d)
	case bytes.HasPrefix(head, []byte("PK\x03\x04")), bytes.HasPrefix(head, []byte("PK\x05\x06")):
		err = extractZip(ctx, br, in, d)
	case isTar(head):
		err = extractTar(&capReader{r: br, in: in, lim: lim}, d, false)
	default:
		err = notArchive(head, in.err)
	}
	d.stats.Compressed = in.n
	return d.stats, err
}

func isTar(head []byte) bool {
	return len(head) >= 262 && bytes.Equal(head[257:262], []byte("ustar"))
}

func notArchive(head []byte, readErr error) error {
	if readErr != nil && readErr != io.EOF {
		return fmt.Errorf("reading archive: %w", readErr)
	}
	for _, c := range []struct {
		magic []byte
		name  string
	}{
		{[]byte("BZh"), "bzip2"},
		{[]byte{0xfd, '7', 'z', 'X', 'Z', 0}, "xz"},
		{[]byte{0x28, 0xb5, 0x2f, 0xfd}, "zstd"},
		{[]byte("7z\xbc\xaf\x27\x1c"), "7z"},
		{[]byte("Rar!"), "rar"},
	} {
		if bytes.HasPrefix(head, c.magic) {
			return fmt.Errorf("%w: %s archives are not supported", ErrNotArchive, c.name)
		}
	}
	if len(head) == 0 {
		return fmt.Errorf("%w: input is empty", ErrNotArchive)
	}
	return ErrNotArchive
}

func extractGzip(br *bufio.Reader, in *countingReader, d *dest) error {
	zr, err := gzip.NewReader(br)
	if err != nil {
		return fmt.Errorf("%w: gzip header: %w", ErrCorrupt, err)
	}
	cr := &capReader{r: zr, in: in, lim: d.lim}
	tb := bufio.NewReaderSize(cr, 4096)
	head, perr := tb.Peek(512)
	if !isTar(head) {
		if perr != nil && errors.Is(perr, ErrTooLarge) {
			return perr
		}
		if perr != nil && perr != io.EOF {
			return fmt.Errorf("%w: %w", ErrCorrupt, perr)
		}
		return fmt.Errorf("%w: gzip data is not a tar archive", ErrNotArchive)
	}
	return extractTar(tb, d, true)
}

// extractTar writes every entry of the tar stream r. With drain, the rest
// of the stream after the end-of-archive marker is read too (still under
// the decompression cap) so the gzip checksum is verified.
func extractTar(r io.Reader, d *dest, drain bool) error {
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil && !errors.Is(err, tar.ErrInsecurePath) {
			if isStop(err) {
				return err
			}
			return fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		if err := extractTarEntry(tr, hdr, d); err != nil {
			return err
		}
	}
	if drain {
		if _, err := io.Copy(io.Discard, r); err != nil {
			if isStop(err) {
				return err
			}
			return fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
	}
	return nil
}

func extractTarEntry(tr *tar.Reader, hdr *tar.Header, d *dest) error {
	if hdr.Typeflag == tar.TypeXGlobalHeader {
		return nil // PAX defaults for later entries; already applied by tar.Reader
	}
	p, why := cleanName(hdr.Name)
	if why != "" {
		return entryErr(hdr.Name, ErrUnsafePath, "%s", why)
	}
	switch hdr.Typeflag {
	case tar.TypeReg, tar.TypeRegA:
		return d.file(hdr.Name, p, hdr.FileInfo().Mode(), hdr.Size, tr)
	case tar.TypeDir:
		return d.dir(hdr.Name, p)
	case tar.TypeSymlink:
		return d.symlink(hdr.Name, p, hdr.Linkname)
	case tar.TypeLink:
		return d.hardlink(hdr.Name, p, hdr.Linkname)
	case tar.TypeChar, tar.TypeBlock:
		return unsupportedType(hdr.Name, "device")
	case tar.TypeFifo:
		return unsupportedType(hdr.Name, "fifo")
	case tar.TypeGNUSparse:
		return unsupportedType(hdr.Name, "sparse file")
	}
	return unsupportedType(hdr.Name, fmt.Sprintf("type %q", hdr.Typeflag))
}

// countingReader counts compressed input and stops when ctx is done.
type countingReader struct {
	ctx context.Context
	r   io.Reader
	n   int64
	err error
}

func (c *countingReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		c.err = err
		return 0, err
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil {
		c.err = err
	}
	return n, err
}

// capReader bounds the decompressed stream: its total and, with MaxRatio,
// its size relative to the compressed bytes read so far.
type capReader struct {
	r   io.Reader
	in  *countingReader
	lim Limits
	n   int64
}

func (c *capReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if limit := c.lim.streamCap(); c.n > limit {
		return 0, fmt.Errorf("%w: decompressed data exceeds %d bytes", ErrTooLarge, limit)
	}
	if c.lim.MaxRatio > 0 && c.n > int64(c.lim.MaxRatio)*c.in.n+ratioSlack {
		return 0, fmt.Errorf("%w: decompresses more than %d times its size", ErrTooLarge, c.lim.MaxRatio)
	}
	return n, err
}
