package runtime

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/kilnhq/kiln/runtime/hostfn"
)

// lenReader is an in-memory body that knows its length.
type lenReader interface {
	io.Reader
	Len() int
}

// requestBody returns the body as a reader of known length: in-memory
// bodies as they are, others read into memory first, no longer than the
// deadline and no more than max bytes.
func requestBody(ctx context.Context, deadline time.Time, body io.Reader, max int) (io.Reader, int, error) {
	switch b := body.(type) {
	case nil:
		return nil, 0, nil
	case lenReader:
		if b.Len() > max {
			return nil, 0, fmt.Errorf("%w: the request body is %d bytes, over %d", ErrInputLimit, b.Len(), max)
		}
		return b, b.Len(), nil
	}
	closer, _ := body.(io.Closer)
	w := watch(ctx, deadline, nil, closer)
	data, err := io.ReadAll(io.LimitReader(body, int64(max)+1))
	w.stop()
	if !deadline.IsZero() && !time.Now().Before(deadline) || ctx.Err() != nil {
		return nil, 0, fmt.Errorf("%w: reading the request body", ErrDeadline)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("reading request body: %w", err)
	}
	if len(data) > max {
		return nil, 0, fmt.Errorf("%w: the request body is over %d bytes", ErrInputLimit, max)
	}
	return bytes.NewReader(data), len(data), nil
}

// stdin is a WAGI guest's standard input: the request body, charged by
// size, capped at max bytes, and released by the watchdog at the deadline.
type stdin struct {
	call *hostfn.Call
	body io.Reader
	max  int64
	n    int64
}

func (s *stdin) Read(p []byte) (int, error) {
	s.call.CheckDeadline()
	if s.body == nil {
		return 0, io.EOF
	}
	k, err := s.body.Read(p)
	s.n += int64(k)
	// A read the watchdog cut short ends the guest call here.
	s.call.CheckDeadline()
	if s.n > s.max {
		panic(errInputLimit)
	}
	s.call.Charge(hostfn.Cost(k))
	return k, err
}

// output is a WAGI guest's standard output: the response, charged by
// size and capped at max bytes.
type output struct {
	call *hostfn.Call
	max  int
	buf  []byte
}

func (o *output) Write(p []byte) (int, error) {
	o.call.CheckDeadline()
	o.call.Charge(hostfn.Cost(len(p)))
	if len(o.buf)+len(p) > o.max {
		panic(hostfn.ErrOutputLimit)
	}
	o.buf = append(o.buf, p...)
	return len(p), nil
}
