package ordered

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// Every test runs in a synctest bubble: time.Sleep is instant, and the
// bubble fails the test if any goroutine Run started is still blocked when
// the test function returns (a leak).

// count emits 0, 1, … n-1 (forever with n < 0), stopping at emit's error.
func count(n int) func(context.Context, Emit[int]) error {
	return func(_ context.Context, emit Emit[int]) error {
		for i := 0; n < 0 || i < n; i++ {
			if err := emit(i); err != nil {
				return err
			}
		}
		return nil
	}
}

func TestOrderKeptUnderRandomDelays(t *testing.T) {
	for _, workers := range []int{1, 3, 8} {
		for _, inFlight := range []int{1, 2, 16} {
			t.Run(fmt.Sprintf("workers=%d,inflight=%d", workers, inFlight), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					var got []string
					busy := make([]atomic.Int32, workers)
					err := Run(t.Context(), Options{Workers: workers, InFlight: inFlight}, count(500),
						func(_ context.Context, w int, i int) (string, error) {
							if busy[w].Add(1) != 1 {
								t.Errorf("worker %d runs two items at once", w)
							}
							defer busy[w].Add(-1)
							time.Sleep(time.Duration(rand.IntN(1000)) * time.Microsecond)
							return fmt.Sprint("item ", i), nil
						},
						func(_ context.Context, s string) error {
							got = append(got, s)
							return nil
						})
					if err != nil {
						t.Fatal(err)
					}
					if len(got) != 500 {
						t.Fatalf("%d results, want 500", len(got))
					}
					for i, s := range got {
						if s != fmt.Sprint("item ", i) {
							t.Fatalf("result %d is %q", i, s)
						}
					}
				})
			})
		}
	}
}

// At most InFlight items are between emit and the end of their
// consumption; a consumer that stops stops the producer at exactly that
// many.
func TestInFlightIsBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const inFlight = 5
		var emitted, consumed, most atomic.Int64
		release := make(chan struct{})
		done := make(chan error)
		go func() {
			done <- Run(t.Context(), Options{Workers: 3, InFlight: inFlight},
				func(_ context.Context, emit Emit[int]) error {
					for i := range 1000 {
						if err := emit(i); err != nil {
							return err
						}
						n := emitted.Add(1) - consumed.Load()
						if n > most.Load() {
							most.Store(n)
						}
					}
					return nil
				},
				func(_ context.Context, _ int, i int) (int, error) {
					time.Sleep(time.Duration(rand.IntN(100)) * time.Microsecond)
					return i, nil
				},
				func(_ context.Context, i int) error {
					if i == 0 {
						<-release
					}
					consumed.Add(1)
					return nil
				})
		}()
		time.Sleep(time.Second) // the workers are done sleeping
		synctest.Wait()         // everyone is blocked: the consumer on release, the producer on a token
		if n := emitted.Load(); n != inFlight {
			t.Errorf("%d items emitted while the consumer is stuck on the first, want %d", n, inFlight)
		}
		close(release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if most.Load() > inFlight {
			t.Errorf("%d items in flight at once, want at most %d", most.Load(), inFlight)
		}
		if consumed.Load() != 1000 {
			t.Errorf("%d consumed", consumed.Load())
		}
	})
}

func TestAnErrorStopsEverything(t *testing.T) {
	boom := errors.New("boom")
	for _, where := range []string{"producer", "worker", "consumer"} {
		t.Run(where, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var consumed []int
				err := Run(t.Context(), Options{Workers: 4, InFlight: 8},
					func(ctx context.Context, emit Emit[int]) error {
						for i := 0; ; i++ { // forever, unless stopped
							if where == "producer" && i == 50 {
								return boom
							}
							if err := emit(i); err != nil {
								return err
							}
						}
					},
					func(_ context.Context, _ int, i int) (int, error) {
						time.Sleep(time.Duration(rand.IntN(100)) * time.Microsecond)
						if where == "worker" && i == 50 {
							return 0, boom
						}
						return i, nil
					},
					func(_ context.Context, i int) error {
						if where == "consumer" && i == 50 {
							return boom
						}
						consumed = append(consumed, i)
						return nil
					})
				if !errors.Is(err, boom) {
					t.Fatalf("err = %v, want boom", err)
				}
				for i, v := range consumed {
					if v != i || v >= 50 {
						t.Fatalf("consumed %v: past the failure or out of order", consumed)
					}
				}
			})
		})
	}
}

func TestCancellation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		var consumed atomic.Int64
		done := make(chan error)
		go func() {
			done <- Run(ctx, Options{Workers: 2}, count(-1),
				func(ctx context.Context, _ int, i int) (int, error) {
					time.Sleep(time.Millisecond)
					return i, nil
				},
				func(context.Context, int) error {
					consumed.Add(1)
					return nil
				})
		}()
		time.Sleep(100 * time.Millisecond)
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if consumed.Load() == 0 {
			t.Error("nothing was consumed before the cancellation")
		}
	})
}

// A consumer blocked on its context is released by another part's error.
func TestErrorReleasesABlockedConsumer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		boom := errors.New("boom")
		err := Run(t.Context(), Options{Workers: 2}, count(-1),
			func(_ context.Context, _ int, i int) (int, error) {
				if i == 3 {
					return 0, boom
				}
				return i, nil
			},
			func(ctx context.Context, i int) error {
				<-ctx.Done()
				return ctx.Err()
			})
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v, want boom", err)
		}
	})
}

func TestNothingToDo(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		err := Run(t.Context(), Options{}, count(0),
			func(context.Context, int, int) (int, error) { t.Error("work called"); return 0, nil },
			func(context.Context, int) error { t.Error("consume called"); return nil })
		if err != nil {
			t.Fatal(err)
		}
	})
}
