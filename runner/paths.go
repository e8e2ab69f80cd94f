package runner

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Where a run writes its own files. Nothing goes into the working
// directory unless a flag names it there: every run that gets past its
// flags writes a report, so a run given neither --out DIR nor --report
// writes it, and its rejects, into the user's state directory (see
// stateDir), which the summary names.

// outputPaths are the report and rejects files:
//   - --report and --rejects, when given;
//   - with --out DIR: DIR/report.json and DIR/rejects.ndjson;
//   - else the rejects beside --report (besideReport);
//   - else both in the state directory: report.json and rejects.ndjson
//     (dir is then that directory; both are "" when it is not known).
func (c *config) outputPaths() (reportPath, rejectsPath, dir string) {
	reportPath, rejectsPath = c.ReportPath, c.RejectsPath
	switch {
	case c.outDir() != "":
		if reportPath == "" {
			reportPath = filepath.Join(c.Out, "report.json")
		}
		if rejectsPath == "" {
			rejectsPath = filepath.Join(c.Out, "rejects.ndjson")
		}
	case reportPath != "":
		if rejectsPath == "" {
			rejectsPath = besideReport(reportPath, "rejects", ".ndjson")
		}
	default:
		dir = c.stateDir()
		if dir != "" {
			reportPath = filepath.Join(dir, "report.json")
			if rejectsPath == "" {
				rejectsPath = filepath.Join(dir, "rejects.ndjson")
			}
		}
	}
	return reportPath, rejectsPath, dir
}

// stateDir is where a run writes its report when no flag says:
// $XDG_STATE_HOME/groupimport (an absolute path), else
// $HOME/.local/state/groupimport, else "" (no such place).
func (c *config) stateDir() string {
	if d := c.Getenv("XDG_STATE_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "groupimport")
	}
	if home := c.Getenv("HOME"); filepath.IsAbs(home) {
		return filepath.Join(home, ".local", "state", "groupimport")
	}
	return ""
}

// noDefaultDir says why a run without --out DIR or --report writes no
// report (neither XDG_STATE_HOME nor HOME is set).
func (c *config) noDefaultDir() error {
	return fmt.Errorf("no report written: neither XDG_STATE_HOME nor HOME is set, so there is no state directory " +
		"for it; give --report FILE or --out DIR")
}

// besideReport is the path of another of the run's files beside the
// report: the report's name with "report" replaced by what
// (run1/report.json → run1/rejects.ndjson, last-report.json →
// last-rejects.ndjson), or what added to it (crm.json →
// crm.rejects.ndjson).
func besideReport(reportPath, what, ext string) string {
	dir, name := filepath.Split(reportPath)
	base := strings.TrimSuffix(name, filepath.Ext(name))
	if strings.HasSuffix(base, "report") {
		base = strings.TrimSuffix(base, "report") + what
	} else {
		base += "." + what
	}
	return filepath.Join(dir, base+ext)
}

// reviewBase is the review files' path without extension, beside the
// report.
func reviewBase(reportPath string) string {
	return strings.TrimSuffix(besideReport(reportPath, "review", ".md"), ".md")
}

// filesWritten are the files besides the parts that this run writes into
// the output directory dir under names the tool chooses: its report,
// rejects and review, when --report / --rejects do not name them. With
// --overwrite an earlier run's copies are removed at the start; a file the
// user named is theirs, never removed early.
func (c *config) filesWritten(dir string) []string {
	var files []string
	if c.RejectsPath == "" {
		files = append(files, filepath.Join(dir, "rejects.ndjson"))
	}
	if c.ReportPath == "" {
		// an earlier run's review too, whether or not this run writes one
		files = append(files, filepath.Join(dir, "report.json"), filepath.Join(dir, "review.md"), filepath.Join(dir, "review.html"))
	}
	return files
}
