package pool

import (
	"context"
	"time"
)

// Pool holds one deployment's instances of type T.
type Pool[T any] struct {
	n       *Node
	max     int
	live    int // instances alive or being created, holding node slots
	idle    []*entry[T]
	waiters []*waiter[T]
	closed  bool
	destroy func(T)
}

type entry[T any] struct {
	link
	p *Pool[T]
	v T
}

func (e *entry[T]) evict() { e.p.removeIdle(e) }
func (e *entry[T]) close() { e.p.destroy(e.v) }

type waiter[T any] struct {
	ch chan grant[T]
}

type grant[T any] struct {
	v     T
	fresh bool
}

// New returns a pool of at most max live instances on node n; destroy
// closes an instance the pool drops.
func New[T any](n *Node, max int, destroy func(T)) *Pool[T] {
	return &Pool[T]{n: n, max: max, destroy: destroy}
}

// Acquire returns an idle instance (fresh false), or reserves a slot for
// the caller to create one (fresh true, v zero), waiting while the
// deployment or the node is full. Either way the caller must call Release
// once. It fails with ErrDeadline when deadline (zero: none) passes
// first, with ctx's error when ctx ends first, or with ErrClosed. The
// deadline costs nothing unless the caller has to wait.
func (p *Pool[T]) Acquire(ctx context.Context, deadline time.Time) (v T, fresh bool, err error) {
	n := p.n
	n.mu.Lock()
	if p.closed {
		n.mu.Unlock()
		return v, false, ErrClosed
	}
	if k := len(p.idle); k > 0 {
		e := p.idle[k-1]
		p.idle = p.idle[:k-1]
		n.unlink(&e.link)
		n.mu.Unlock()
		return e.v, false, nil
	}
	if p.live < p.max {
		if n.used < n.max {
			n.used++
			p.live++
			n.mu.Unlock()
			return v, true, nil
		}
		if l := n.lru.next; l != &n.lru {
			// Take the slot of the node's least recently used idle instance.
			n.unlink(l)
			l.item.evict()
			p.live++
			n.mu.Unlock()
			l.item.close()
			return v, true, nil
		}
	}
	w := &waiter[T]{ch: make(chan grant[T], 1)}
	if len(p.waiters) == 0 {
		n.join(p)
	}
	p.waiters = append(p.waiters, w)
	n.mu.Unlock()

	var expired <-chan time.Time
	if !deadline.IsZero() {
		t := time.NewTimer(time.Until(deadline))
		defer t.Stop()
		expired = t.C
	}
	err = ErrDeadline
	select {
	case g, ok := <-w.ch:
		if !ok {
			return v, false, ErrClosed
		}
		return g.v, g.fresh, nil
	case <-ctx.Done():
		err = ctx.Err()
	case <-expired:
	}
	n.mu.Lock()
	for i, x := range p.waiters {
		if x == w {
			p.waiters = append(p.waiters[:i], p.waiters[i+1:]...)
			if len(p.waiters) == 0 {
				n.leave(p)
			}
			n.mu.Unlock()
			return v, false, err
		}
	}
	n.mu.Unlock()
	// Granted (or closed) while giving up: pass the grant on.
	if g, ok := <-w.ch; ok {
		p.Release(g.v, !g.fresh)
	}
	return v, false, err
}

// Release returns what Acquire gave. With reuse, v is a healthy instance
// the pool takes back; without, the caller has closed v (or never created
// it) and only its slot comes back.
func (p *Pool[T]) Release(v T, reuse bool) {
	n := p.n
	n.mu.Lock()
	if !reuse || p.closed {
		p.live--
		n.freeSlot()
		n.mu.Unlock()
		if reuse {
			p.destroy(v)
		}
		return
	}
	q := n.next(p)
	switch {
	case q == nil:
		e := &entry[T]{p: p, v: v}
		e.item = e
		p.idle = append(p.idle, e)
		n.pushIdle(&e.link)
		n.mu.Unlock()
	case q == owner(p):
		p.popWaiter() <- grant[T]{v: v}
		n.mu.Unlock()
	default:
		// Another deployment's turn: its slot is this instance's.
		p.live--
		q.grantSlot()
		n.mu.Unlock()
		p.destroy(v)
	}
}

// removeIdle drops e from the idle stack after the node evicted it.
func (p *Pool[T]) removeIdle(e *entry[T]) {
	for i, x := range p.idle {
		if x == e {
			p.idle = append(p.idle[:i], p.idle[i+1:]...)
			break
		}
	}
	p.live--
}

func (p *Pool[T]) popWaiter() chan grant[T] {
	w := p.waiters[0]
	p.waiters[0] = nil
	p.waiters = p.waiters[1:]
	if len(p.waiters) == 0 {
		p.n.leave(p)
	}
	return w.ch
}

func (p *Pool[T]) hasWaiters() bool { return len(p.waiters) > 0 }

func (p *Pool[T]) waiting() int { return len(p.waiters) }

func (p *Pool[T]) hungry() bool { return len(p.waiters) > 0 && p.live < p.max }

func (p *Pool[T]) grantSlot() {
	p.live++
	p.popWaiter() <- grant[T]{fresh: true}
}

// Stats counts the pool's instances and waiters.
func (p *Pool[T]) Stats() Stats {
	p.n.mu.Lock()
	defer p.n.mu.Unlock()
	return Stats{Live: p.live, Idle: len(p.idle), Waiting: len(p.waiters)}
}

// Close refuses new acquisitions, fails the waiters with ErrClosed and
// closes the idle instances; busy ones are closed as they are released.
func (p *Pool[T]) Close() {
	n := p.n
	n.mu.Lock()
	if p.closed {
		n.mu.Unlock()
		return
	}
	p.closed = true
	idle := p.idle
	p.idle = nil
	for _, e := range idle {
		n.unlink(&e.link)
		p.live--
		n.freeSlot()
	}
	waiters := p.waiters
	p.waiters = nil
	if len(waiters) > 0 {
		n.leave(p)
	}
	n.mu.Unlock()
	for _, w := range waiters {
		close(w.ch)
	}
	for _, e := range idle {
		p.destroy(e.v)
	}
}
