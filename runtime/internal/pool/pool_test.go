package pool

import (
	"context"
	"errors"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type inst struct {
	id     int
	closed atomic.Bool
}

type factory struct {
	next   atomic.Int64
	closed atomic.Int64
}

func (f *factory) make() *inst { return &inst{id: int(f.next.Add(1))} }
func (f *factory) destroy(i *inst) {
	if i.closed.Swap(true) {
		panic("instance closed twice")
	}
	f.closed.Add(1)
}

// get acquires and creates when the pool says so.
func get(t *testing.T, p *Pool[*inst], f *factory) *inst {
	t.Helper()
	v, fresh, err := p.Acquire(context.Background(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if fresh {
		v = f.make()
	}
	if v.closed.Load() {
		t.Fatal("acquired a closed instance")
	}
	return v
}

func TestReuseIdleInstance(t *testing.T) {
	n := NewNode(10, 0)
	defer n.Close()
	f := &factory{}
	p := New(n, 4, f.destroy)
	a := get(t, p, f)
	p.Release(a, true)
	b := get(t, p, f)
	if a != b {
		t.Fatalf("got instance %d, want the idle instance %d back", b.id, a.id)
	}
	p.Release(b, false) // trapped: dropped
	c := get(t, p, f)
	if c == b {
		t.Fatal("a discarded instance was handed out again")
	}
	if s := p.Stats(); s.Live != 1 || s.Idle != 0 {
		t.Fatalf("stats %+v, want 1 live, 0 idle", s)
	}
}

func TestDeploymentCapMakesCallersWait(t *testing.T) {
	n := NewNode(10, 0)
	defer n.Close()
	f := &factory{}
	p := New(n, 2, f.destroy)
	a, b := get(t, p, f), get(t, p, f)
	got := make(chan *inst)
	go func() { got <- get(t, p, f) }()
	waitFor(t, func() bool { return p.Stats().Waiting == 1 })
	p.Release(a, true)
	if c := <-got; c != a {
		t.Fatalf("waiter got %d, want the released instance %d", c.id, a.id)
	}
	p.Release(b, true)
	if f.next.Load() != 2 {
		t.Fatalf("created %d instances, cap is 2", f.next.Load())
	}
}

func TestNodeFullEvictsIdleOfOtherDeployment(t *testing.T) {
	n := NewNode(2, 0)
	defer n.Close()
	f := &factory{}
	a := New(n, 2, f.destroy)
	b := New(n, 2, f.destroy)
	a1, a2 := get(t, a, f), get(t, a, f)
	a.Release(a1, true)
	a.Release(a2, true)
	b1 := get(t, b, f) // node full: takes the slot of a's LRU idle instance
	if !a1.closed.Load() || a2.closed.Load() {
		t.Fatalf("evicted a1=%v a2=%v, want the least recently used (a1) only", a1.closed.Load(), a2.closed.Load())
	}
	if s := n.Stats(); s.Live != 2 || s.Idle != 1 {
		t.Fatalf("node stats %+v", s)
	}
	b.Release(b1, true)
}

func TestRoundRobinBetweenDeployments(t *testing.T) {
	n := NewNode(1, 0)
	defer n.Close()
	f := &factory{}
	busy := New(n, 1, f.destroy)
	quiet := New(n, 1, f.destroy)
	held := get(t, busy, f)

	var mu sync.Mutex
	var order []string
	var wg sync.WaitGroup
	start := func(p *Pool[*inst], name string) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v := get(t, p, f)
			mu.Lock()
			order = append(order, name)
			mu.Unlock()
			p.Release(v, true)
		}()
	}
	for i := 0; i < 5; i++ {
		start(busy, "busy")
		waitFor(t, func() bool { return busy.Stats().Waiting == i+1 })
	}
	start(quiet, "quiet")
	waitFor(t, func() bool { return quiet.Stats().Waiting == 1 })
	busy.Release(held, true)
	wg.Wait()
	// busy's queue was first in the ring, so one busy waiter goes first;
	// quiet must come right after, not behind the four other busy waiters.
	if len(order) != 6 || order[1] != "quiet" {
		t.Fatalf("service order %v, want quiet second", order)
	}
}

func TestAcquireRespectsContext(t *testing.T) {
	n := NewNode(1, 0)
	defer n.Close()
	f := &factory{}
	p := New(n, 1, f.destroy)
	a := get(t, p, f)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, _, err := p.Acquire(ctx, time.Time{}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Acquire = %v, want deadline exceeded", err)
	}
	if _, _, err := p.Acquire(context.Background(), time.Now().Add(20*time.Millisecond)); !errors.Is(err, ErrDeadline) {
		t.Fatalf("Acquire = %v, want ErrDeadline", err)
	}
	if s := p.Stats(); s.Waiting != 0 {
		t.Fatalf("waiter left behind: %+v", s)
	}
	p.Release(a, true)
	if b := get(t, p, f); b != a {
		t.Fatal("instance lost after a waiter gave up")
	}
}

func TestCloseFailsWaitersAndClosesIdle(t *testing.T) {
	n := NewNode(4, 0)
	defer n.Close()
	f := &factory{}
	p := New(n, 2, f.destroy)
	a, b := get(t, p, f), get(t, p, f)
	p.Release(a, true)
	_ = b
	errc := make(chan error)
	q := New(n, 1, f.destroy)
	q1 := get(t, q, f)
	go func() { _, _, err := q.Acquire(context.Background(), time.Time{}); errc <- err }()
	waitFor(t, func() bool { return q.Stats().Waiting == 1 })
	q.Close()
	if err := <-errc; !errors.Is(err, ErrClosed) {
		t.Fatalf("waiter got %v, want ErrClosed", err)
	}
	q.Release(q1, true) // busy at close: closed on release
	if !q1.closed.Load() {
		t.Fatal("instance released into a closed pool was kept")
	}
	p.Close()
	if !a.closed.Load() {
		t.Fatal("idle instance not closed by Close")
	}
	p.Release(b, true)
	if s := n.Stats(); s.Live != 0 {
		t.Fatalf("node still counts %d live", s.Live)
	}
}

func TestIdleInstancesExpire(t *testing.T) {
	n := NewNode(4, 30*time.Millisecond)
	defer n.Close()
	f := &factory{}
	p := New(n, 2, f.destroy)
	a := get(t, p, f)
	p.Release(a, true)
	waitFor(t, func() bool { return a.closed.Load() })
	if s := n.Stats(); s.Live != 0 || s.Idle != 0 {
		t.Fatalf("node stats after expiry %+v", s)
	}
}

func TestConcurrentUseKeepsCounts(t *testing.T) {
	n := NewNode(3, 0)
	defer n.Close()
	f := &factory{}
	pools := []*Pool[*inst]{New(n, 2, f.destroy), New(n, 2, f.destroy), New(n, 1, f.destroy)}
	var wg sync.WaitGroup
	var inUse [3]atomic.Int32
	for g := 0; g < 12; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 300; i++ {
				k := (g + i) % 3
				p := pools[k]
				v := get(t, p, f)
				if u := inUse[k].Add(1); int(u) > p.max {
					t.Errorf("pool %d has %d in use, cap %d", k, u, p.max)
				}
				inUse[k].Add(-1)
				reuse := i%7 != 0
				if !reuse {
					f.destroy(v) // a trapped instance is closed by its user
				}
				p.Release(v, reuse)
			}
		}()
	}
	wg.Wait()
	s := n.Stats()
	if s.Live > 3 || s.Waiting != 0 || s.Live != s.Idle {
		t.Fatalf("node stats after the storm %+v", s)
	}
	if created, closed := f.next.Load(), f.closed.Load(); created-closed != int64(s.Live) {
		t.Fatalf("created %d, closed %d, live %d", created, closed, s.Live)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 5s")
		}
		time.Sleep(time.Millisecond)
	}
}

// BenchmarkAcquireRelease measures taking an idle instance and giving it
// back; p50/p99 of the acquire alone are reported as metrics.
func BenchmarkAcquireRelease(b *testing.B) {
	n := NewNode(64, 0)
	defer n.Close()
	f := &factory{}
	p := New(n, 16, f.destroy)
	if _, fresh, _ := p.Acquire(context.Background(), time.Time{}); !fresh {
		b.Fatal("empty pool handed out an instance")
	}
	p.Release(f.make(), true)
	ctx := context.Background()
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		v, _, _ := p.Acquire(ctx, time.Time{})
		lat = append(lat, time.Since(t0))
		p.Release(v, true)
	}
	b.StopTimer()
	reportPercentiles(b, lat)
}

func reportPercentiles(b *testing.B, lat []time.Duration) {
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
}
