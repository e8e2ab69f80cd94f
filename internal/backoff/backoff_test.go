package backoff

import (
	"context"
	"testing"
	"time"
)

// The waits stay below the doubling bound and never above the cap.
func TestFullJitterBounds(t *testing.T) {
	base, max := 100*time.Millisecond, 2*time.Second
	for attempt, ceil := range map[int]time.Duration{1: base, 2: 2 * base, 4: 8 * base, 5: 16 * base, 6: max, 60: max} {
		for range 200 {
			if d := FullJitter(base, max, attempt); d < 0 || d >= ceil {
				t.Fatalf("attempt %d: %v, want in [0, %v)", attempt, d, ceil)
			}
		}
	}
	// a base that would overflow once doubled stays at the cap
	if d := FullJitter(time.Hour, 2*time.Hour, 70); d < 0 || d >= 2*time.Hour {
		t.Fatalf("large base: %v", d)
	}
}

// A cancelled context cuts the wait short with its error.
func TestSleepCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	if err := Sleep(ctx, time.Hour); err != context.Canceled || time.Since(start) > time.Second {
		t.Fatalf("Sleep: %v after %v", err, time.Since(start))
	}
	if err := Sleep(context.Background(), time.Millisecond); err != nil {
		t.Fatal(err)
	}
}
