package quickjs

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"
)

// Promise states as QTS_PromiseState reports them.
const (
	promisePending   = 0
	promiseFulfilled = 1
	promiseRejected  = 2
)

// await runs the event loop until promise p settles: promise jobs, then
// timers one at a time, then outbound fetch completions, waiting on the
// host side (without burning fuel) when nothing is runnable.
func (in *instance) await(p uint32) (int, error) {
	inv := in.inv
	for {
		if err := in.drainJobs(); err != nil {
			return 0, err
		}
		if err := in.limitErr(); err != nil {
			return 0, err
		}
		if st := int(in.must(fnPromiseState, in.ctxPtr(), uint64(p))); st != promisePending {
			return st, nil
		}
		next, err := in.runTimer()
		if err != nil {
			return 0, err
		}
		if next == 0 {
			continue
		}
		if next < 0 && inv.inflight == 0 {
			return 0, ErrUnsettled
		}
		var timer <-chan time.Time
		if next > 0 {
			t := time.NewTimer(time.Duration(next * float64(time.Millisecond)))
			timer = t.C
			defer t.Stop()
		}
		select {
		case f := <-inv.done:
			inv.fetchDone(f)
			id := in.newNumber(float64(f.id))
			err := in.callInternal(jsFetchSettle, id)
			in.freeValue(id)
			if err != nil {
				return 0, err
			}
		case <-timer:
		case <-inv.ctx.Done():
			in.deadline.Store(true)
			in.interrupt.Store(true)
			return 0, in.limitErr()
		}
	}
}

// runTimer runs the earliest due timer, if any.
func (in *instance) runTimer() (float64, error) {
	r, err := in.callValue(in.base.fns[jsRunTimer])
	if err != nil {
		return 0, err
	}
	defer in.freeValue(r)
	return in.jsNumber(r), nil
}

// promiseError returns the rejection reason of a rejected promise.
func (in *instance) promiseError(p uint32) *JSError {
	r := in.must(fnPromiseResult, in.ctxPtr(), uint64(p))
	defer in.freeValue(r)
	return in.describe(r)
}

func (in *instance) promiseString(p uint32) string {
	r := in.must(fnPromiseResult, in.ctxPtr(), uint64(p))
	defer in.freeValue(r)
	return in.jsString(r)
}

func (in *instance) setFuel(f uint64) {
	if in.fuel != nil {
		in.fuel.Set(min(f, math.MaxInt64))
	}
}

func (in *instance) fuelLeft() int64 {
	if in.fuel == nil {
		return 0
	}
	return int64(in.fuel.Get())
}

// limitErr reports which limit, if any, has ended the current call. It is
// consulted before any script error, since an interrupted or starved
// script fails in arbitrary ways.
func (in *instance) limitErr() error {
	switch {
	case in.fuel != nil && in.fuelLeft() < 0:
		return ErrOutOfFuel
	case in.memRefused:
		return ErrMemoryLimit
	case in.outputErr != nil:
		return in.outputErr
	case in.deadline.Load():
		if errors.Is(in.inv.ctx.Err(), context.Canceled) {
			return context.Canceled
		}
		return ErrDeadline
	}
	return nil
}

// classify maps a failure to the error callers branch on.
func (in *instance) classify(err error) error {
	if err == nil {
		return nil
	}
	if l := in.limitErr(); l != nil {
		return l
	}
	var t *trapError
	if errors.As(err, &t) {
		in.broken = true
		return fmt.Errorf("%w: %w", ErrTrap, t.err)
	}
	return err
}

// watch arms the deadline: when ctx ends, QuickJS's interrupt handler
// stops the script at its next check. stop disarms it and, when ctx ended
// meanwhile, waits until the flags are set, so they cannot land on the
// instance after it has been reset and handed to the next request.
func (in *instance) watch(ctx context.Context) (stop func()) {
	fired := make(chan struct{})
	cancel := context.AfterFunc(ctx, func() {
		in.deadline.Store(true)
		in.interrupt.Store(true)
		close(fired)
	})
	var once sync.Once
	return func() {
		once.Do(func() {
			if !cancel() {
				<-fired
			}
		})
	}
}

// fuelUsed is the fuel spent from budget when left remains (negative after
// running out).
func fuelUsed(budget uint64, left int64) uint64 {
	budget = min(budget, math.MaxInt64)
	if left < 0 {
		return budget
	}
	if uint64(left) > budget {
		return 0
	}
	return budget - uint64(left)
}
