// Package ordered runs work items in parallel and hands their results to
// one consumer in input order, with a fixed number of items in flight.
//
// It is the shape of gofmt's sequencer and restic's parallel loops: a
// producer emits items one by one; N workers turn items into results in
// any order; a single consumer receives the results in the order the items
// were emitted. An item holds a token from the moment it is emitted until
// the consumer is done with its result, and there are InFlight tokens: a
// slow consumer (or one slow item) stops the producer instead of letting
// results pile up, so memory stays bounded whatever the input size.
//
// The first error from the producer, a worker or the consumer cancels the
// others (golang.org/x/sync/errgroup) and is the one Run returns; a
// cancelled context stops the run the same way. No goroutine outlives Run.
package ordered

import (
	"context"
	"sync"

	"golang.org/x/sync/errgroup"
)

// Options size a run.
type Options struct {
	// Workers is the number of goroutines calling work (at least 1).
	Workers int
	// InFlight is the number of items emitted and not yet consumed
	// (default 2×Workers).
	InFlight int
}

// Emit hands an item to the workers. It blocks while InFlight items are in
// flight, and returns an error (the context's) once the run is stopping:
// the producer must then return.
type Emit[I any] func(item I) error

// Run calls produce, which emits items in order; work turns each item into
// a result on one of opt.Workers goroutines (worker is its index, from 0,
// for per-worker state: a worker handles one item at a time); consume is
// called with the results one at a time, in the order the items were
// emitted. Run returns once all three are done, with the first error any
// of them returned.
func Run[I, O any](ctx context.Context, opt Options,
	produce func(ctx context.Context, emit Emit[I]) error,
	work func(ctx context.Context, worker int, item I) (O, error),
	consume func(ctx context.Context, result O) error) error {
	workers := max(opt.Workers, 1)
	inFlight := opt.InFlight
	if inFlight <= 0 {
		inFlight = 2 * workers
	}
	g, ctx := errgroup.WithContext(ctx)
	s := &sequencer[I, O]{
		tokens:  make(chan struct{}, inFlight),
		items:   make(chan numbered[I], workers),
		results: make(chan numbered[O], workers),
	}
	g.Go(func() error {
		defer close(s.items)
		return produce(ctx, func(item I) error { return s.emit(ctx, item) })
	})
	var wg sync.WaitGroup
	wg.Add(workers)
	for w := range workers {
		g.Go(func() error {
			defer wg.Done()
			return s.work(ctx, w, work)
		})
	}
	g.Go(func() error {
		wg.Wait()
		close(s.results)
		return nil
	})
	g.Go(func() error { return s.consume(ctx, inFlight, consume) })
	return g.Wait()
}

// numbered is an item or a result with its place in the input order.
type numbered[T any] struct {
	seq int64
	v   T
}

type sequencer[I, O any] struct {
	tokens  chan struct{} // one per item in flight
	items   chan numbered[I]
	results chan numbered[O]
	next    int64 // the number the next emitted item gets
}

// emit takes a token and hands the item to the workers.
func (s *sequencer[I, O]) emit(ctx context.Context, item I) error {
	select {
	case s.tokens <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case s.items <- numbered[I]{s.next, item}:
		s.next++
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// work runs items until there are no more.
func (s *sequencer[I, O]) work(ctx context.Context, worker int, fn func(context.Context, int, I) (O, error)) error {
	for it := range s.items {
		out, err := fn(ctx, worker, it.v)
		if err != nil {
			return err
		}
		select {
		case s.results <- numbered[O]{it.seq, out}:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// consume puts results back in order and hands them on, releasing each
// one's token once consumed. At most inFlight results are waiting, so a
// ring of that size holds them (result n sits at n mod inFlight).
func (s *sequencer[I, O]) consume(ctx context.Context, inFlight int, fn func(context.Context, O) error) error {
	ring := make([]O, inFlight)
	have := make([]bool, inFlight)
	var next int64
	for r := range s.results {
		i := int(r.seq % int64(inFlight))
		ring[i], have[i] = r.v, true
		for i := int(next % int64(inFlight)); have[i]; i = int(next % int64(inFlight)) {
			v := ring[i]
			var zero O
			ring[i], have[i] = zero, false
			next++
			if err := ctx.Err(); err != nil {
				return err // the run is stopping: hand nothing more on
			}
			if err := fn(ctx, v); err != nil {
				return err
			}
			<-s.tokens
		}
	}
	return ctx.Err()
}
