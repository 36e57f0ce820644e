package objects

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// sizedReader yields what r yields, failing with ErrSizeMismatch as soon as
// r turns out shorter or longer than the declared size (want < 0: any size).
// A longer reader is caught before its last declared byte is handed out, so
// a device that reads exactly want bytes still sees the error and aborts
// the write instead of storing a silently truncated object.
type sizedReader struct {
	ctx  context.Context
	r    io.Reader
	want int64
	n    int64
	err  error
}

func newSizedReader(ctx context.Context, r io.Reader, size int64) *sizedReader {
	return &sizedReader{ctx: ctx, r: r, want: size}
}

func (s *sizedReader) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if err := s.ctx.Err(); err != nil {
		s.err = err
		return 0, err
	}
	if s.want >= 0 {
		remaining := s.want - s.n
		if remaining == 0 {
			s.err = s.probeEnd()
			return 0, s.err
		}
		if int64(len(p)) > remaining {
			p = p[:remaining]
		}
	}
	n, err := s.r.Read(p)
	s.n += int64(n)
	switch {
	case s.want < 0:
	case errors.Is(err, io.EOF) && s.n < s.want:
		err = fmt.Errorf("%w: got %d bytes, declared %d", ErrSizeMismatch, s.n, s.want)
	case err == nil && s.n == s.want:
		if perr := s.probeEnd(); perr == io.EOF {
			s.err = io.EOF // the next Read reports the end without probing again
		} else {
			err = perr
		}
	}
	if err != nil {
		s.err = err
	}
	return n, err
}

// probeEnd reads past the declared end: io.EOF if r is done, else a mismatch.
func (s *sizedReader) probeEnd() error {
	var b [1]byte
	for {
		n, err := s.r.Read(b[:])
		if n > 0 {
			return fmt.Errorf("%w: more than the declared %d bytes", ErrSizeMismatch, s.want)
		}
		if errors.Is(err, io.EOF) {
			return io.EOF
		}
		if err != nil {
			return err
		}
	}
}
