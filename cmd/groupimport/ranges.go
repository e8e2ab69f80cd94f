package main

import (
	"fmt"
	"math"
	"time"

	"github.com/groupimport/groupimport/runner"
)

// Ranges of the numeric flags (the runner checks --workers and
// --mass-delete-percent, whose meaning it owns). A value out of range is a
// usage error naming the flag and the range, never a silent default.
const (
	maxConcurrency   = 256
	maxRateLimit     = 100000 // requests/s
	maxAttempts      = 100
	minBatchBytes    = 1024
	minPartSize      = 1 // a part smaller than a payload holds that one payload
	maxPartSize      = 1 << 40
	minRecordBytes   = 1 << 10
	maxRecordBytes   = 1 << 30
	maxDecompression = 1000000000
	maxRetryBase     = time.Minute
)

// checkRanges range-checks the numeric flags of command, as read into o.
func checkRanges(o *runner.Options, command string) error {
	type check struct {
		flag   string
		v      int64
		lo, hi int64
		note   string
	}
	checks := []check{
		{"--max-record-bytes", int64(o.MaxRecordBytes), minRecordBytes, maxRecordBytes, " (1KiB…1GiB)"},
		{"--max-rejects", o.MaxRejects, -1, math.MaxInt64, " (-1: no limit)"},
	}
	if o.MaxRatio != -1 {
		checks = append(checks, check{"--max-ratio", int64(o.MaxRatio), 1, maxDecompression, " (or -1: no limit)"})
	}
	if command == "run" {
		h := o.HTTP
		checks = append(checks,
			check{"--concurrency", int64(h.Concurrency), 1, maxConcurrency, ""},
			check{"--batch-messages", int64(h.BatchMessages), 1, 2500, " (the API's limit is 2500)"},
			check{"--max-attempts", int64(h.MaxAttempts), 1, maxAttempts, ""},
			check{"--batch-bytes", int64(h.BatchBytes), minBatchBytes, 500000, " (the API's limit is 500000)"},
			check{"--part-size", o.PartBytes, minPartSize, maxPartSize, " (1 byte…1TiB)"},
		)
		if r := h.RateLimit; math.IsNaN(r) || r <= 0 || r > maxRateLimit {
			return fmt.Errorf("--rate-limit must be more than 0 and at most %d requests per second, not %g", maxRateLimit, r)
		}
		if h.MaxElapsed <= 0 {
			return fmt.Errorf("--max-retry-time must be more than 0, not %v", h.MaxElapsed)
		}
		if h.RequestTimeout <= 0 {
			return fmt.Errorf("--request-timeout must be more than 0, not %v", h.RequestTimeout)
		}
		if h.RetryBase < 0 || h.RetryBase > maxRetryBase {
			return fmt.Errorf("--retry-base must be between 0 (the default, 500ms) and %v, not %v", maxRetryBase, h.RetryBase)
		}
	}
	for _, c := range checks {
		if c.v < c.lo || c.v > c.hi {
			if c.hi == math.MaxInt64 {
				return fmt.Errorf("--%s must be %d or more%s, not %d", c.flag[2:], c.lo, c.note, c.v)
			}
			return fmt.Errorf("%s must be between %d and %d%s, not %d", c.flag, c.lo, c.hi, c.note, c.v)
		}
	}
	return nil
}
