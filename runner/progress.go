package runner

import (
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/groupimport/groupimport/pipeline"
)

// progress shows a bar on a terminal (rows, rows/s and an ETA from the
// bytes read) and a plain log line every interval otherwise.
type progress struct {
	// delivery says what the API acknowledged so far, when the run sends
	// to it (nil otherwise).
	delivery func() deliveryProgress
	bar      *progressbar.ProgressBar
	log      *slog.Logger
	interval time.Duration
	enabled  bool
}

func newProgress(c *config, log *slog.Logger) *progress {
	p := &progress{log: log, interval: 10 * time.Second}
	if c.ProgressInterval > 0 {
		p.interval = c.ProgressInterval
	}
	mode := c.Progress
	if c.Quiet || mode == "none" {
		return p
	}
	tty := false
	if f, ok := c.Stderr.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	// a bar is no JSON: --log-format json logs lines even with --progress bar
	if c.LogFormat != "json" && (mode == "bar" || (mode == "" || mode == "auto") && tty) {
		p.interval = 200 * time.Millisecond
		p.bar = progressbar.NewOptions64(-1,
			progressbar.OptionSetWriter(c.Stderr),
			progressbar.OptionSetWidth(30),
			progressbar.OptionShowBytes(true),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionSetPredictTime(true),
		)
	}
	p.enabled = true
	return p
}

func (p *progress) update(s pipeline.Progress) {
	if !p.enabled {
		return
	}
	rate := 0.0
	if secs := s.Elapsed.Seconds(); secs > 0 {
		rate = float64(s.Read) / secs
	}
	if p.bar != nil {
		if p.bar.GetMax64() != s.BytesTotal && s.BytesTotal > 0 {
			p.bar.ChangeMax64(s.BytesTotal)
		}
		desc := fmt.Sprintf("%d rows (%.0f/s), %d rejected", s.Read, rate, s.Rejected)
		if p.delivery != nil {
			desc += ", " + p.delivery().String()
		}
		p.bar.Describe(desc)
		p.bar.Set64(s.BytesDone)
		return
	}
	if s.BytesDone >= s.BytesTotal && s.Elapsed < p.interval {
		return // a short run: the summary says it all
	}
	pct := 0.0
	if s.BytesTotal > 0 {
		pct = 100 * float64(s.BytesDone) / float64(s.BytesTotal)
	}
	args := []any{"read", s.Read, "emitted", s.Emitted, "rejected", s.Rejected,
		"rows_per_s", int64(rate), "done_pct", fmt.Sprintf("%.1f", pct), "file", s.File}
	if p.delivery != nil {
		d := p.delivery()
		args = append(args, "delivered", d.Delivered, "requests", d.Requests, "retries", d.Retries, "refused", d.Refused)
	}
	p.log.Info("progress", args...)
}

// deliveryProgress is what the API sink did so far.
type deliveryProgress struct{ Delivered, Requests, Retries, Refused int64 }

func (d deliveryProgress) String() string {
	return fmt.Sprintf("%d delivered, %d requests, %d retries, %d refused", d.Delivered, d.Requests, d.Retries, d.Refused)
}

func (p *progress) done() {
	if p.bar != nil {
		p.bar.Finish()
	}
}
