package importer

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Ignored is a file or folder of a directory input left out on purpose.
type Ignored struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// Inputs is what ExpandInputs found.
type Inputs struct {
	Files []string
	// Ignored lists what directories held that is not data by convention.
	Ignored []Ignored
}

// Expand is ExpandInputs without the list of ignored files.
func Expand(patterns []string) ([]string, error) {
	in, err := ExpandInputs(patterns)
	if err != nil {
		return nil, err
	}
	return in.Files, nil
}

// ExpandInputs turns paths, globs and directories into a sorted,
// de-duplicated list of files. A directory contributes every file below
// it, whatever its name (its content says what it is when the name does
// not: Spark's extension-less part-00000 is read, a file that is not data
// fails as a file error), except what is not data by convention: hidden
// entries, names starting with "_" (Spark's _SUCCESS, _committed_*,
// Parquet's _metadata, _temporary/), checksums (.crc, .md5, .sha256),
// documentation and logs (.md, .html, .pdf, .log, …) and configuration
// (.yaml, .yml, .sql: a mapping kept beside its export); those are listed
// in Ignored with the reason. A file named on its own is read whatever its
// name. Files inside a directory come in natural
// order (part-2 before part-10). A glob or path that matches nothing is an
// error.
func ExpandInputs(patterns []string) (*Inputs, error) {
	res := &Inputs{}
	seen := map[string]bool{}
	add := func(p string) {
		if key := filepath.Clean(p); !seen[key] {
			seen[key] = true
			res.Files = append(res.Files, p)
		}
	}
	for _, pat := range patterns {
		if pat == "" {
			continue
		}
		var matches []string
		if strings.ContainsAny(pat, "*?[") {
			m, gerr := filepath.Glob(pat)
			if gerr != nil || len(m) == 0 {
				switch _, err := os.Stat(pat); {
				case err == nil:
					m = []string{pat} // a name with [ or * in it
				case gerr != nil:
					return nil, fmt.Errorf("bad glob %q: %w", pat, gerr)
				default:
					return nil, fmt.Errorf("no file matches %q", pat)
				}
			}
			sortNatural(m)
			matches = m
		} else {
			matches = []string{pat}
		}
		for _, m := range matches {
			st, err := os.Stat(m)
			if err != nil {
				return nil, fmt.Errorf("input %s: %w", m, errors.Unwrap(err))
			}
			if !st.IsDir() {
				add(m)
				continue
			}
			files, ignored, err := walkDir(m)
			if err != nil {
				return nil, err
			}
			if len(files) == 0 {
				return nil, fmt.Errorf("directory %s holds no data files (%d ignored: hidden, _-prefixed, checksum, documentation or configuration files)", m, len(ignored))
			}
			for _, f := range files {
				add(f)
			}
			res.Ignored = append(res.Ignored, ignored...)
		}
	}
	return res, nil
}

// ignoredReason says why a directory walk leaves an entry out, or "" when
// it is an input.
func ignoredReason(name string, dir bool) string {
	lower := strings.ToLower(name)
	switch {
	case name == "_SUCCESS":
		return "job success marker (Spark/Hadoop)"
	case strings.HasPrefix(name, "_committed_"), strings.HasPrefix(name, "_started_"):
		return "commit marker (Databricks)"
	case name == "_metadata", name == "_common_metadata":
		return "Parquet summary metadata"
	case strings.HasSuffix(lower, ".crc"), hasAnySuffix(lower, ".md5", ".sha1", ".sha256", ".sha512"):
		return "checksum file"
	case hasAnySuffix(lower, ".md", ".markdown", ".rst", ".html", ".htm", ".pdf", ".log"):
		return "documentation or log, not data"
	case hasAnySuffix(lower, ".yaml", ".yml", ".sql"):
		return "configuration or SQL (a mapping file kept beside its export), not data"
	case strings.HasPrefix(name, "."):
		if dir {
			return "hidden folder"
		}
		return "hidden file"
	case strings.HasPrefix(name, "_"):
		if dir {
			return "folder whose name starts with _ (not data by the Spark/Hadoop convention, e.g. _temporary)"
		}
		return "name starts with _ (not data by the Spark/Hadoop convention)"
	}
	return ""
}

func walkDir(root string) (files []string, ignored []Ignored, err error) {
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("reading directory %s: %w", p, err)
		}
		if p == root {
			return nil
		}
		if why := ignoredReason(d.Name(), d.IsDir()); why != "" {
			ignored = append(ignored, Ignored{Path: p, Reason: why})
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		switch {
		case d.IsDir():
		case !d.Type().IsRegular() && d.Type()&fs.ModeSymlink == 0:
			ignored = append(ignored, Ignored{Path: p, Reason: "not a regular file (a named pipe, socket or device)"})
		default:
			files = append(files, p)
		}
		return nil
	})
	sortNatural(files)
	return files, ignored, err
}

// sortNatural sorts paths so that runs of digits compare by value.
func sortNatural(s []string) {
	sort.SliceStable(s, func(i, j int) bool { return naturalLess(s[i], s[j]) })
}

func naturalLess(a, b string) bool {
	for len(a) > 0 && len(b) > 0 {
		ca, cb := a[0], b[0]
		if isDigit(ca) && isDigit(cb) {
			na, nb := digitRun(a), digitRun(b)
			ta, tb := strings.TrimLeft(a[:na], "0"), strings.TrimLeft(b[:nb], "0")
			if len(ta) != len(tb) {
				return len(ta) < len(tb)
			}
			if ta != tb {
				return ta < tb
			}
			if na != nb {
				return na < nb
			}
			a, b = a[na:], b[nb:]
			continue
		}
		if ca != cb {
			return ca < cb
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func digitRun(s string) int {
	n := 0
	for n < len(s) && isDigit(s[n]) {
		n++
	}
	return n
}

func hasAnySuffix(s string, suffixes ...string) bool {
	for _, x := range suffixes {
		if strings.HasSuffix(s, x) {
			return true
		}
	}
	return false
}
