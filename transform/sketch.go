package transform

import (
	"math"
	"math/bits"
	"slices"
	"strconv"
	"unsafe"
)

// The small summaries of the review's per-field statistics. Each is filled
// per batch of rows and merged in batch order (Stats.Merge), so a run
// describes its payloads the same way whatever its workers did.

// hllP is the precision of the distinct-count sketch: 2^11 registers of a
// byte (small enough to stay in the processor's first cache with a
// register set per field), a standard error of about 2.3%.
const hllP = 11

// hll is a HyperLogLog sketch of 64-bit hashes (merge: the larger register).
//
// floor is at most the smallest register (registers only grow): a hash
// whose rank is no more than floor changes nothing and is not looked up.
// Once every register is set (some 16,000 distinct values) that is most
// hashes (1 − 2^−floor), and the register, a random byte of 2 KiB a
// field, was the statistics' most frequent cache miss.
type hll struct {
	floor  uint8
	raised uint8 // registers raised since floor was computed (mod 256)
	reg    [1 << hllP]uint8
}

func (h *hll) add(x uint64) {
	if rho := hllRank(x); rho > h.floor {
		h.update(x>>(64-hllP), rho)
	}
}

// hllRank is the rank of a hash: 1 + the leading zeros past its register's bits.
func hllRank(x uint64) uint8 { return uint8(bits.LeadingZeros64(x<<hllP|1<<(hllP-1))) + 1 }

// update raises register idx to rho if lower.
func (h *hll) update(idx uint64, rho uint8) {
	if rho > h.reg[idx] {
		h.reg[idx] = rho
		if h.raised++; h.raised == 0 {
			h.refloor()
		}
	}
}

// refloor sets floor to the smallest register.
func (h *hll) refloor() {
	h.floor = slices.Min(h.reg[:])
}

func (h *hll) merge(o *hll) {
	for i, r := range o.reg {
		if r > h.reg[i] {
			h.reg[i] = r
		}
	}
}

// estimate returns the number of distinct hashes added (linear counting
// while registers are empty, which is close to exact for small sets).
func (h *hll) estimate() int64 {
	const m = float64(1 << hllP)
	sum, zeros := 0.0, 0
	for _, r := range h.reg {
		sum += 1 / float64(uint64(1)<<r)
		if r == 0 {
			zeros++
		}
	}
	e := 0.7213 / (1 + 1.079/m) * m * m / sum
	if e <= 2.5*m && zeros > 0 {
		e = m * math.Log(m/float64(zeros))
	}
	return int64(e + 0.5)
}

// topK counts the most frequent values (Misra-Gries, its decrements
// batched): up to 2k counters; when a value finds them all taken, the
// (k+1)-th largest count is taken from every counter (those left at zero
// or less are dropped, k at most remain) and the value takes a free one:
// one sort per k new values rather than a pass over every counter per
// value. A count is a lower bound, short of the truth by at most n/(k+1);
// with at most 2k distinct values every count is exact (exact stays set).
type topK struct {
	k       int
	entries []tkEntry
	index   []uint16 // open addressing: hash → entry index + 1
	arena   []byte   // the values' text
	// exact is false once a counter was ever taken away (or values were
	// left uncounted): the counts are then lower bounds.
	exact bool
	// seen and hits count the values of this batch and those that found
	// their counter, to stop early on values that never repeat.
	seen, hits int
	stopped    bool
	// spare buffers of shrink and compact, reused
	spare struct {
		entries []tkEntry
		arena   []byte
		counts  []int64
	}
}

type tkEntry struct {
	hash     uint64
	count    int64
	off, len int32
}

// A field whose first stopAfter values of a batch repeat fewer than
// stopHits times (ids, names, free text) is not counted further in that
// batch: it has no top values worth showing, and counting them is the
// most expensive part of the statistics.
const (
	stopAfter = 128
	stopHits  = 4
)

func newTopK(k int) *topK {
	n := 4
	for n < 4*k { // at most half full with 2k counters
		n <<= 1
	}
	return &topK{k: k, index: make([]uint16, n), exact: true}
}

// take returns the counters of t (nil when there are none), to be merged
// into others (the copy has no index, so counts nothing itself), and
// empties t, keeping its memory for the next batch.
func (t *topK) take() *topK {
	if t == nil || len(t.entries) == 0 && t.exact {
		if t != nil {
			t.reset()
		}
		return nil
	}
	cp := &topK{k: t.k, entries: slices.Clone(t.entries), arena: slices.Clone(t.arena), exact: t.exact}
	t.reset()
	return cp
}

func (t *topK) reset() {
	clear(t.index)
	t.entries, t.arena = t.entries[:0], t.arena[:0]
	t.exact, t.seen, t.hits, t.stopped = true, 0, 0, false
}

func (t *topK) slot(h uint64) (int, bool) {
	mask := len(t.index) - 1
	for i := int(h) & mask; ; i = (i + 1) & mask {
		e := t.index[i]
		if e == 0 {
			return i, false
		}
		if t.entries[e-1].hash == h {
			return i, true
		}
	}
}

// add counts one value (its hash and text) w times; stoppable lets a
// batch stop counting a field whose values do not repeat. It reports
// whether the value had a counter already (then it was seen before in
// this batch). A count of more than one (a sampled row) makes the counts
// estimates, not exact.
func (t *topK) add(h uint64, v []byte, stoppable bool, w int64) bool {
	if t.stopped {
		return false
	}
	if w > 1 {
		t.exact = false
	}
	t.seen++
	i, ok := t.slot(h)
	if ok {
		t.entries[t.index[i]-1].count += w
		t.hits++
		return true
	}
	if stoppable && t.seen == stopAfter && t.hits < stopHits {
		t.stopped, t.exact = true, false
		return false
	}
	if len(t.entries) >= 2*t.k {
		t.compact()
		i, _ = t.slot(h)
	}
	t.insert(i, h, v, w)
	return false
}

func (t *topK) insert(slot int, h uint64, v []byte, n int64) {
	off := len(t.arena)
	if len(v) > maxShown {
		t.arena = append(t.arena, shortenText(v)...)
	} else {
		t.arena = append(t.arena, v...)
	}
	t.entries = append(t.entries, tkEntry{hash: h, count: n, off: int32(off), len: int32(len(t.arena) - off)})
	t.index[slot] = uint16(len(t.entries))
}

// shrink takes d from every counter and drops those left at zero or less
// (into the spare buffers, which the old ones become).
func (t *topK) shrink(d int64) {
	old, oldArena := t.entries, t.arena
	t.entries, t.arena = t.spare.entries[:0], t.spare.arena[:0]
	clear(t.index)
	for _, e := range old {
		if e.count -= d; e.count > 0 {
			i, _ := t.slot(e.hash)
			t.insert(i, e.hash, oldArena[e.off:e.off+e.len], e.count)
		}
	}
	t.spare.entries, t.spare.arena = old, oldArena
}

func (t *topK) text(e tkEntry) []byte { return t.arena[e.off : e.off+e.len] }

// merge adds o's counters (a later part of the input) and keeps the k
// largest, less the (k+1)-th largest count: the summary of both parts.
func (t *topK) merge(o *topK) {
	if o == nil {
		return
	}
	t.exact = t.exact && o.exact
	for _, e := range o.entries {
		i, ok := t.slot(e.hash)
		if ok {
			t.entries[t.index[i]-1].count += e.count
			continue
		}
		if len(t.entries) >= 2*t.k {
			t.compact()
			i, _ = t.slot(e.hash)
		}
		t.insert(i, e.hash, o.text(e), e.count)
	}
	if len(t.entries) > t.k {
		t.compact()
	}
}

// compact keeps the k largest counters, less the (k+1)-th largest count.
func (t *topK) compact() {
	if len(t.entries) <= t.k {
		return
	}
	counts := t.spare.counts[:0]
	for _, e := range t.entries {
		counts = append(counts, e.count)
	}
	slices.Sort(counts)
	t.spare.counts = counts
	t.exact = false
	t.shrink(counts[len(counts)-1-t.k])
}

// top returns the n largest counters, largest first (ties by text).
func (t *topK) top(n int) []ValueCount {
	out := make([]ValueCount, 0, len(t.entries))
	for _, e := range t.entries {
		out = append(out, ValueCount{Value: string(t.text(e)), Count: e.count})
	}
	slices.SortFunc(out, func(a, b ValueCount) int {
		if a.Count != b.Count {
			return int(b.Count - a.Count)
		}
		if a.Value < b.Value {
			return -1
		}
		if a.Value > b.Value {
			return 1
		}
		return 0
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// ValueCount is a value and how many payloads carry it.
type ValueCount struct {
	Value string
	Count int64
}

// maxShown is the length a value is shortened to for the review.
const maxShown = 60

// numStats summarises the JSON numbers of a field.
type numStats struct {
	N        int64
	Min, Max float64
	Sum      float64
}

// add counts the number v w times.
func (s *numStats) add(v []byte, w int64) {
	f, ok := statDecimal(v)
	if !ok {
		var err error
		if f, err = strconv.ParseFloat(unsafe.String(&v[0], len(v)), 64); err != nil {
			return
		}
	}
	if s.N == 0 || f < s.Min {
		s.Min = f
	}
	if s.N == 0 || f > s.Max {
		s.Max = f
	}
	s.N += w
	s.Sum += f * float64(w)
}

func (s *numStats) merge(o *numStats) {
	if o.N == 0 {
		return
	}
	if s.N == 0 || o.Min < s.Min {
		s.Min = o.Min
	}
	if s.N == 0 || o.Max > s.Max {
		s.Max = o.Max
	}
	s.N += o.N
	s.Sum += o.Sum
}

// statDecimal reads a JSON number of up to 18 digits without exponent
// (the common case, in one pass and without strconv's cost): the digits
// as one integer, divided by the power of ten of the fraction's length
// (both exact in a float64, so the quotient is correctly rounded).
func statDecimal(v []byte) (float64, bool) {
	i := 0
	if len(v) > 0 && v[0] == '-' {
		i = 1
	}
	var n uint64
	digits, frac := 0, -1 // frac: digits after the point, -1 without one
	for ; i < len(v); i++ {
		c := v[i]
		switch {
		case c >= '0' && c <= '9':
			n = n*10 + uint64(c-'0')
			digits++
			if frac >= 0 {
				frac++
			}
		case c == '.' && frac < 0 && digits > 0:
			frac = 0
		default:
			return 0, false
		}
	}
	if digits == 0 || digits > 18 || frac == 0 {
		return 0, false
	}
	f := float64(n)
	if frac > 0 {
		f /= pow10[frac]
	}
	if v[0] == '-' {
		f = -f
	}
	return f, true
}

var pow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19}

// lenHist counts text lengths in bytes: one bucket per length below 64,
// then one per power of two. A length below 64 is one increment (the
// count, shortest and longest follow from the buckets); only longer
// texts keep their exact extremes.
type lenHist struct {
	Counts           [lenBuckets]int64
	longMin, longMax int // of the lengths of 64 and more (when counted)
}

const lenBuckets = 64 + 10

func lenBucket(n int) int {
	if n < 64 {
		return n
	}
	b := 64 + bits.Len(uint(n)) - 7 // 64–127 → 64, 128–255 → 65, …
	return min(b, lenBuckets-1)
}

// lenBucketLow is the smallest length of a bucket.
func lenBucketLow(b int) int {
	if b < 64 {
		return b
	}
	return 1 << (b - 64 + 6)
}

func (l *lenHist) add(n int) {
	if n < 64 {
		l.Counts[n]++
		return
	}
	l.addLong(n)
}

func (l *lenHist) addLong(n int) {
	if !l.hasLong() || n < l.longMin {
		l.longMin = n
	}
	l.longMax = max(l.longMax, n)
	l.Counts[lenBucket(n)]++
}

func (l *lenHist) hasLong() bool {
	for _, c := range l.Counts[64:] {
		if c > 0 {
			return true
		}
	}
	return false
}

func (l *lenHist) merge(o *lenHist) {
	if o.hasLong() {
		if !l.hasLong() || o.longMin < l.longMin {
			l.longMin = o.longMin
		}
		l.longMax = max(l.longMax, o.longMax)
	}
	for i, c := range o.Counts {
		l.Counts[i] += c
	}
}

// n is the number of lengths counted.
func (l *lenHist) n() int64 {
	var n int64
	for _, c := range l.Counts {
		n += c
	}
	return n
}

// min is the shortest length (0 when none).
func (l *lenHist) min() int {
	for b, c := range l.Counts[:64] {
		if c > 0 {
			return b
		}
	}
	return l.longMin
}

// max is the longest length (0 when none).
func (l *lenHist) max() int {
	if l.hasLong() {
		return l.longMax
	}
	for b := 63; b > 0; b-- {
		if l.Counts[b] > 0 {
			return b
		}
	}
	return 0
}

// median returns the median length: exact below 64 bytes, else the
// smallest length of its bucket.
func (l *lenHist) median() int {
	half := (l.n() + 1) / 2
	var acc int64
	for b, c := range l.Counts {
		if acc += c; acc >= half {
			return max(lenBucketLow(b), l.min())
		}
	}
	return l.max()
}

// Dates are counted by month from firstYear to lastYear; others apart.
const (
	firstYear = 1900
	lastYear  = 2099
)

// monthHist counts dates by month.
type monthHist struct {
	Counts       [(lastYear - firstYear + 1) * 12]int64
	Before, From int64 // before firstYear, after lastYear
}

// add counts an ISO date "YYYY-MM-…".
func (m *monthHist) add(d []byte) {
	if len(d) < 7 {
		return
	}
	m.addYM(d[0], d[1], d[2], d[3], d[5], d[6])
}

// addWord counts a date by its first eight bytes read big-endian
// ("YYYY-MM-", the first word of its dateKey): as add, without reading
// the text again.
func (m *monthHist) addWord(k uint64) {
	m.addYM(byte(k>>56), byte(k>>48), byte(k>>40), byte(k>>32), byte(k>>16), byte(k>>8))
}

// addYM counts the month of the year y1y2y3y4, month m1m2 (digits).
func (m *monthHist) addYM(y1, y2, y3, y4, m1, m2 byte) {
	y := int(y1-'0')*1000 + int(y2-'0')*100 + int(y3-'0')*10 + int(y4-'0')
	mo := int(m1-'0')*10 + int(m2-'0')
	switch {
	case mo < 1 || mo > 12:
	case y < firstYear:
		m.Before++
	case y > lastYear:
		m.From++
	default:
		m.Counts[(y-firstYear)*12+mo-1]++
	}
}

func (m *monthHist) merge(o *monthHist) {
	for i, c := range o.Counts {
		m.Counts[i] += c
	}
	m.Before += o.Before
	m.From += o.From
}
