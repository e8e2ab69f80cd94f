package runner

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/groupimport/groupimport/internal/atomicfile"
	"github.com/groupimport/groupimport/report"
	"github.com/groupimport/groupimport/sink"
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

// failure is what Run needs to write the report of a run that ended early
// with an error (a damaged or locked state, a refused mass delete): the
// report as far as it was built, and what to close so that no temporary
// file is left behind.
type failure struct {
	start   time.Time
	rep     *report.Report
	rejects *sink.RejectsWriter
	out     sink.Sink
}

// statusOf names an exit code in the report.
func statusOf(code int) string {
	return map[int]string{ExitOK: "ok", ExitFailure: "failed", ExitRejected: "rejected_rows", ExitLocked: "locked"}[code]
}

// reportFailure writes the report (and metrics) of a run that ended early
// with err. Usage errors write nothing: the paths themselves may be the
// mistake (--report naming the state file).
func (o *Options) reportFailure(f *failure, code int, err error) {
	if f.out != nil {
		f.out.Abort()
	}
	if f.rejects != nil {
		f.rejects.Close()
	}
	if code == ExitUsage {
		return
	}
	rep := f.rep
	if rep == nil {
		rep = &report.Report{Tool: report.Tool{Name: "groupimport", Version: o.Version}, Command: o.Command, DryRun: o.DryRun}
	}
	rep.ExitCode, rep.Status = code, statusOf(code)
	rep.Errors = append(rep.Errors, err.Error())
	report.Build(rep, nil, f.start, o.Now())
	if o.MetricsFile != "" {
		if err := atomicfile.WriteFile(o.MetricsFile, rep.Prometheus()); err != nil {
			fmt.Fprintf(o.Stderr, "groupimport: writing the metrics file: %v\n", err)
		}
	}
	path, _ := o.outputPaths()
	if path == "" {
		return
	}
	if o.ReportPath == "" && o.Out != "" && o.Out != "-" {
		// The default report in --out: not into the directory of the run
		// holding the lock (most often the same command, overlapping), nor
		// over an earlier run's report without --overwrite.
		_, serr := os.Lstat(path)
		switch {
		case isLocked(err):
			fmt.Fprintf(o.Stderr, "groupimport: the report was not written into --out %s, which the run holding the lock may be using (give --report FILE)\n", o.Out)
			return
		case serr == nil && !o.Overwrite:
			fmt.Fprintf(o.Stderr, "groupimport: the report was not written: %s holds an earlier run's report (give --report FILE)\n", path)
			return
		}
	}
	werr := os.MkdirAll(filepath.Dir(path), 0o755)
	if werr == nil {
		werr = atomicfile.WriteFile(path, rep.JSON())
	}
	if werr != nil {
		fmt.Fprintf(o.Stderr, "groupimport: writing the report: %v\n", werr)
		return
	}
	fmt.Fprintf(o.Stderr, "  report: %s\n", path)
}

// outputPaths are the report and rejects files: --report and --rejects,
// else DIR/report.json and DIR/rejects.ndjson with --out DIR, else files in
// the working directory for run; validate without --out writes neither.
func (o *Options) outputPaths() (reportPath, rejectsPath string) {
	reportPath, rejectsPath = o.ReportPath, o.RejectsPath
	switch {
	case o.Out != "" && o.Out != "-":
		if reportPath == "" {
			reportPath = filepath.Join(o.Out, "report.json")
		}
		if rejectsPath == "" {
			rejectsPath = filepath.Join(o.Out, "rejects.ndjson")
		}
	case o.Command != "validate":
		if reportPath == "" {
			reportPath = "groupimport-report.json"
		}
		if rejectsPath == "" {
			rejectsPath = "groupimport-rejects.ndjson"
		}
	}
	return reportPath, rejectsPath
}
