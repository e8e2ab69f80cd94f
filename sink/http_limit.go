package sink

import (
	"context"
	"sync"
	"time"
)

// adaptiveLimit is a semaphore whose size follows AIMD: halved on a 429
// (at most once per window, so a burst of 429s from requests already in
// flight counts once), raised by one after as many successes as the limit.
// Waiters are served first come, first served, so that under a throttle no
// batch starves while another takes every turn.
type adaptiveLimit struct {
	mu        sync.Mutex
	limit     int
	max       int
	min       int // the lowest limit reached
	inUse     int
	successes int
	lastCut   time.Time
	waiters   []chan struct{} // closed when granted a permit
}

func newAdaptiveLimit(n int) *adaptiveLimit {
	return &adaptiveLimit{limit: n, max: n, min: n}
}

func (l *adaptiveLimit) acquire(ctx context.Context) error {
	l.mu.Lock()
	if l.inUse < l.limit && len(l.waiters) == 0 {
		l.inUse++
		l.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	l.waiters = append(l.waiters, ch)
	l.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		l.mu.Lock()
		defer l.mu.Unlock()
		for i, w := range l.waiters {
			if w == ch {
				l.waiters = append(l.waiters[:i], l.waiters[i+1:]...)
				return ctx.Err()
			}
		}
		// Granted meanwhile: hand the permit on.
		l.inUse--
		l.grantLocked()
		return ctx.Err()
	}
}

func (l *adaptiveLimit) release() {
	l.mu.Lock()
	l.inUse--
	l.grantLocked()
	l.mu.Unlock()
}

func (l *adaptiveLimit) grantLocked() {
	for l.inUse < l.limit && len(l.waiters) > 0 {
		w := l.waiters[0]
		l.waiters[0] = nil
		l.waiters = l.waiters[1:]
		l.inUse++
		close(w)
	}
}

// success is an acknowledged request: additive increase.
func (l *adaptiveLimit) success() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.limit >= l.max {
		return
	}
	l.successes++
	if l.successes >= l.limit {
		l.successes = 0
		l.limit++
		l.grantLocked()
	}
}

// throttled is a 429: multiplicative decrease, once per window.
func (l *adaptiveLimit) throttled(now time.Time, window time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.successes = 0
	if !l.lastCut.IsZero() && now.Sub(l.lastCut) < window {
		return
	}
	l.lastCut = now
	l.limit /= 2
	if l.limit < 1 {
		l.limit = 1
	}
	if l.limit < l.min {
		l.min = l.limit
	}
}

func (l *adaptiveLimit) snapshot() (limit, min int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.limit, l.min
}

// pauseGate holds every request until a time the API named (Retry-After
// or X-RateLimit-Reset), so one 429 pauses all senders, not just one.
type pauseGate struct {
	mu    sync.Mutex
	until time.Time
}

func (g *pauseGate) pauseUntil(t time.Time) {
	g.mu.Lock()
	if t.After(g.until) {
		g.until = t
	}
	g.mu.Unlock()
}

func (g *pauseGate) remaining(now time.Time) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.until.Sub(now)
}

// ackTracker reports chunks whose messages are all delivered or refused,
// in chunk order.
type ackTracker struct {
	mu    sync.Mutex
	cbMu  sync.Mutex // held while calling onAck, taken before mu is let go
	queue []*chunkAck
	onAck func(seq int64)
}

type chunkAck struct {
	seq     int64
	pending int // messages handed to senders and not yet resolved
	sealed  bool
}

// open starts tracking a chunk (Write, in order).
func (t *ackTracker) open(seq int64) *chunkAck {
	c := &chunkAck{seq: seq}
	t.mu.Lock()
	t.queue = append(t.queue, c)
	t.mu.Unlock()
	return c
}

// seal says that n messages of c were handed to senders. Some may have
// been resolved already (pending is negative until then): a chunk is done
// only once sealed.
func (t *ackTracker) seal(c *chunkAck, n int) {
	t.mu.Lock()
	c.pending += n
	c.sealed = true
	t.advanceLocked()
}

// resolve marks msgs as delivered or refused.
func (t *ackTracker) resolve(msgs []batchMsg) {
	t.mu.Lock()
	for i := range msgs {
		msgs[i].ack.pending--
	}
	t.advanceLocked()
}

// advanceLocked pops the finished chunks at the front and reports them;
// it releases mu.
func (t *ackTracker) advanceLocked() {
	n := 0
	for n < len(t.queue) && t.queue[n].sealed && t.queue[n].pending == 0 {
		n++
	}
	if n == 0 {
		t.mu.Unlock()
		return
	}
	done := make([]int64, n)
	for i := 0; i < n; i++ {
		done[i] = t.queue[i].seq
		t.queue[i] = nil
	}
	t.queue = t.queue[n:]
	if t.onAck == nil {
		t.mu.Unlock()
		return
	}
	// Taking cbMu before letting mu go keeps the calls in chunk order
	// across goroutines.
	t.cbMu.Lock()
	t.mu.Unlock()
	defer t.cbMu.Unlock()
	for _, seq := range done {
		t.onAck(seq)
	}
}

// unresolved counts the chunks handed over in full whose messages are not
// all resolved: after a clean Close, a bug if not zero.
func (t *ackTracker) unresolved() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, c := range t.queue {
		if c.sealed && c.pending != 0 {
			n++
		}
	}
	return n
}
