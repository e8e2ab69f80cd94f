package runner

import (
	"path/filepath"
	"strings"
)

// filesWritten are the files besides the parts that this run writes into
// the output directory dir: its report, rejects and review (those named
// elsewhere are left out). With --overwrite an earlier run's copies are
// removed at the start.
func (o *Options) filesWritten(dir string) []string {
	report, rejects := o.ReportPath, o.RejectsPath
	if report == "" {
		report = filepath.Join(dir, "report.json")
	}
	if rejects == "" {
		rejects = filepath.Join(dir, "rejects.ndjson")
	}
	files := []string{report, rejects}
	if o.reviewing() {
		base := strings.TrimSuffix(strings.TrimSuffix(report, ".json"), "report") + "review"
		files = append(files, base+".md", base+".html")
	}
	if o.MetricsFile != "" {
		files = append(files, o.MetricsFile)
	}
	var in []string
	for _, f := range files {
		if filepath.Clean(filepath.Dir(f)) == filepath.Clean(dir) {
			in = append(in, f)
		}
	}
	return in
}
