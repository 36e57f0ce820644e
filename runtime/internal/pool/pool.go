// Package pool shares a node's instance slots among deployments. A Node
// caps the live instances (idle or busy) on the node; each Pool caps one
// deployment's and keeps its idle instances for reuse.
//
// When a deployment needs an instance and none is idle, it takes a free
// slot, or the slot of the node's least recently used idle instance of
// another deployment; failing both it waits in its own FIFO queue. Slots
// and instances that come free are handed to waiting deployments in
// round-robin order, so a deployment with a thousand queued requests gets
// one turn like a deployment with one: no deployment starves another.
// Invariant: while any deployment waits for a slot, no instance is idle.
//
// Everything runs under one node mutex held for a few pointer moves;
// closing instances happens outside it.
package pool

import (
	"errors"
	"sync"
	"time"
)

// Errors of Acquire.
var (
	// ErrClosed: the pool is closed.
	ErrClosed = errors.New("pool closed")
	// ErrDeadline: the deadline passed while waiting.
	ErrDeadline = errors.New("deadline passed waiting for an instance")
)

// Node is the node-wide slot budget.
type Node struct {
	mu   sync.Mutex
	max  int
	used int // slots held: live instances plus slots granted for creation

	// idle instances of all pools, least recently used first.
	lru link
	// pools with waiters, served round-robin from rr.
	ring []owner
	rr   int

	idleTimeout time.Duration
	stop        chan struct{}
	done        chan struct{}
	stopOnce    sync.Once
}

// owner is a Pool seen by the Node, whatever its instance type.
type owner interface {
	// grantSlot gives a new slot to the first waiter; called with the
	// node mutex held when hungry() is true.
	grantSlot()
	hasWaiters() bool
	waiting() int
	// hungry reports whether a new slot would serve a waiter.
	hungry() bool
}

// link is an entry of the node's idle list.
type link struct {
	prev, next *link
	since      time.Time
	item       idleItem
}

// idleItem is an idle instance of some pool.
type idleItem interface {
	// evict removes the item from its pool; called with the node mutex
	// held.
	evict()
	// close closes the instance; called without the mutex.
	close()
}

// NewNode returns a node allowing max live instances; idle instances are
// closed after idleTimeout (zero: never).
func NewNode(max int, idleTimeout time.Duration) *Node {
	n := &Node{max: max, idleTimeout: idleTimeout, stop: make(chan struct{}), done: make(chan struct{})}
	n.lru.next, n.lru.prev = &n.lru, &n.lru
	if idleTimeout > 0 {
		go n.reap()
	} else {
		close(n.done)
	}
	return n
}

// Close stops the idle reaper. Pools must be closed by their owners.
func (n *Node) Close() {
	n.stopOnce.Do(func() { close(n.stop) })
	<-n.done
}

// Stats are the node's counts.
type Stats struct {
	Live, Idle, Waiting int
}

func (n *Node) unlink(l *link) {
	l.prev.next, l.next.prev = l.next, l.prev
	l.prev, l.next = nil, nil
}

func (n *Node) pushIdle(l *link) {
	l.since = time.Now()
	l.prev, l.next = n.lru.prev, &n.lru
	n.lru.prev.next = l
	n.lru.prev = l
}

// next returns the next pool of the ring, from the round-robin cursor,
// that can use what self frees: self's instance if self has waiters, or a
// slot for a hungry pool; self nil means only a slot is free. It advances
// the cursor past the pool returned.
func (n *Node) next(self owner) owner {
	for i := range n.ring {
		j := (n.rr + i) % len(n.ring)
		if o := n.ring[j]; (o == self && o.hasWaiters()) || o.hungry() {
			n.rr = j + 1
			return o
		}
	}
	return nil
}

func (n *Node) join(o owner) { n.ring = append(n.ring, o) }

func (n *Node) leave(o owner) {
	for i, x := range n.ring {
		if x == o {
			n.ring = append(n.ring[:i], n.ring[i+1:]...)
			if n.rr > i {
				n.rr--
			}
			return
		}
	}
}

// freeSlot passes a freed slot to a hungry pool, or returns it.
func (n *Node) freeSlot() {
	if o := n.next(nil); o != nil {
		o.grantSlot()
		return
	}
	n.used--
}

func (n *Node) reap() {
	defer close(n.done)
	every := n.idleTimeout / 4
	if every < 10*time.Millisecond {
		every = 10 * time.Millisecond
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-n.stop:
			return
		case now := <-t.C:
			var dead []idleItem
			n.mu.Lock()
			for l := n.lru.next; l != &n.lru && now.Sub(l.since) >= n.idleTimeout; l = n.lru.next {
				n.unlink(l)
				l.item.evict()
				n.freeSlot()
				dead = append(dead, l.item)
			}
			n.mu.Unlock()
			for _, d := range dead {
				d.close()
			}
		}
	}
}

// Stats counts the node's live and idle instances and its waiters.
func (n *Node) Stats() Stats {
	n.mu.Lock()
	defer n.mu.Unlock()
	s := Stats{Live: n.used}
	for l := n.lru.next; l != &n.lru; l = l.next {
		s.Idle++
	}
	for _, o := range n.ring {
		s.Waiting += o.waiting()
	}
	return s
}
