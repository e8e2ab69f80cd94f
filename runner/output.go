package runner

import "path/filepath"

// filesWritten are the files besides the parts that this run writes into
// the output directory dir under names the tool chooses: its report,
// rejects and review, when --report / --rejects do not name them. With
// --overwrite an earlier run's copies are removed at the start; a file the
// user named is theirs, never removed early.
func (o *Options) filesWritten(dir string) []string {
	var files []string
	if o.RejectsPath == "" {
		files = append(files, filepath.Join(dir, "rejects.ndjson"))
	}
	if o.ReportPath == "" {
		// an earlier run's review too, whether or not this run writes one
		files = append(files, filepath.Join(dir, "report.json"), filepath.Join(dir, "review.md"), filepath.Join(dir, "review.html"))
	}
	return files
}
