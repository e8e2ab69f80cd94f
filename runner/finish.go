package runner

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
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
// builds the report with that code, writes the review, the metrics and,
// last, the report, and tells the user (tell). A file that cannot be
// written makes the code 1 (ExitFailure), in every file written after it
// and in the process's exit status: the report, written last, always
// carries the process's code; only a report or rejects file in the default
// state directory may fail to be written without failing the run (a
// warning says so). A usage error writes nothing (the paths themselves may
// be the mistake).
func (j *job) finish(err error) int {
	end := &outcome{err: err, res: j.res, withheld: j.withheld}
	if j.res == nil {
		j.abandon()
	}
	code := end.exitCode()
	if code == ExitUsage {
		j.c.con.fail(err, code)
		return code
	}
	rep := j.buildReport(end)
	wrote := j.writeArtefacts(rep, end)
	code = end.exitCode()
	j.tell(rep, end, code, wrote)
	return code
}

// writeArtefacts writes the files rendered from the report and returns
// every file the run wrote, for the summary.
func (j *job) writeArtefacts(rep *report.Report, end *outcome) []report.Written {
	wrote := j.outputsWritten(rep)
	for _, f := range j.artefacts(rep, end) {
		err := f.write()
		switch {
		case err != nil && f.optional:
			j.c.con.notice(fmt.Sprintf("%s was not written to the default place %s (%v); give --report FILE or --out DIR", f.what, f.path, err),
				"file", f.path)
			continue
		case err != nil:
			j.c.con.fail(fmt.Errorf("writing %s: %w", f.what, err), ExitFailure, "file", f.path)
			end.unwritten = true
			rep.Errors = append(rep.Errors, fmt.Sprintf("writing %s: %v", f.what, err))
			setCode(rep, end)
			continue
		}
		if f.review {
			rep.ReviewFiles = append(rep.ReviewFiles, f.path)
		}
		if f.label != "" {
			wrote = append(wrote, report.Written{What: f.label, Path: f.path})
		}
	}
	return wrote
}

// outputsWritten are the files the run wrote before its report: the
// payload parts, the rejects and the state.
func (j *job) outputsWritten(rep *report.Report) []report.Written {
	var wrote []report.Written
	if n := len(rep.Output.Files); n > 0 && j.fileOut != nil {
		note := "1 part file"
		if n > 1 {
			note = fmt.Sprintf("%d part files", n)
		}
		if s := j.payloadsNote(rep.Output); s != "" {
			note += "; " + s
		}
		wrote = append(wrote, report.Written{What: "payloads", Path: j.c.outDir(), Note: note})
	} else if s := j.payloadsNote(rep.Output); s != "" && j.fileOut != nil {
		wrote = append(wrote, report.Written{What: "payloads", Path: j.c.outDir(), Note: "no part file; " + s})
	}
	if j.rejects != nil && j.rejects.Path() != "" {
		wrote = append(wrote, report.Written{What: "rejects", Path: j.rejects.Path(), Note: rowsNote(j.rejects.Count())})
	}
	if j.store != nil && !j.c.DryRun {
		wrote = append(wrote, report.Written{What: "state", Path: j.c.StateFile})
	}
	return wrote
}

// rowsNote says "1 row" or "n rows".
func rowsNote(n int64) string {
	if n == 1 {
		return "1 row"
	}
	return fmt.Sprintf("%d rows", n)
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
	rep.Shard = c.shard.String()
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
	report.Build(rep, reportResult(j.res, j.deliveries()), j.c.start, j.c.Now())
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
	what   string // in messages: "the review", "the metrics file", "the report"
	path   string
	render func() []byte
	review bool // one of the review's files
	// label names it in the summary ("": not named).
	label string
	// optional: a place no flag named (the default state directory), so a
	// failure to write there is a warning, not a failed run
	optional bool
}

// write writes the file, creating its directory first.
func (a artefact) write() error {
	if err := os.MkdirAll(filepath.Dir(a.path), 0o755); err != nil {
		return err
	}
	return atomicfile.WriteFile(a.path, a.render())
}

// artefacts are the files to write from the report, in order: the review,
// the metrics, and the report last (its presence says the run is over).
func (j *job) artefacts(rep *report.Report, end *outcome) []artefact {
	var list []artefact
	optional := j.c.defaultDir != ""
	if rep.Review != nil && j.c.reportPath != "" {
		base := reviewBase(j.c.reportPath)
		list = append(list, artefact{what: "the review", path: base + ".md", render: rep.Markdown, review: true, optional: optional},
			artefact{what: "the review", path: base + ".html", render: rep.HTML, review: true, optional: optional, label: "review"})
	}
	if j.c.MetricsFile != "" {
		list = append(list, artefact{what: "the metrics file", path: j.c.MetricsFile, render: rep.Prometheus, label: "metrics"})
	}
	if path := j.reportPath(end); path != "" {
		list = append(list, artefact{what: "the report", path: path, render: rep.JSON, label: "report", optional: optional})
	}
	return list
}

// reportPath is where the report goes, "" for nowhere. A run that ended
// early writes no default report (into --out, or the state directory)
// while another run may be writing it (it holds the lock), nor over an
// earlier run's report in --out without --overwrite; it says so.
func (j *job) reportPath(end *outcome) string {
	c := j.c
	path := c.reportPath
	switch {
	case path == "":
		c.con.notice(c.noDefaultDir().Error())
		return ""
	case j.res != nil || c.ReportPath != "":
		return path
	case isLocked(end.err):
		c.con.notice(fmt.Sprintf("the report was not written to %s, which the run holding the lock may be writing (give --report FILE)", path),
			"file", path)
		return ""
	}
	if _, err := os.Lstat(path); err == nil && !c.Overwrite && c.outDir() != "" {
		c.con.notice(fmt.Sprintf("the report was not written: %s holds an earlier run's report (give --report FILE)", path), "file", path)
		return ""
	}
	return path
}

// tell tells the user how the run went: as text, the summary (not with
// --quiet, which says only a failure), or the error that ended the run
// early and the files written; with JSON logs, one record "finished"
// (level INFO, WARN for a lock refusal, ERROR for a failure) with the
// counts, the error and the files.
func (j *job) tell(rep *report.Report, end *outcome, code int, wrote []report.Written) {
	con := j.c.con
	failure := j.failureText(rep, end, code)
	level := slog.LevelInfo
	switch code {
	case ExitFailure:
		level = slog.LevelError
	case ExitLocked:
		level = slog.LevelWarn
	}
	con.say(level, "finished", finishedFields(rep, failure, wrote), func(w io.Writer) {
		switch {
		case j.res == nil:
			fmt.Fprintf(w, "groupimport: %s\n", failure)
			for _, f := range wrote {
				fmt.Fprintf(w, "  %s: %s\n", f.What, f.Path)
			}
		case con.quiet:
			j.quietFailure(w, rep, code, wrote)
		default:
			rep.Summary(w, wrote)
		}
	})
}

// failureText is why the run failed ("" when it did not): the error that
// ended it, or kept its delivery from being whole, or the errors of the
// report.
func (j *job) failureText(rep *report.Report, end *outcome, code int) string {
	switch {
	case code != ExitFailure && code != ExitLocked:
		return ""
	case end.err != nil:
		return end.err.Error()
	case len(rep.Errors) > 0:
		return strings.Join(rep.Errors, "; ")
	}
	return "failed"
}

// quietFailure is all --quiet says of a run that delivered: nothing when
// it did not fail; else its errors and a line with the exit code, what was
// delivered and where the report is.
func (j *job) quietFailure(w io.Writer, rep *report.Report, code int, wrote []report.Written) {
	if code != ExitFailure {
		return
	}
	for _, e := range rep.Errors {
		fmt.Fprintf(w, "groupimport: %s\n", e)
	}
	reportPath := ""
	for _, f := range wrote {
		if f.What == "report" {
			reportPath = f.Path
		}
	}
	fmt.Fprintf(w, "groupimport: %s\n", rep.FailureLine(reportPath))
}

// finishedFields are the fields of the JSON record that ends a run.
func finishedFields(rep *report.Report, failure string, wrote []report.Written) []any {
	t := rep.Totals
	args := []any{"command", rep.Command, "status", rep.Status, "exit_code", rep.ExitCode, "dry_run", rep.DryRun,
		"read", t.Read, "emitted", t.Emitted, "delivered", t.DeliveredOr(0), "undelivered", t.Emitted - t.DeliveredOr(0),
		"refused", t.Refused, "rejected", t.Rejected, "skipped", t.Skipped, "duration_ms", rep.DurationMS}
	if rep.HTTP != nil {
		args = append(args, "requests", rep.HTTP.Requests, "retries", rep.HTTP.Retries.Total())
	}
	if note := rep.NothingDelivered(); note != "" {
		args = append(args, "note", note)
	}
	if failure != "" {
		args = append(args, "error", failure)
	}
	for _, f := range wrote {
		args = append(args, f.What, f.Path)
	}
	return args
}
