package platform

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/kilnhq/kiln/store/db"
	"github.com/nats-io/nats.go"
)

// Build logs travel two ways: every write is published on the deployment's
// log subject with its byte offset in the whole log, and the log so far is
// saved with the deployment every buildLogSave while the build runs (the
// whole of it, up to buildLogKeep, when it finishes). A follower that joins
// late reads the saved part, then skips what it already has in the live
// messages by their offsets, so it sees every byte once.
const (
	// logOffsetHeader is the NATS header holding a chunk's byte offset.
	logOffsetHeader = "Kiln-Log-Offset"
	// logDoneHeader marks the message that ends a build's log, after its
	// result is saved; its value is the final status.
	logDoneHeader = "Kiln-Log-Done"
	buildLogSave  = time.Second
	// buildLogKeep is how much of a build log is kept; the rest is only
	// streamed.
	buildLogKeep = 1 << 20
	// followQueueBytes bounds the live log a follower holds while it
	// sends; past it, chunks are dropped and filled from the saved log.
	followQueueBytes = 16 << 20
)

// buildLog collects a build's log, publishes each write live and saves the
// log so far periodically.
type buildLog struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	offset  int64 // bytes written, kept or not
	subject string
	nc      *nats.Conn

	stopOnce sync.Once
	done     chan struct{}
	saved    sync.WaitGroup
}

func (p *Platform) newBuildLog(projectID, deploymentID string) *buildLog {
	l := &buildLog{subject: BuildLogSubject(projectID, deploymentID), nc: p.cfg.NATS, done: make(chan struct{})}
	l.saved.Add(1)
	go func() {
		defer l.saved.Done()
		t := time.NewTicker(buildLogSave)
		defer t.Stop()
		savedLen := 0
		for {
			select {
			case <-l.done:
				return
			case <-t.C:
				s := l.String()
				if len(s) == savedLen {
					continue
				}
				if err := p.db.SetBuildLogs(context.Background(), projectID, deploymentID, s); err != nil {
					p.logger.Warn("saving build log", "deployment", deploymentID, "err", err)
					continue
				}
				savedLen = len(s)
			}
		}
	}()
	return l
}

func (l *buildLog) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if room := buildLogKeep - l.buf.Len(); room > 0 {
		l.buf.Write(b[:min(room, len(b))])
	}
	if l.nc != nil {
		m := nats.NewMsg(l.subject)
		m.Data = append([]byte(nil), b...)
		m.Header.Set(logOffsetHeader, strconv.FormatInt(l.offset, 10))
		_ = l.nc.PublishMsg(m)
	}
	l.offset += int64(len(b))
	return len(b), nil
}

func (l *buildLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// stop ends the periodic saves; the caller saves the final log with the
// build's result. Writes after stop are still published.
func (l *buildLog) stop() {
	l.stopOnce.Do(func() { close(l.done) })
	l.saved.Wait()
}

// publishBuildDone tells followers the build's result is saved. It goes on
// the log subject itself so it arrives after every chunk.
func (p *Platform) publishBuildDone(subject, status string) {
	m := nats.NewMsg(subject)
	m.Header.Set(logDoneHeader, status)
	_ = p.cfg.NATS.PublishMsg(m)
}

// FollowBuildLog calls onLog with a deployment's build log, from its first
// byte, as it is written, each byte once, and returns the deployment once
// its build has finished (ready, failed or canceled) or ctx ends. Parts of
// a log longer than the kept 1 MiB that were written before the follower
// joined are not sent again.
func (p *Platform) FollowBuildLog(ctx context.Context, projectID, functionID, id string, onLog func(string) error) (db.Deployment, error) {
	if p.cfg.NATS == nil {
		return db.Deployment{}, errors.New("following build logs needs NATS")
	}
	// Live chunks queue here in full (up to followQueueBytes) however
	// slowly onLog drains them; a bounded channel would drop bursts.
	var (
		qmu    sync.Mutex
		queue  []*nats.Msg
		queued int
		wake   = make(chan struct{}, 1)
	)
	enqueue := func(m *nats.Msg) {
		qmu.Lock()
		if queued+len(m.Data) <= followQueueBytes {
			queue = append(queue, m)
			queued += len(m.Data)
		}
		qmu.Unlock()
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	subject := BuildLogSubject(projectID, id)
	sub, err := p.cfg.NATS.Subscribe(subject, enqueue)
	if err != nil {
		return db.Deployment{}, err
	}
	defer sub.Unsubscribe()
	_ = sub.SetPendingLimits(-1, -1) // the queue above is the bound

	var sent int64
	// send sends the part of a live chunk not sent yet. A chunk ahead of
	// what was sent (the follower joined after the last save) waits for
	// the next save to fill the gap, unless the gap lies past what is kept.
	send := func(m *nats.Msg) error {
		off, err := strconv.ParseInt(m.Header.Get(logOffsetHeader), 10, 64)
		if err != nil {
			return nil
		}
		end := off + int64(len(m.Data))
		switch {
		case end <= sent:
			return nil
		case off > sent && sent < buildLogKeep:
			return nil
		case off > sent:
			if err := onLog(fmt.Sprintf("\n[… %d bytes of the log not kept …]\n", off-sent)); err != nil {
				return err
			}
			sent = off
		}
		if err := onLog(string(m.Data[sent-off:])); err != nil {
			return err
		}
		sent = end
		return nil
	}
	// catchUp sends what the saved log has beyond what was sent.
	catchUp := func() (db.Deployment, error) {
		d, err := p.GetDeployment(ctx, projectID, functionID, id)
		if err != nil {
			return d, err
		}
		if int64(len(d.BuildLogs)) > sent {
			if err := onLog(d.BuildLogs[sent:]); err != nil {
				return d, err
			}
			sent = int64(len(d.BuildLogs))
		}
		return d, nil
	}
	d, err := catchUp()
	if err != nil || buildFinished(d.Status) {
		return d, err
	}
	poll := time.NewTicker(buildLogSave) // fills gaps; catches a finish notice missed while reconnecting
	defer poll.Stop()
	for {
		select {
		case <-ctx.Done():
			return d, ctx.Err()
		case <-poll.C:
			if d, err = catchUp(); err != nil || buildFinished(d.Status) {
				return d, err
			}
		case <-wake:
			qmu.Lock()
			batch := queue
			queue, queued = nil, 0
			qmu.Unlock()
			for _, m := range batch {
				if m.Header.Get(logDoneHeader) != "" {
					// The result is saved before the notice: what is saved
					// is the whole log.
					return catchUp()
				}
				if err := send(m); err != nil {
					return d, err
				}
			}
		}
	}
}

func buildFinished(status string) bool {
	switch status {
	case db.DeploymentReady, db.DeploymentFailed, db.DeploymentCanceled:
		return true
	}
	return false
}
