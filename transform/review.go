package transform

import (
	"bytes"
	"encoding/binary"
	"slices"
	"unicode/utf8"

	"github.com/zeebo/xxh3"
	"golang.org/x/text/unicode/norm"

	"github.com/groupimport/groupimport/record"
)

// What the review shows beyond the per-field counts: sample payloads and
// their shapes, the ids that look wrong, the memberships whose object is
// nowhere, the persons with the most memberships. Builders fill it per
// batch (TakeBatchStats hands each batch's part on); the parts are merged
// in input order.

// Review limits.
const (
	maxSamples    = 3     // first payloads of a kind
	maxShapes     = 1000  // shapes counted; past them only "more"
	maxIDExamples = 10    // first rows of each id check
	maxOrphanRows = 20    // first orphan memberships
	maxOrphanKeys = 10000 // objects counted one by one (for the state's check)
	maxChangers   = 10000 // ids with capitals or non-ASCII letters compared
	topValues     = 64    // counters of a field's top values
	topPersons    = 1024  // counters of the persons with most memberships
)

// review is the part of Stats that describes whole payloads.
type review struct {
	// Samples are the first payloads (without the newline).
	Samples [][]byte
	// Shapes are the distinct sets of fields, in order of first use;
	// ShapesOverflow is set when there were more than maxShapes.
	Shapes         []*Shape
	shapeIndex     map[uint64]*Shape
	lastShape      *Shape
	ShapesOverflow bool
	OtherShapeRows int64
	curShape       uint64
	// NameLike are groupIds that look like names; Spaced groupIds with
	// white space around them.
	NameLike, Spaced IDCheck
	// changers are the ids that case folding or NFC changes.
	changers        []changer
	ChangersDropped int64
	// keys are the objects of this batch (companies), for ReviewKeys.
	keys []uint64
	// Orphans are the memberships whose object this run's companies lack.
	Orphans Orphans
	// Persons counts the memberships per person.
	Persons *topK
}

// Shape is a set of fields and the payloads that carry exactly those.
type Shape struct {
	Fields  []string
	Count   int64
	Example []byte
	key     uint64
}

// IDCheck counts the ids that failed a check, with the first rows.
type IDCheck struct {
	N     int64
	First []Example
}

// Example is a value and where it came from.
type Example struct {
	Value   string
	ObjType string
	File    string
	Line    int64
	Row     int64
	key     [16]byte
}

// Orphans are memberships whose object is not among the run's companies.
type Orphans struct {
	N     int64
	First []Example
	// ByKey counts them by object (at most maxOrphanKeys; Overflow is set
	// past that), so that those the state knows can be taken out.
	ByKey    map[[16]byte]int64
	Overflow bool
}

type changer struct {
	fold, raw uint64 // object keys (fingerprints) of the folded and raw id
	folded    string
	ex        Example
}

// CaseVariants returns the groups of ids that differ only by case or
// Unicode normalisation (NFC/NFD), in order of first appearance: ids of
// companies with capitals or non-ASCII letters compared with each other
// and, with rk, with every object of the run (an id already in lower case
// and NFC is then shown by its text alone, without a row). Only the
// first maxChangers such ids are compared (ChangersDropped counts the
// others).
func (s *Stats) CaseVariants(rk *ReviewKeys) [][]Example {
	type group struct {
		raws map[uint64]bool
		ids  []Example
		fold string
	}
	byFold := map[uint64]*group{}
	var order []uint64
	for _, c := range s.changers {
		g := byFold[c.fold]
		if g == nil {
			g = &group{raws: map[uint64]bool{}, fold: c.folded}
			byFold[c.fold] = g
			order = append(order, c.fold)
		}
		if !g.raws[c.raw] {
			g.raws[c.raw] = true
			g.ids = append(g.ids, c.ex)
		}
	}
	var out [][]Example
	for _, fold := range order {
		g := byFold[fold]
		if rk != nil && rk.Companies && rk.Exact() && rk.Known(fold) {
			g.ids = append([]Example{{Value: g.fold, ObjType: g.ids[0].ObjType}}, g.ids...)
		}
		if len(g.ids) > 1 {
			out = append(out, g.ids)
		}
	}
	return out
}

func (c *IDCheck) add(ex Example) {
	c.N++
	if len(c.First) < maxIDExamples {
		c.First = append(c.First, ex)
	}
}

func (c *IDCheck) merge(o *IDCheck) {
	c.N += o.N
	for _, ex := range o.First {
		if len(c.First) < maxIDExamples {
			c.First = append(c.First, ex)
		}
	}
}

// The top values and numbers of a field describe every row of a file up
// to describeAll, then one row in describeEvery, weighing describeEvery:
// counting and parsing were most of the statistics' cost, a quarter of a
// dry run's CPU time on 1M companies of bench/gen (20 values a row). A
// row described in full costs ~5,000 instructions there; one in 32 rather
// than 8 saved 0.43 G of the review's 5.1 G (cachegrind) and still
// describes ~29,000 of its rows, enough for the top values and means
// (marked ≈) to read the same. The
// distinct values (hashed once, a HyperLogLog; a sample would not tell
// how many values it missed), counts, types, examples, date ranges,
// lengths, months and shapes stay over every row.
const (
	describeAll       = 1 << 16
	describeEveryBits = 5
	describeEvery     = 1 << describeEveryBits
)

// sampleWeight is the weight of a row's values in the value sketches. The
// rows sampled are picked by a hash of their number (one in
// describeEvery), not every describeEvery-th: values that repeat with the
// period of the rows would otherwise be seen as one.
func sampleWeight(rowNum int64) int64 {
	switch {
	case rowNum <= describeAll:
		return 1
	case uint64(rowNum)*0x9e3779b97f4a7c15>>(64-describeEveryBits) == 0: // the top bits: 1 in describeEvery
		return describeEvery
	}
	return 0
}

// the hashes of the booleans' texts (+1, as numbers')
var hashTrue, hashFalse = valueHash([]byte("true")) + 1, valueHash([]byte("false")) + 1

// count adds a value to the top values and the distinct-value sketch: a
// value that found its counter was added to the sketch when it took it
// (the sketch counts a value once however often it is added).
// A value left out of the top values (w 0) is still added to the sketch.
func (f *FieldStats) count(h uint64, v []byte, stoppable bool, w int64) {
	if w > 1 {
		f.sampled++
	}
	if w == 0 || !f.top().add(h, v, stoppable, w) {
		f.distinct().add(h)
	}
}

func (f *FieldStats) distinct() *hll {
	if f.Distinct == nil {
		f.Distinct = &hll{}
	}
	return f.Distinct
}

func (f *FieldStats) months() *monthHist {
	if f.Months == nil {
		f.Months = &monthHist{}
	}
	return f.Months
}

func (f *FieldStats) top() *topK {
	if f.Top == nil {
		f.Top = newTopK(topValues)
	}
	return f.Top
}

// mergeValues adds the value summaries of of (a later part) into f.
func (f *FieldStats) mergeValues(of *FieldStats) {
	if of.Distinct != nil {
		f.distinct().merge(of.Distinct)
	}
	f.sampled += of.sampled
	if of.Top != nil {
		f.top().merge(of.Top)
	}
	f.Numbers.merge(&of.Numbers)
	f.Lengths.merge(&of.Lengths)
	if of.Months != nil {
		if f.Months == nil {
			f.Months = &monthHist{}
		}
		f.Months.merge(of.Months)
	}
}

// DistinctCount returns the number of distinct values: exact when the
// top-value counters never ran out (exact is then true), else an estimate
// (HyperLogLog, about 2.3% off).
func (f *FieldStats) DistinctCount() (n int64, exact bool) {
	if f.Top != nil && f.Top.exact {
		return int64(len(f.Top.entries)), true
	}
	if f.Distinct == nil {
		return 0, true
	}
	return f.Distinct.estimate(), false
}

// Sampled reports whether the field's top values and numbers come partly
// from a sample of its rows (see describeAll): their counts, mean and
// range are then estimates.
func (f *FieldStats) Sampled() bool { return f.sampled > 0 }

// TopValues returns the n most frequent values (as written, JSON) and
// whether their counts are exact (else lower bounds).
func (f *FieldStats) TopValues(n int) ([]ValueCount, bool) {
	if f.Top == nil {
		return nil, true
	}
	return f.Top.top(n), f.Top.exact
}

// LengthSpread returns the shortest, median and longest text (bytes).
func (f *FieldStats) LengthSpread() (lo, median, hi int, ok bool) {
	if f.Lengths.n() == 0 {
		return 0, 0, 0, false
	}
	return f.Lengths.min(), f.Lengths.median(), f.Lengths.max(), true
}

// NumberSpread returns the smallest, mean and largest number.
func (f *FieldStats) NumberSpread() (lo, mean, hi float64, n int64) {
	s := f.Numbers
	if s.N == 0 {
		return 0, 0, 0, 0
	}
	return s.Min, s.Sum / float64(s.N), s.Max, s.N
}

// DateCount is a count of dates of a period ("2024", "2024-05").
type DateCount struct {
	Period string
	Count  int64
}

// DateHistogram counts the dates by month when they span less than three
// years, else by year, or by decade past forty years, from the first to the last period with dates;
// dates before 1900 or after 2099 are counted in the first and last.
func (f *FieldStats) DateHistogram() []DateCount {
	m := f.Months
	if m == nil {
		return nil
	}
	first, last := -1, -1
	for i, c := range m.Counts {
		if c > 0 {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	var out []DateCount
	if m.Before > 0 {
		out = append(out, DateCount{"before 1900", m.Before})
	}
	if first >= 0 {
		years := last/12 - first/12
		for i := first; i <= last; i++ {
			y, mo := firstYear+i/12, i%12+1
			switch {
			case years < 3:
				out = append(out, DateCount{fmtPeriod(y, mo), m.Counts[i]})
			case years < 40 && (mo == 1 || i == first):
				out = append(out, DateCount{fmtPeriod(y, 0), m.Counts[i]})
			case years >= 40 && (mo == 1 && y%10 == 0 || i == first):
				out = append(out, DateCount{fmtPeriod(y-y%10, 0) + "s", m.Counts[i]})
			default:
				out[len(out)-1].Count += m.Counts[i]
			}
		}
	}
	if m.From > 0 {
		out = append(out, DateCount{"after 2099", m.From})
	}
	return out
}

func fmtPeriod(y, mo int) string {
	b := []byte{byte('0' + y/1000), byte('0' + y/100%10), byte('0' + y/10%10), byte('0' + y%10)}
	if mo > 0 {
		b = append(b, '-', byte('0'+mo/10), byte('0'+mo%10))
	}
	return string(b)
}

// TakeBatchStats hands on the statistics of the rows built since the last
// call (nil without Config.CollectStats) and starts afresh: the pipeline
// calls it after each batch and merges the parts in input order, which
// makes the statistics the same from run to run whatever the workers did.
// The summaries whose merge does not depend on order (the distinct-value
// sketch, the dates by month) stay in b.Stats, merged once at the end.
func (b *Builder) TakeBatchStats() *Stats {
	st := b.Stats
	if st == nil {
		return nil
	}
	out := &Stats{Kind: st.Kind, Messages: st.Messages, Deletes: st.Deletes, Sizes: st.Sizes, MaxSize: st.MaxSize,
		Fields: make(map[string]*FieldStats, len(st.Fields)), futureKey: st.futureKey, review: st.review}
	for name, f := range st.Fields {
		// the distinct values and the dates stay with the builder: their
		// summaries merge in any order, and are large to start afresh
		cp := *f
		cp.Distinct, cp.Months, cp.Top = nil, nil, f.Top.take()
		out.Fields[name] = &cp
		*f = FieldStats{Name: f.Name, Source: f.Source, Dates: f.Dates, id: f.id, Distinct: f.Distinct, Months: f.Months, Top: f.Top}
	}
	st.Messages, st.Deletes, st.Sizes, st.MaxSize = 0, 0, [8]int64{}, 0
	persons := st.Persons
	out.Persons = persons.take()
	st.review = review{Persons: persons}
	if rk := b.t.cfg.Review; rk != nil && len(out.keys) > 0 {
		rk.addObjects(out.keys)
	}
	out.keys = nil
	return out
}

// MergeBatch adds the statistics of a batch of file (the next in input
// order) into s.
func (s *Stats) MergeBatch(o *Stats, file string) {
	for _, l := range [][]Example{o.NameLike.First, o.Spaced.First, o.Orphans.First} {
		for i := range l {
			l[i].File = file
		}
	}
	for i := range o.changers {
		o.changers[i].ex.File = file
	}
	s.Merge(o)
}

// mergeReview adds o's payload descriptions (a later part) into s.
func (s *Stats) mergeReview(o *Stats) {
	for _, p := range o.Samples {
		if len(s.Samples) < maxSamples {
			s.Samples = append(s.Samples, p)
		}
	}
	s.ShapesOverflow = s.ShapesOverflow || o.ShapesOverflow
	s.OtherShapeRows += o.OtherShapeRows
	for _, sh := range o.Shapes {
		s.countShape(sh.key, sh.Count, func() *Shape { return sh })
	}
	s.NameLike.merge(&o.NameLike)
	s.Spaced.merge(&o.Spaced)
	for _, c := range o.changers {
		if len(s.changers) < maxChangers {
			s.changers = append(s.changers, c)
		} else {
			s.ChangersDropped++
		}
	}
	s.ChangersDropped += o.ChangersDropped
	s.Orphans.merge(&o.Orphans)
	if o.Persons != nil {
		if s.Persons == nil {
			s.Persons = newTopK(topPersons)
		}
		s.Persons.merge(o.Persons)
	}
}

// countShape adds n payloads to the shape key (made by mk when new).
func (s *Stats) countShape(key uint64, n int64, mk func() *Shape) {
	if sh := s.lastShape; sh != nil && sh.key == key {
		sh.Count += n // most payloads have the shape of the one before
		return
	}
	sh := s.shapeIndex[key]
	if sh == nil {
		if len(s.Shapes) >= maxShapes {
			s.ShapesOverflow = true
			s.OtherShapeRows += n
			return
		}
		if s.shapeIndex == nil {
			s.shapeIndex = map[uint64]*Shape{}
		}
		src := mk()
		sh = &Shape{Fields: src.Fields, Example: src.Example, key: key}
		s.shapeIndex[key] = sh
		s.Shapes = append(s.Shapes, sh)
	}
	sh.Count += n
	s.lastShape = sh
}

func (o *Orphans) add(key [16]byte, ex Example) {
	o.N++
	if len(o.First) < maxOrphanRows {
		ex.key = key
		o.First = append(o.First, ex)
	}
	o.count(key, 1)
}

func (o *Orphans) count(key [16]byte, n int64) {
	if o.ByKey == nil {
		o.ByKey = map[[16]byte]int64{}
	}
	if _, ok := o.ByKey[key]; !ok && len(o.ByKey) >= maxOrphanKeys {
		o.Overflow = true
		return
	}
	o.ByKey[key] += n
}

func (o *Orphans) merge(p *Orphans) {
	o.N += p.N
	for _, ex := range p.First {
		if len(o.First) < maxOrphanRows {
			o.First = append(o.First, ex)
		}
	}
	o.Overflow = o.Overflow || p.Overflow
	keys := make([][16]byte, 0, len(p.ByKey))
	for k := range p.ByKey {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [16]byte) int { return bytes.Compare(a[:], b[:]) })
	for _, k := range keys {
		o.count(k, p.ByKey[k])
	}
}

// Forget takes the memberships of the objects known (to the state) out.
func (o *Orphans) Forget(known func(key [16]byte) bool) {
	for k, n := range o.ByKey {
		if known(k) {
			o.N -= n
			delete(o.ByKey, k)
		}
	}
	first := o.First[:0]
	for _, ex := range o.First {
		if _, ok := o.ByKey[ex.key]; ok || !known(ex.key) {
			first = append(first, ex)
		}
	}
	o.First = first
}

// Key returns the object key of the example's row (orphans).
func (ex Example) Key() [16]byte { return ex.key }

// reviewPayload describes a payload just built (dst without its newline):
// its shape, the first payloads, its ids, its object.
func (b *Builder) reviewPayload(payload []byte, out *Out, row *record.Row) {
	st := b.Stats
	shape := st.curShape
	st.curShape = 0
	st.countShape(shape, 1, func() *Shape {
		sh := &Shape{Example: append([]byte(nil), payload...)}
		for _, o := range b.obs {
			if f := b.curStats[o.idx]; f != nil && o.end > o.start {
				sh.Fields = append(sh.Fields, f.Name)
			}
		}
		slices.Sort(sh.Fields)
		return sh
	})
	if len(st.Samples) < maxSamples {
		st.Samples = append(st.Samples, append([]byte(nil), payload...))
	}
	if out.Delete || !out.Keyed {
		return
	}
	ex := func() Example {
		return Example{Value: shortenText(out.GroupID), ObjType: string(out.ObjType), Line: row.Line, Row: row.Num}
	}
	id := out.GroupID
	plain := plainID(id)
	if !plain {
		if nameLike(id) {
			st.NameLike.add(ex())
		}
		if spaced(id) {
			st.Spaced.add(ex())
		}
	}
	rk := b.t.cfg.Review
	if !out.Relationship {
		if !plain { // a plain id is its own fold
			b.caseChanger(id, out, ex)
		}
		if rk != nil {
			st.keys = append(st.keys, fingerprint(out.Key))
		}
		return
	}
	person := out.UserID
	if len(person) == 0 {
		person = out.AnonymousID
	}
	if st.Persons == nil {
		st.Persons = newTopK(topPersons)
	}
	st.Persons.add(xxh3.Hash(person), person, false, 1)
	if rk != nil && rk.Check {
		key := objectKey(&b.keyBuf, out.ObjType, id)
		if !rk.has(fingerprint(key)) {
			st.Orphans.add(key, ex())
		}
	}
}

// caseChanger keeps a company id that case folding or NFC changes, for
// CaseVariants.
func (b *Builder) caseChanger(id []byte, out *Out, ex func() Example) {
	st := b.Stats
	fold, changed := foldID(id)
	switch {
	case !changed:
	case len(st.changers) < maxChangers:
		st.changers = append(st.changers, changer{fold: fingerprint(objectKey(&b.keyBuf, out.ObjType, fold)),
			raw: fingerprint(out.Key), folded: shortenText(fold), ex: ex()})
	default:
		st.ChangersDropped++
	}
}

// objectKey is the key of an object (as Out.Key of its company payload).
func objectKey(buf *[]byte, objType, groupID []byte) [16]byte {
	k := append((*buf)[:0], 'o')
	k = append(k, objType...)
	k = append(k, 0)
	k = append(k, groupID...)
	*buf = k
	return xxh3.Hash128(k).Bytes()
}

func fingerprint(key [16]byte) uint64 { return binary.LittleEndian.Uint64(key[:8]) }

// plainID says whether an id is only lower-case ASCII letters, digits
// and punctuation other than white space: no name, no white space, not
// changed by folding (most ids; checked first, in one pass).
//
// Eight bytes are tested at a time (a byte's top bit says whether it is
// non-ASCII, or, once 0x5F, 0x3F or 0x25 is added to it, whether it is
// above ' ', at least 'A' or above 'Z'): a byte at a time it was 160
// instructions of an id of 16, a sixth of the review's cost per row.
func plainID(id []byte) bool {
	const ones, tops = 0x0101010101010101, 0x8080808080808080
	for len(id) >= 8 {
		x := binary.LittleEndian.Uint64(id)
		if x&tops != 0 {
			return false
		}
		space := ^(x + 0x5F*ones)                   // top bit: the byte is ≤ ' '
		upper := (x + 0x3F*ones) &^ (x + 0x25*ones) // 'A' ≤ byte ≤ 'Z'
		if (space|upper)&tops != 0 {
			return false
		}
		id = id[8:]
	}
	for _, c := range id {
		if c >= 'A' && c <= 'Z' || c <= ' ' || c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// nameLike says whether an id looks like a name rather than an id: words
// separated by spaces, a capitalised word without digits ("Acme"), or a
// long text of mixed case without digits.
func nameLike(id []byte) bool {
	id = bytes.TrimSpace(id)
	var upper, lower, digit, space bool
	for _, c := range id {
		switch {
		case c >= 'A' && c <= 'Z':
			upper = true
		case c >= 'a' && c <= 'z':
			lower = true
		case c >= '0' && c <= '9':
			digit = true
		case c == ' ' || c == '\t':
			space = true
		}
	}
	switch {
	case space && (upper || lower):
		return true
	case digit || !upper || !lower:
		return false
	case len(id) > 1 && id[0] >= 'A' && id[0] <= 'Z' && id[1] >= 'a' && id[1] <= 'z':
		return true
	}
	return len(id) > 40
}

// spaced says whether an id has white space around it.
func spaced(id []byte) bool {
	if len(id) == 0 {
		return false
	}
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
	return isSpace(id[0]) || isSpace(id[len(id)-1])
}

// foldID returns the id in NFC, lower case, and whether that differs
// from the id: two ids with the same fold differ only by case or Unicode
// normalisation.
func foldID(id []byte) ([]byte, bool) {
	ascii, upper := true, false
	for _, c := range id {
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
		upper = upper || c >= 'A' && c <= 'Z'
	}
	if ascii && !upper {
		return id, false
	}
	fold := id
	if !ascii {
		fold = norm.NFC.Bytes(id)
	}
	fold = bytes.ToLower(fold)
	return fold, !bytes.Equal(fold, id)
}

// shortenText shortens a text for the review, on a character boundary.
func shortenText(v []byte) string {
	if len(v) <= maxShown {
		return string(v)
	}
	cut := maxShown - 3
	for cut > 0 && !utf8.RuneStart(v[cut]) {
		cut--
	}
	return string(v[:cut]) + "…"
}

// TopPersons returns the n persons with the most memberships and whether
// the counts are exact (else lower bounds).
func (s *Stats) TopPersons(n int) ([]ValueCount, bool) {
	if s.Persons == nil {
		return nil, true
	}
	return s.Persons.top(n), s.Persons.exact
}
