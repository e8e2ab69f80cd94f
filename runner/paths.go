package runner

import "path/filepath"

// outputPaths are the report and rejects files: --report and --rejects,
// else DIR/report.json and DIR/rejects.ndjson with --out DIR, else files in
// the working directory for run; validate without --out writes neither.
func (c *config) outputPaths() (reportPath, rejectsPath string) {
	reportPath, rejectsPath = c.ReportPath, c.RejectsPath
	switch {
	case c.outDir() != "":
		if reportPath == "" {
			reportPath = filepath.Join(c.Out, "report.json")
		}
		if rejectsPath == "" {
			rejectsPath = filepath.Join(c.Out, "rejects.ndjson")
		}
	case c.isRun:
		if reportPath == "" {
			reportPath = "groupimport-report.json"
		}
		if rejectsPath == "" {
			rejectsPath = "groupimport-rejects.ndjson"
		}
	}
	return reportPath, rejectsPath
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
