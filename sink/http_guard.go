package sink

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// ErrAllRefused: the API refused every call it was sent and accepted none
// (HTTPOptions.AllRefusedLimit). Bad rows are refused one by one among
// accepted ones; an API that accepts nothing points at the setup: the API
// key of another workspace, or a mapping that makes every call invalid.
var ErrAllRefused = errors.New("the API refused every call")

// refusalGuard stops the sink when the API refuses every call: once it has
// refused limit messages and accepted none, or, after Close, every message
// of the run when there were fewer. It lives in the sink, not in its
// caller, so that it stops the senders whatever the caller is doing (a
// small input is all written before the first refusal comes back).
type refusalGuard struct {
	limit   int64        // 0: off
	handed  atomic.Int64 // messages put into batches
	refused atomic.Int64 // messages the API refused (a 400 for that message alone)
	closed  atomic.Bool  // handed is final
	once    sync.Once
}

// probing says whether a refused batch should be resolved one message at a
// time: while the API has accepted nothing, a batch it refuses is likely
// refused whole, and sending its messages alone costs one request each where
// bisection costs two; the first acknowledgement ends it.
func (s *HTTPSink) probing() bool {
	return s.guard.limit > 0 && s.st.messages.Load() == 0
}

// apiRefused counts a message the API refused and stops the sink when the
// guard's condition is met.
func (s *HTTPSink) apiRefused() {
	s.guard.refused.Add(1)
	s.checkAllRefused()
}

func (s *HTTPSink) checkAllRefused() {
	g := &s.guard
	if g.limit == 0 || s.st.messages.Load() > 0 {
		return
	}
	n := g.refused.Load()
	var err error
	switch {
	case n >= g.limit:
		err = fmt.Errorf("%w it was sent: the first %d, and accepted none; stopping (the API's reasons are in the rejects file: "+
			"an API key of another workspace, or a mapping that makes every call invalid?)", ErrAllRefused, n)
	case g.closed.Load() && n > 0 && n >= g.handed.Load():
		err = fmt.Errorf("%w of the run (%d) and accepted none (the API's reasons are in the rejects file: "+
			"an API key of another workspace, or a mapping that makes every call invalid?)", ErrAllRefused, n)
	default:
		return
	}
	g.once.Do(func() { s.fail(err) })
}
