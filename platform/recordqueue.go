package platform

import (
	"context"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go/jetstream"
)

// Execution records are published to JetStream with group commit: a
// request waits until its record is stored, but records that arrive while a
// publish is in flight share the next one, so under load one stream write
// (and one acknowledgement) carries many records instead of one each. At
// low load a record is published at once, alone.
const (
	// recordBatchSubject carries a JSON array of execution records.
	recordBatchSubject = recordSubjects + ".batch"
	// groupMaxRecords and groupMaxBytes bound one published batch, well
	// under NATS's default 1 MiB message limit. A record larger than
	// groupMaxBytes is published alone.
	groupMaxRecords = 128
	groupMaxBytes   = 256 << 10
)

type pendingRecord struct {
	data []byte // one JSON-encoded db.Execution
	done chan error
}

type recordQueue struct {
	mu       sync.Mutex
	pending  []pendingRecord
	flushing bool // a goroutine is publishing; it takes what is pending next
}

// enqueue adds a record and waits until it is stored in JetStream (or ctx
// ends: the record may still be stored).
func (p *Platform) enqueueRecord(ctx context.Context, data []byte) error {
	q := &p.records
	done := make(chan error, 1)
	q.mu.Lock()
	q.pending = append(q.pending, pendingRecord{data: data, done: done})
	lead := !q.flushing
	q.flushing = true
	q.mu.Unlock()
	if lead {
		// This caller publishes the first batch itself (its own record is
		// in it); if more arrived meanwhile, a goroutine carries on so the
		// caller is not held up by others' records.
		if p.flushRecords(ctx) {
			go p.flushRecordsLoop()
		}
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *Platform) flushRecordsLoop() {
	for p.flushRecords(context.Background()) {
	}
}

// flushRecords publishes one batch of pending records and reports whether
// more are pending; when none are, it clears flushing and returns false.
func (p *Platform) flushRecords(ctx context.Context) (more bool) {
	q := &p.records
	q.mu.Lock()
	n, size := 0, 0
	for n < len(q.pending) && n < groupMaxRecords {
		if n > 0 && size+len(q.pending[n].data) > groupMaxBytes {
			break
		}
		size += len(q.pending[n].data) + 1
		n++
	}
	batch := append([]pendingRecord(nil), q.pending[:n]...)
	q.pending = append(q.pending[:0], q.pending[n:]...)
	q.mu.Unlock()

	if len(batch) > 0 {
		buf := make([]byte, 0, size+2)
		buf = append(buf, '[')
		for i, r := range batch {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, r.data...)
		}
		buf = append(buf, ']')
		// No message id: a retried publish only repeats records, and
		// writing them is idempotent by execution id and status.
		_, err := p.cfg.JetStream.Publish(context.WithoutCancel(ctx), recordBatchSubject, buf,
			jetstream.WithRetryAttempts(3))
		if err != nil {
			err = fmt.Errorf("queueing %d execution records: %w", len(batch), err)
		}
		for _, r := range batch {
			r.done <- err
		}
	}

	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.pending) == 0 {
		q.flushing = false
		return false
	}
	return true
}
