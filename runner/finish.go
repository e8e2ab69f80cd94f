package runner

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/groupimport/groupimport/internal/atomicfile"
	"github.com/groupimport/groupimport/pipeline"
	"github.com/groupimport/groupimport/report"
	"github.com/groupimport/groupimport/sink"
	"github.com/groupimport/groupimport/transform"
)

// ErrLocked is matched by the errors that exit with ExitLocked (nothing was
// done because another run holds a lock this run needs: the state's, the
// output directory's; a scheduler skips, it does not alert): an error
// for which errors.Is(err, ErrLocked) holds, or that is (or wraps) an error
// with a method Locked() bool returning true. Packages below runner (state,
// sink) use the method, since they cannot import runner; code in runner may
// wrap ErrLocked (fmt.Errorf("…: %w", ErrLocked)).
var ErrLocked = errors.New("another run holds the lock")

// isLocked says whether err means "another run holds the lock".
func isLocked(err error) bool {
	if errors.Is(err, ErrLocked) || errors.Is(err, sink.ErrOutputLocked) {
		return true
	}
	var l interface{ Locked() bool }
	return errors.As(err, &l) && l.Locked()
}

// outcome is how a run ended: all its exit code depends on.
type outcome struct {
	// err ended the run early, or kept its delivery from being whole.
	err error
	// res is what the delivery pass did; nil when the run ended before it.
	res *pipeline.Result
	// withheld: the deletes of missing keys were not sent.
	withheld error
	// unwritten: the review, the metrics or the report could not be
	// written.
	unwritten bool
}

// exitCode is the one place that decides the exit code.
func (o outcome) exitCode() int {
	var ue *UsageError
	var ce *transform.ConfigError
	switch {
	case errors.As(o.err, &ue), errors.As(o.err, &ce), errors.Is(o.err, sink.ErrOutputInUse):
		return ExitUsage
	case isLocked(o.err) && !o.unwritten:
		return ExitLocked
	case o.err != nil, o.withheld != nil, o.unwritten:
		return ExitFailure
	case o.res == nil:
		return ExitOK
	case o.res.FileErrors > 0:
		return ExitFailure
	case o.res.Rejected > 0:
		return ExitRejected
	}
	return ExitOK
}

// ExitCode maps an error that ended a command to the exit code (nil:
// ExitOK).
func ExitCode(err error) int { return outcome{err: err}.exitCode() }

// statusOf names an exit code in the report.
func statusOf(code int) string {
	return map[int]string{ExitOK: "ok", ExitFailure: "failed", ExitRejected: "rejected_rows", ExitLocked: "locked"}[code]
}

// finish is the last phase: it decides the exit code from how the run
// ended (err: what ended it early, or kept its delivery from being whole),
// builds the report with that code, and writes the review, the metrics
// and, last, the report. A file that cannot be written makes the code 1
// (ExitFailure), in every file written after it and in the process's exit
// status: the report, written last, always carries the process's code. A
// usage error writes nothing (the paths themselves may be the mistake).
func (j *job) finish(err error) int {
	end := &outcome{err: err, res: j.res, withheld: j.withheld}
	if j.res == nil {
		fmt.Fprintf(j.c.Stderr, "groupimport: %v\n", err)
		j.abandon()
	}
	code := end.exitCode()
	if code == ExitUsage {
		return code
	}
	rep := j.buildReport(end)
	for _, f := range j.artefacts(rep, end) {
		if err := f.write(); err != nil {
			fmt.Fprintf(j.c.Stderr, "groupimport: writing %s: %v\n", f.what, err)
			end.unwritten = true
			rep.Errors = append(rep.Errors, fmt.Sprintf("writing %s: %v", f.what, err))
			setCode(rep, end)
			continue
		}
		if f.review {
			rep.ReviewFiles = append(rep.ReviewFiles, f.path)
		}
		if f.announce {
			fmt.Fprintf(j.c.Stderr, "  report: %s\n", f.path)
		}
	}
	code = end.exitCode()
	if j.res != nil {
		j.summary(rep, code)
	}
	return code
}

// abandon aborts what a run that ended early leaves unfinished, so that no
// temporary file stays behind.
func (j *job) abandon() {
	if j.out != nil {
		j.out.Abort()
	}
	if j.rejects != nil {
		j.rejects.Close()
	}
}

// newReport starts the report of a run whose inputs are being opened.
func newReport(c *config, defTS time.Time) *report.Report {
	rep := minimalReport(c)
	rep.DefaultTimestamp, rep.Mapping = transform.FormatTime(defTS), map[string]*report.MappingInfo{}
	return rep
}

// minimalReport is the report of a run that ended before it opened its
// inputs.
func minimalReport(c *config) *report.Report {
	return &report.Report{Tool: report.Tool{Name: "groupimport", Version: c.Version}, Command: c.Command, DryRun: c.DryRun}
}

// buildReport completes the report under construction with the run's
// outcome and its exit code: the one place that calls report.Build.
func (j *job) buildReport(end *outcome) *report.Report {
	rep := j.rep
	if rep == nil {
		rep = minimalReport(j.c)
	}
	if j.res != nil && j.withheld != nil {
		rep.Errors = append(rep.Errors, j.withheld.Error())
	}
	setCode(rep, end)
	if end.err != nil && (j.res == nil || j.res.Stopped == "") {
		rep.Errors = append(rep.Errors, end.err.Error())
	}
	report.Build(rep, reportResult(j.res), j.c.start, j.c.Now())
	if j.res != nil && j.res.Stats != nil {
		rep.Review = report.BuildReview(rep, reportStats(j.res.Stats))
		if err := addReviewChecks(rep.Review, j.reviewKeys, j.res, j.store); err != nil {
			rep.Errors = append(rep.Errors, err.Error())
		}
	}
	return rep
}

// setCode puts the outcome's exit code and status into the report.
func setCode(rep *report.Report, end *outcome) {
	rep.ExitCode = end.exitCode()
	rep.Status = statusOf(rep.ExitCode)
	if end.res != nil && end.res.Stopped == "interrupted" {
		rep.Status = "interrupted"
	}
}

// artefact is a file rendered from the report.
type artefact struct {
	what     string // in messages: "the review", "the metrics file", "the report"
	path     string
	render   func() []byte
	review   bool // one of the review's files
	mkdir    bool // create its directory first
	announce bool // say its path on stderr once written
}

func (a artefact) write() error {
	if a.mkdir {
		if err := os.MkdirAll(filepath.Dir(a.path), 0o755); err != nil {
			return err
		}
	}
	return atomicfile.WriteFile(a.path, a.render())
}

// artefacts are the files to write from the report, in order: the review,
// the metrics, and the report last (its presence says the run is over).
func (j *job) artefacts(rep *report.Report, end *outcome) []artefact {
	var list []artefact
	if rep.Review != nil {
		base := reviewBase(j.c.reportPath)
		list = append(list, artefact{what: "the review", path: base + ".md", render: rep.Markdown, review: true},
			artefact{what: "the review", path: base + ".html", render: rep.HTML, review: true})
	}
	if j.c.MetricsFile != "" {
		list = append(list, artefact{what: "the metrics file", path: j.c.MetricsFile, render: rep.Prometheus})
	}
	if path := j.reportPath(end); path != "" {
		// a run that ended early may not have created the directory yet,
		// and prints no summary that names the report
		early := j.res == nil
		list = append(list, artefact{what: "the report", path: path, render: rep.JSON, mkdir: early, announce: early})
	}
	return list
}

// reportPath is where the report goes, "" for nowhere. A run that ended
// early writes no default report into --out while another run may be
// using the directory (it holds the lock), nor over an earlier run's
// report without --overwrite; it says so on stderr.
func (j *job) reportPath(end *outcome) string {
	c := j.c
	path := c.reportPath
	if path == "" || j.res != nil || c.ReportPath != "" || c.outDir() == "" {
		return path
	}
	_, serr := os.Lstat(path)
	switch {
	case isLocked(end.err):
		fmt.Fprintf(c.Stderr, "groupimport: the report was not written into --out %s, which the run holding the lock may be using (give --report FILE)\n", c.Out)
		return ""
	case serr == nil && !c.Overwrite:
		fmt.Fprintf(c.Stderr, "groupimport: the report was not written: %s holds an earlier run's report (give --report FILE)\n", path)
		return ""
	}
	return path
}

// summary tells the user how the run went, unless --quiet.
func (j *job) summary(rep *report.Report, code int) {
	c := j.c
	if c.Quiet {
		return
	}
	if c.LogFormat == "json" {
		j.log.Info("finished", "status", rep.Status, "exit_code", code, "read", rep.Totals.Read,
			"emitted", rep.Totals.Emitted, "rejected", rep.Totals.Rejected, "report", c.reportPath)
		return
	}
	rep.Summary(c.Stderr)
	if c.reportPath != "" {
		fmt.Fprintf(c.Stderr, "  report: %s\n", c.reportPath)
	}
}
