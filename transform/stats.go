package transform

import (
	"sort"
	"strings"
	"time"
	"unsafe"

	"github.com/zeebo/xxh3"
)

// Value types as written into payloads, for the review report.
const (
	JSONString = iota
	JSONNumber
	JSONBoolean
	JSONObject
	JSONArray
	JSONNull
	numJSONTypes
)

// JSONTypeNames names the value types.
var JSONTypeNames = [numJSONTypes]string{"string", "number", "boolean", "object", "array", "null"}

// FieldStats describes the values one output field received.
type FieldStats struct {
	Name   string // "traits.name", "timestamp", …
	Source string // the column
	Filled int64  // messages that carry the field
	Types  [numJSONTypes]int64
	// Examples are up to three distinct values, shortened; TypeExamples
	// the first value of each type.
	Examples     []string
	TypeExamples [numJSONTypes]string
	// Dates: the range seen, and how many fall before 1990 or in the future.
	Dates                            bool
	MinDate, MaxDate                 string
	Before1990, Future, UnixEpochDay int64

	// Distinct estimates the distinct values (strings, numbers, booleans).
	Distinct *hll
	// sampled counts the values of sampled rows (see sampleWeight).
	sampled int64
	// Top counts the most frequent values (not of dates).
	Top *topK
	// Numbers summarises the numbers, Lengths the texts' lengths (bytes as
	// written, escapes included), Months the dates.
	Numbers numStats
	Lengths lenHist
	Months  *monthHist

	id uint64 // identifies the field in a payload's shape
}

// Stats describes the payloads of one kind, for the review report.
type Stats struct {
	Kind     Kind
	Messages int64
	Deletes  int64
	Fields   map[string]*FieldStats
	// Sizes counts messages by size: < 256 B, < 512 B, … < 32 KiB.
	Sizes   [8]int64
	MaxSize int
	future  string // timestamps after this (ISO) are in the future
	// countsOnly leaves out the review's statistics of values and payloads
	// (distinct and top values, spreads, dates by month, samples, shapes,
	// id checks), keeping the counts, types and examples: what the
	// benchmarks that measure their cost compare with.
	countsOnly bool

	review
}

// maxExamples is how many distinct example values a field keeps.
const maxExamples = 3

// SizeBuckets labels Stats.Sizes.
var SizeBuckets = [8]string{"< 256 B", "256–511 B", "512 B–1 KiB", "1–2 KiB", "2–4 KiB", "4–8 KiB", "8–16 KiB", "16–32 KiB"}

func newStats(kind Kind, now time.Time) *Stats {
	return &Stats{Kind: kind, Fields: map[string]*FieldStats{}, future: FormatTime(now.Add(24 * time.Hour))}
}

func (s *Stats) field(name, source string, dates bool) *FieldStats {
	f := s.Fields[name]
	if f == nil {
		f = &FieldStats{Name: name, Source: source, Dates: dates, id: xxh3.HashString(name)}
		s.Fields[name] = f
	}
	return f
}

// observe records one written JSON value, counted w times in the value
// sketches (0: not at all, see sampleWeight).
func (s *Stats) observe(f *FieldStats, v []byte, w int64) {
	if len(v) == 0 {
		return
	}
	f.Filled++
	t := JSONString
	switch c := v[0]; {
	case c == '"':
	case c == '{':
		t = JSONObject
	case c == '[':
		t = JSONArray
	case c == 't' || c == 'f':
		t = JSONBoolean
	case c == 'n':
		t = JSONNull
	default:
		t = JSONNumber
	}
	f.Types[t]++
	if f.Types[t] == 1 {
		f.TypeExamples[t] = shorten(v)
	}
	if !s.countsOnly {
		s.curShape += f.id
		f.describe(t, v, w)
	}
	if f.Dates && t == JSONString && len(v) == 26 {
		d := unsafe.String(&v[1], 24) // copied only when kept
		if f.MinDate == "" || d < f.MinDate {
			f.MinDate = strings.Clone(d)
		}
		if d > f.MaxDate {
			f.MaxDate = strings.Clone(d)
		}
		switch {
		case d < "1990":
			f.Before1990++
			if strings.HasPrefix(d, "1970-01-01") {
				f.UnixEpochDay++
			}
		case d > s.future:
			f.Future++
		}
	}
	if len(f.Examples) < maxExamples {
		for _, e := range f.Examples {
			if len(v) <= 60 && e == string(v) || len(v) > 60 && e == shorten(v) {
				return
			}
		}
		f.Examples = append(f.Examples, shorten(v))
	}
}

func shorten(v []byte) string {
	if len(v) > 60 {
		return string(v[:57]) + "…"
	}
	return string(v)
}

func (s *Stats) size(n int) {
	if n > s.MaxSize {
		s.MaxSize = n
	}
	b := 0
	for lim := 256; b < len(s.Sizes)-1 && n >= lim; lim *= 2 {
		b++
	}
	s.Sizes[b]++
}

// Merge adds o into s. The statistics of a run are deterministic when the
// parts are merged in input order (each batch's, see Builder.TakeBatchStats):
// the first examples and samples are those of the first rows, and the
// sketches are those of the input read in order.
func (s *Stats) Merge(o *Stats) {
	s.mergeReview(o)
	s.Messages += o.Messages
	s.Deletes += o.Deletes
	for i := range s.Sizes {
		s.Sizes[i] += o.Sizes[i]
	}
	s.MaxSize = max(s.MaxSize, o.MaxSize)
	for name, of := range o.Fields {
		f := s.field(name, of.Source, of.Dates)
		f.Filled += of.Filled
		for i := range f.Types {
			if f.Types[i] == 0 {
				f.TypeExamples[i] = of.TypeExamples[i]
			}
			f.Types[i] += of.Types[i]
		}
		for _, e := range of.Examples {
			if len(f.Examples) >= maxExamples {
				break
			}
			dup := false
			for _, x := range f.Examples {
				dup = dup || x == e
			}
			if !dup {
				f.Examples = append(f.Examples, e)
			}
		}
		if of.MinDate != "" && (f.MinDate == "" || of.MinDate < f.MinDate) {
			f.MinDate = of.MinDate
		}
		if of.MaxDate > f.MaxDate {
			f.MaxDate = of.MaxDate
		}
		f.Before1990 += of.Before1990
		f.Future += of.Future
		f.UnixEpochDay += of.UnixEpochDay
		f.mergeValues(of)
	}
}

// Sorted returns the fields by name, identifiers first.
func (s *Stats) Sorted() []*FieldStats {
	out := make([]*FieldStats, 0, len(s.Fields))
	for _, f := range s.Fields {
		out = append(out, f)
	}
	rank := func(n string) int {
		switch {
		case !strings.HasPrefix(n, "traits."):
			return 0
		case strings.HasPrefix(n, "traits.relationshipAttributes."):
			return 2
		}
		return 1
	}
	sort.Slice(out, func(i, j int) bool {
		ri, rj := rank(out[i].Name), rank(out[j].Name)
		if ri != rj {
			return ri < rj
		}
		return out[i].Name < out[j].Name
	})
	return out
}
