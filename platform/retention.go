package platform

import (
	"context"
	"sync"
	"time"
)

// DefaultExecutionRetention is how long execution records are kept when
// the node is not told otherwise (Appwrite keeps 14 days by default).
const DefaultExecutionRetention = 14 * 24 * time.Hour

// StartRetention deletes execution records older than keep, now and then
// every interval, until the returned stop function is called. keep <= 0
// keeps records forever (nothing is started).
func (p *Platform) StartRetention(keep, interval time.Duration) (stop func()) {
	if keep <= 0 {
		return func() {}
	}
	if interval <= 0 {
		interval = time.Hour
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			n, err := p.db.DeleteExecutionsBefore(ctx, time.Now().Add(-keep))
			if err != nil && ctx.Err() == nil {
				p.logger.Error("deleting old executions", "err", err)
			} else if n > 0 {
				p.logger.Info("deleted old executions", "count", n, "older_than", keep)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() { cancel(); wg.Wait() }
}
