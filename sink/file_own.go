package sink

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"

	"github.com/groupimport/groupimport/internal/atomicfile"
)

// What --overwrite may remove: only files this tool wrote. A part's name is
// exactly PREFIX-NNNNN.ndjson[.gz|.zst] (five or more digits); a part being
// written is .NAME.tmp, and one being rewritten (superseded payloads
// removed) .NAME.DIGITS.tmp. Anything else whose name merely starts with
// PREFIX- (payloads-backup.csv, payloads-old.ndjson) is someone else's.
func ownPartPattern(prefix string) *regexp.Regexp {
	part := regexp.QuoteMeta(prefix) + `-\d{5,}\.ndjson(?:\.gz|\.zst)?`
	return regexp.MustCompile(`^(?:` + part + `|\.` + part + `(?:\.\d+)?\.tmp)$`)
}

// existingParts lists this tool's part files (finished or temporary) of any
// run in the directory.
func (s *FileSink) existingParts() ([]string, error) {
	entries, err := os.ReadDir(s.opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("output directory: %w", err)
	}
	own := ownPartPattern(s.opts.Prefix)
	var out []string
	for _, e := range entries {
		if e.Type().IsRegular() && own.MatchString(e.Name()) {
			out = append(out, filepath.Join(s.opts.Dir, e.Name()))
		}
	}
	sort.Strings(out)
	return out, nil
}

// removeEarlierRun removes an earlier run's parts and the other files it
// wrote that this run writes again (FileOptions.Replaces), with their
// temporary names, so that nothing of the earlier run (a report saying it
// finished) is left beside a run that does not finish.
func (s *FileSink) removeEarlierRun(parts []string) error {
	for _, p := range parts {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("removing an old part: %w", err)
		}
	}
	for _, p := range s.opts.Replaces {
		if filepath.Clean(filepath.Dir(p)) != filepath.Clean(s.opts.Dir) {
			continue
		}
		for _, q := range []string{p, atomicfile.TempName(p)} {
			if st, err := os.Lstat(q); err == nil && st.Mode().IsRegular() {
				if err := os.Remove(q); err != nil {
					return fmt.Errorf("removing the earlier run's %s: %w", filepath.Base(q), err)
				}
			}
		}
	}
	return nil
}
