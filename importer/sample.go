package importer

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/groupimport/groupimport/record"
)

// RowSample keeps a uniform random sample of up to n of the rows given to
// Add (reservoir sampling, Li's algorithm L): each row of a file has the
// same chance to be kept whatever its place and however long the file, so
// inspect and init can show examples and infer types from across the whole
// file, not from its first rows. It costs a counter per row and a copy per
// kept row (about n·log(rows/n) of them), so it can watch every row of a
// large file. The sample depends only on the seed and the rows.
type RowSample struct {
	n    int
	seen int64
	rows []sampled
	rng  *rand.Rand
	w    float64 // algorithm L's weight
	next int64   // the ordinal (0-based) of the next row to keep
}

// sampled is a kept row and its ordinal among the rows offered.
type sampled struct {
	ord int64
	row record.Row
}

// NewRowSample returns an empty sample of up to n rows (at least 1).
func NewRowSample(n int, seed uint64) *RowSample {
	return &RowSample{n: max(n, 1), rng: rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))}
}

// Add offers row to the sample; a kept row is copied (it outlives its
// batch).
func (s *RowSample) Add(row *record.Row) {
	i := s.seen
	s.seen++
	switch {
	case len(s.rows) < s.n:
		s.rows = append(s.rows, sampled{i, copyRow(row)})
		if len(s.rows) == s.n {
			s.w = math.Exp(math.Log(s.uniform()) / float64(s.n))
			s.skip(i)
		}
	case i == s.next:
		s.rows[s.rng.IntN(s.n)] = sampled{i, copyRow(row)}
		s.w *= math.Exp(math.Log(s.uniform()) / float64(s.n))
		s.skip(i)
	}
}

// AddBatch offers every row of b.
func (s *RowSample) AddBatch(b *record.Batch) {
	for i := range b.Rows {
		s.Add(&b.Rows[i])
	}
}

// skip sets the next row to keep after row i.
func (s *RowSample) skip(i int64) {
	gap := math.Floor(math.Log(s.uniform()) / math.Log1p(-s.w))
	if !(gap < 1<<60) { // +Inf, or NaN when w is 1
		gap = 0
		if s.w < 1 {
			gap = 1 << 60
		}
	}
	s.next = i + int64(gap) + 1
}

// uniform returns a number in (0, 1].
func (s *RowSample) uniform() float64 { return 1 - s.rng.Float64() }

// Seen is the number of rows offered.
func (s *RowSample) Seen() int64 { return s.seen }

// Rows returns the rows kept, in the order they were offered.
func (s *RowSample) Rows() []record.Row {
	kept := slices.Clone(s.rows)
	slices.SortFunc(kept, func(a, b sampled) int { return cmp.Compare(a.ord, b.ord) })
	out := make([]record.Row, len(kept))
	for k, x := range kept {
		out[k] = x.row
	}
	return out
}

// copyRow copies row out of its batch: its values, raw text and error.
func copyRow(row *record.Row) record.Row {
	c := *row
	size := len(row.Raw)
	for _, v := range row.Values {
		size += len(v.Bytes)
	}
	arena := make([]byte, 0, size)
	clone := func(p []byte) []byte {
		if p == nil {
			return nil
		}
		start := len(arena)
		arena = append(arena, p...)
		return arena[start:len(arena):len(arena)]
	}
	c.Raw = clone(row.Raw)
	if row.Values != nil {
		c.Values = make([]record.Value, len(row.Values))
		for k, v := range row.Values {
			c.Values[k] = record.Value{Kind: v.Kind, Bytes: clone(v.Bytes)}
		}
	}
	if row.Err != nil {
		e := *row.Err
		c.Err = &e
	}
	return c
}
