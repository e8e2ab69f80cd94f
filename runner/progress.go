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
	// extra describes delivery (the API sink's acknowledged messages and
	// retries), when there is more to say than rows read.
	extra    func() string
	bar      *progressbar.ProgressBar
	log      *slog.Logger
	interval time.Duration
	enabled  bool
}

func newProgress(c *config, log *slog.Logger) *progress {
	p := &progress{log: log, interval: 10 * time.Second}
	mode := c.Progress
	if c.Quiet || mode == "none" {
		return p
	}
	tty := false
	if f, ok := c.Stderr.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	if mode == "bar" || (mode == "" || mode == "auto") && tty && c.LogFormat != "json" {
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
		if p.extra != nil {
			desc += ", " + p.extra()
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
	if p.extra != nil {
		args = append(args, "delivery", p.extra())
	}
	p.log.Info("progress", args...)
}

func (p *progress) done() {
	if p.bar != nil {
		p.bar.Finish()
	}
}
