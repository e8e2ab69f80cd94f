// Package backoff spaces the attempts of a request that may succeed when
// tried again: exponential backoff with full jitter, and a wait that a
// context cuts short. The HTTP sink and the object store share it.
package backoff

import (
	"context"
	"math/rand/v2"
	"time"
)

// FullJitter is the wait before attempt+1 (attempt ≥ 1): a random duration
// below base·2^(attempt-1), capped at max.
func FullJitter(base, max time.Duration, attempt int) time.Duration {
	ceil := max
	if shift := min(max0(attempt-1), 62); base <= max>>shift {
		ceil = base << shift // cannot overflow: base·2^shift ≤ max
	}
	return Jitter(ceil)
}

// Jitter is a random duration in [0, ceil).
func Jitter(ceil time.Duration) time.Duration {
	if ceil <= 0 {
		return 0
	}
	return time.Duration(rand.Int64N(int64(ceil)))
}

// Sleep waits d, or until ctx is done (its error).
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func max0(n int) int {
	if n < 0 {
		return 0
	}
	return n
}
