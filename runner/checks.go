package runner

import (
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/groupimport/groupimport/importer"
)

// MaxWorkers bounds --workers: each worker holds batches of rows and
// payloads, so a huge number is an out-of-memory kill, not a faster run.
const MaxWorkers = 256

// checkNumbers range-checks the numeric options the runner interprets
// (the command line checks the rest of its flags).
func (c *config) checkNumbers() error {
	if c.Workers < 0 || c.Workers > MaxWorkers {
		return usagef("--workers must be between 1 and %d (0 or absent: one per CPU), not %d", MaxWorkers, c.Workers)
	}
	if c.BatchRows < 0 || c.BatchRows > 1<<20 {
		return usagef("--batch-rows must be between 1 and %d (0 or absent: the default), not %d", 1<<20, c.BatchRows)
	}
	if p := c.MassDeletePercent; math.IsNaN(p) || p < 0 || p > 100 {
		return usagef("--mass-delete-percent must be between 0 and 100 (0: no deletes of missing keys without --allow-mass-delete), not %g", p)
	}
	return nil
}

// namedFile is a file the run reads or writes, with the flag that names it.
type namedFile struct {
	flag, path string
	output     bool
}

// distinctFiles checks, before anything is written, that every file the
// run writes (--report, --rejects, --metrics-file, --state, the review
// files) differs from every other file it reads or writes (the inputs after
// expansion, --mapping), and lies in no input directory (a later run would
// read it as input): a usage error names both flags otherwise. Paths are
// compared cleaned, absolute and with symbolic links resolved, and as files
// (os.SameFile: hard links) where they exist.
func (c *config) distinctFiles() error {
	files, inputDirs := c.namedFiles()
	canon := make([]string, len(files))
	stats := make([]os.FileInfo, len(files))
	for i, f := range files {
		canon[i] = canonicalPath(f.path)
		stats[i], _ = os.Stat(f.path)
	}
	if c.outDir() != "" {
		out := canonicalPath(c.Out)
		for _, d := range inputDirs {
			if within(canonicalPath(d.path), out) {
				return usagef("--out %s lies in the %s directory %s: a later run would read the payloads as input; write them elsewhere", c.Out, d.flag, d.path)
			}
		}
	}
	for i, a := range files {
		if !a.output {
			continue
		}
		for j, b := range files {
			if j == i || (b.output && j < i) {
				continue
			}
			same := canon[i] == canon[j] || (stats[i] != nil && stats[j] != nil && os.SameFile(stats[i], stats[j]))
			if same {
				return usagef("%s and %s name the same file (%s): the run would overwrite it; give each its own file", a.flag, b.flag, b.path)
			}
		}
		for _, d := range inputDirs {
			if within(canonicalPath(d.path), canon[i]) {
				return usagef("%s (%s) lies in the %s directory %s: a later run would read it as input; write it elsewhere", a.flag, a.path, d.flag, d.path)
			}
		}
	}
	return nil
}

// namedFiles lists the files the run writes, then those it reads (the
// mapping and the inputs after expansion), and the input directories.
func (c *config) namedFiles() (files, inputDirs []namedFile) {
	add := func(flag, path string, output bool) {
		if path != "" && path != "-" {
			files = append(files, namedFile{flag, path, output})
		}
	}
	reportFlag, rejectsFlag := "--report", "--rejects"
	if c.ReportPath == "" {
		reportFlag = "--report (default)"
	}
	if c.RejectsPath == "" {
		rejectsFlag = "--rejects (default)"
	}
	add(reportFlag, c.reportPath, true)
	add(rejectsFlag, c.rejectsPath, true)
	add("--metrics-file", c.MetricsFile, true)
	if c.isRun {
		add("--state", c.StateFile, true)
	}
	if c.reviewing() && c.reportPath != "" {
		base := reviewBase(c.reportPath)
		add("the review (beside --report)", base+".md", true)
		add("the review (beside --report)", base+".html", true)
	}
	add("--mapping", c.MappingFile, false)
	for _, in := range c.inputFlags() {
		for _, p := range in.patterns {
			if st, err := os.Stat(p); err == nil && st.IsDir() {
				inputDirs = append(inputDirs, namedFile{flag: in.flag, path: p})
			}
		}
		expanded, err := importer.Expand(in.patterns)
		if err != nil {
			continue // reported when the inputs are prepared
		}
		for _, f := range expanded {
			add(in.flag, f, false)
		}
	}
	return files, inputDirs
}

// canonicalPath is path made absolute and clean, with symbolic links
// resolved as far as the path exists (a file not yet written: its
// directory's).
func canonicalPath(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return filepath.Clean(path)
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		return r
	}
	if dir, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		return filepath.Join(dir, filepath.Base(abs))
	}
	return abs
}

// within says whether path is dir or lies under it.
func within(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
