package pipeline

import (
	"sort"
	"strings"
	"time"

	"github.com/groupimport/groupimport/record"
	"github.com/groupimport/groupimport/transform"
)

// FileResult is what happened to one input file.
type FileResult struct {
	Path        string         `json:"path"`
	Kind        transform.Kind `json:"kind"`
	Format      string         `json:"format"`
	Compression string         `json:"compression,omitempty"`
	Read        int64          `json:"read"`
	Emitted     int64          `json:"emitted"`
	Rejected    int64          `json:"rejected"`
	Skipped     int64          `json:"skipped_unchanged"`
	Superseded  int64          `json:"superseded"`
	Deleted     int64          `json:"deleted"`
	DurationMS  int64          `json:"duration_ms"`
	Error       string         `json:"error,omitempty"`
	// Unkeyed counts the rejected rows whose key could not be read (a
	// wrong field count, a missing or unreadable id).
	Unkeyed int64 `json:"-"`

	started time.Time
	// the reader's warnings about the file (importer.Warner), set by the
	// reading goroutine and counted in Result.Warnings when the run ends
	warnings map[string]int64
	// the row ordinals of the file: [ordFirst, ordEnd)
	ordFirst, ordEnd int64
	seen             bool
}

// Result is what a run did.
type Result struct {
	Files      []*FileResult
	Read       int64
	Emitted    int64
	Rejected   int64
	Skipped    int64
	Superseded int64
	Deleted    int64
	FileErrors int
	// Unkeyed counts the rejected rows whose key could not be read: the
	// run cannot tell which object or relationship they were about.
	Unkeyed int64
	// Scope lists, per class of key, the object types seen (with
	// Config.Scope).
	Scope map[Class]map[string]bool
	// Stats describes the payloads per kind, when the transformers collect
	// statistics.
	Stats         map[transform.Kind]*transform.Stats
	Warnings      map[string]int64
	RejectReasons map[string]int64
	FirstRejects  []record.Reject
	// Stopped says why the run ended early ("" when it did not).
	Stopped string
}

// FileOf returns the index in Files of the file that held the row with
// the given ordinal, or -1.
func (r *Result) FileOf(ordinal int64) int {
	for i, f := range r.Files {
		if f.seen && ordinal >= f.ordFirst && ordinal < f.ordEnd {
			return i
		}
	}
	return -1
}

// Ordinals returns the row ordinals of file i, [first, end); ok is false
// when the file gave no rows.
func (r *Result) Ordinals(i int) (first, end int64, ok bool) {
	f := r.Files[i]
	return f.ordFirst, f.ordEnd, f.seen
}

// SortedReasons returns reject reasons by count, most frequent first.
func (r *Result) SortedReasons() []ReasonCount {
	out := make([]ReasonCount, 0, len(r.RejectReasons))
	for k, v := range r.RejectReasons {
		out = append(out, ReasonCount{k, v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Reason < out[j].Reason
	})
	return out
}

// ReasonCount is a reject reason and how often it occurred.
type ReasonCount struct {
	Reason string `json:"reason"`
	Count  int64  `json:"count"`
}

// ReasonClass groups rejects for counting: the column and the reason with
// quoted values and numbers elided, so `"abc" is not an integer` and
// `"N/A" is not an integer` count as one reason.
func ReasonClass(column, reason string) string {
	var b strings.Builder
	if column != "" {
		b.WriteString(column)
		b.WriteString(": ")
	}
	inQuote, inDigits := false, false
	for i := 0; i < len(reason); i++ {
		c := reason[i]
		switch {
		case inQuote:
			if c == '\\' {
				i++
			} else if c == '"' {
				inQuote = false
				b.WriteString(`…"`)
			}
		case c == '"':
			inQuote = true
			b.WriteByte('"')
		case c >= '0' && c <= '9':
			if !inDigits {
				b.WriteByte('N')
			}
			inDigits = true
			continue
		default:
			b.WriteByte(c)
		}
		inDigits = false
	}
	return b.String()
}
