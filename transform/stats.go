package transform

import (
	"encoding/binary"
	"sort"
	"strings"
	"time"

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
	minKey, maxKey                   dateKey // MinDate and MaxDate, while observing

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
	// timestamps after futureKey (an ISO time) are in the future
	futureKey dateKey
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
	future := FormatTime(now.Add(24 * time.Hour))
	return &Stats{Kind: kind, Fields: map[string]*FieldStats{}, futureKey: dateKeyOf([]byte(future))}
}

func (s *Stats) field(name, source string, dates bool) *FieldStats {
	f := s.Fields[name]
	if f == nil {
		f = &FieldStats{Name: name, Source: source, Dates: dates, id: xxh3.HashString(name)}
		s.Fields[name] = f
	}
	return f
}

// observePayload counts the values of a payload just built (dst), its
// fields by observation; w is the weight of the row in the sampled
// sketches (0: not at all, see sampleWeight).
//
// Every value of every row passes here (20 a company of bench/gen), so
// the rows not sampled (w 0, most of a large file) take a loop of their
// own that makes no call in its common case: their values count their
// type, shape, length and distinct value (and a date's range and month),
// and nothing else. A value of a new type or of a sampled row takes observe. The
// review's statistics were a third of a dry run's CPU time at a chain of
// calls per value, most of it calls, spills and the value's hash (see
// BenchmarkStats1MOverhead).
func (s *Stats) observePayload(obs []observation, fields []*FieldStats, dst []byte, w int64) {
	if w != 0 || s.countsOnly {
		for _, o := range obs {
			if f := fields[o.idx]; f != nil && o.end > o.start {
				s.observe(f, dst[o.start:o.end], w)
			}
		}
		return
	}
	shape := s.curShape // in a register: s.curShape was a load and a store a value
	for i := range obs {
		o := &obs[i]
		if o.end <= o.start {
			continue
		}
		f := fields[o.idx]
		if f == nil {
			continue
		}
		v := dst[o.start:o.end:o.end]
		t := jsonTypeOf[v[0]]
		if f.Types[t] == 0 {
			s.curShape = shape
			s.observe(f, v, 0)
			shape = s.curShape
			continue
		}
		f.Filled++
		f.Types[t]++
		shape += f.id
		hv, plus := v, uint64(1) // a number as written, +1: not the hash of the text "…"
		switch t {
		case JSONString:
			hv, plus = v[1:len(v)-1], 0
			f.Lengths.add(len(hv))
			if f.Dates { // as observe does, without its call and general hash
				if len(v) == 26 {
					k := dateKeyOf(hv)
					s.dateKey(f, k, hv)
					f.months().addWord(k[0])
				} else {
					f.months().add(hv)
				}
			}
		case JSONNumber:
		default:
			continue
		}
		var h uint64 // valueHash(hv) + plus, its common cases written out
		switch n := len(hv); {
		case n > 16:
			h = valueHashOther(hv) + plus
		case n >= 8:
			h = hashShort(load64(hv, 0), load64(hv, n-8), n) + plus
		case n >= 4:
			h = hashShort(uint64(load32(hv, 0)), uint64(load32(hv, n-4)), n) + plus
		default:
			h = valueHashOther(hv) + plus
		}
		// hll.add written out: most hashes stop at the floor
		if d := f.distinct(); hllRank(h) > d.floor {
			d.update(h>>(64-hllP), hllRank(h))
		}
	}
	s.curShape = shape
}

// observe counts one value (of a row of weight w) in f.
func (s *Stats) observe(f *FieldStats, v []byte, w int64) {
	t := jsonTypeOf[v[0]]
	f.Filled++
	if f.Types[t]++; f.Types[t] == 1 {
		f.TypeExamples[t] = shorten(v)
	}
	if len(f.Examples) < maxExamples && w != 0 { // examples from the rows described in full
		f.example(v)
	}
	if f.Dates && t == JSONString && len(v) == 26 {
		s.date(f, v)
	}
	if s.countsOnly {
		return
	}
	s.curShape += f.id
	var h uint64
	switch t {
	case JSONString:
		hv := v[1 : len(v)-1]
		f.Lengths.add(len(hv))
		if f.Dates {
			f.months().add(hv)
		}
		h = valueHash(hv)
	case JSONNumber:
		if w > 0 {
			f.Numbers.add(v, w)
		}
		h = valueHash(v) + 1 // +1: not the hash of the text "…"
	case JSONBoolean:
		if w > 0 {
			h := hashFalse
			if v[0] == 't' {
				h = hashTrue
			}
			f.count(h, v, false, w)
		}
		return
	default:
		return
	}
	if w == 0 {
		f.distinct().add(h)
	} else {
		f.count(h, v, true, w)
	}
}

// jsonTypeOf is the type of a JSON value by its first byte.
var jsonTypeOf = func() (t [256]uint8) {
	for c := range t {
		switch c {
		case '"':
			t[c] = JSONString
		case '{':
			t[c] = JSONObject
		case '[':
			t[c] = JSONArray
		case 't', 'f':
			t[c] = JSONBoolean
		case 'n':
			t[c] = JSONNull
		default:
			t[c] = JSONNumber
		}
	}
	return t
}()

// example keeps v as an example when it is new.
func (f *FieldStats) example(v []byte) {
	for _, e := range f.Examples {
		if len(v) <= 60 && e == string(v) || len(v) > 60 && e == shorten(v) {
			return
		}
	}
	f.Examples = append(f.Examples, shorten(v))
}

// date counts a date (v: "YYYY-MM-DDTHH:MM:SS.mmmZ", quoted), compared
// as three big-endian words (a string comparison was a call per compare).
func (s *Stats) date(f *FieldStats, v []byte) {
	s.dateKey(f, dateKeyOf(v[1:25]), v[1:25])
}

// dateKey counts the date d (24 bytes, unquoted) of key k.
func (s *Stats) dateKey(f *FieldStats, k dateKey, d []byte) {
	if f.MinDate == "" || k.less(f.minKey) {
		f.MinDate, f.minKey = string(d[:24]), k
	}
	if f.MaxDate == "" || f.maxKey.less(k) {
		f.MaxDate, f.maxKey = string(d[:24]), k
	}
	switch {
	case k[0]>>32 < year1990: // before "1990"
		f.Before1990++
		if k[0] == epochDay[0] && k[1]>>48 == epochDay[1]>>48 { // "1970-01-01"
			f.UnixEpochDay++
		}
	case s.futureKey.less(k):
		f.Future++
	}
}

// dateKey is an ISO time's 24 bytes as big-endian words: ordered as the text.
type dateKey [3]uint64

func dateKeyOf(d []byte) dateKey {
	_ = d[23]
	return dateKey{binary.BigEndian.Uint64(d), binary.BigEndian.Uint64(d[8:]), binary.BigEndian.Uint64(d[16:])}
}

func (a dateKey) less(b dateKey) bool {
	if a[0] != b[0] {
		return a[0] < b[0]
	}
	if a[1] != b[1] {
		return a[1] < b[1]
	}
	return a[2] < b[2]
}

var (
	year1990 = uint64(binary.BigEndian.Uint32([]byte("1990")))
	epochDay = dateKeyOf([]byte("1970-01-01T00:00:00.000Z"))
)

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
