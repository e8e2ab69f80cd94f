package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
)

// FieldValues describes the values of a field beyond their types: how
// many distinct, the most frequent, the spread of numbers and of texts'
// lengths, and the dates by month or year.
type FieldValues struct {
	// Distinct is the number of distinct values: exact when DistinctExact,
	// else a HyperLogLog estimate (about 2.3% off).
	Distinct      int64 `json:"distinct,omitempty"`
	DistinctExact bool  `json:"distinct_exact,omitempty"`
	// TopValues are the most frequent values as written (JSON), at most
	// ten; their counts are exact when TopExact, else lower bounds (a
	// Misra-Gries summary of 64 counters).
	TopValues []ValueCount `json:"top_values,omitempty"`
	TopExact  bool         `json:"top_exact,omitempty"`
	// Sampled says the top values and numbers come partly from a sample:
	// one row in 8 after the first 65,536 of a file, each counting 8. Their
	// counts, mean and range are then estimates (≈).
	Sampled bool `json:"sampled,omitempty"`
	// Numbers spreads the numbers; Lengths the texts' lengths in bytes as
	// written (escapes included), the median exact below 64 bytes.
	Numbers *NumberSpread `json:"numbers,omitempty"`
	Lengths *LengthSpread `json:"lengths,omitempty"`
	// Dates counts the dates by month (when they span at most three
	// years) or by year.
	Dates []DateCount `json:"date_histogram,omitempty"`
}

// ValueCount is a value and how often it occurs.
type ValueCount struct {
	Value string `json:"value"`
	Count int64  `json:"count"`
}

// NumberSpread is the smallest, mean and largest number of a field.
type NumberSpread struct {
	Count int64   `json:"count"`
	Min   float64 `json:"min"`
	Mean  float64 `json:"mean"`
	Max   float64 `json:"max"`
}

// LengthSpread is the shortest, median and longest text of a field.
type LengthSpread struct {
	Min    int `json:"min"`
	Median int `json:"median"`
	Max    int `json:"max"`
}

// DateCount is how many dates fall in a period ("2024" or "2024-05").
type DateCount struct {
	Period string `json:"period"`
	Count  int64  `json:"count"`
}

// KindSamples are the sample payloads of a kind and their shapes: the
// input of the review's samples.
type KindSamples struct {
	// Samples are the first payloads (JSON).
	Samples []string
	// Shapes are the distinct sets of fields, in order of first use, with
	// the first payload of each; ShapesOverflow is set when there were more
	// (OtherShapeRows payloads).
	Shapes         []Shape
	ShapesOverflow bool
	OtherShapeRows int64
}

// Shape is a set of fields and how many payloads carry exactly those.
type Shape struct {
	Fields  []string
	Count   int64
	Example string
}

// ShapesReview lists the most frequent shapes of a kind's payloads.
type ShapesReview struct {
	// Distinct is the number of shapes (at least, when More).
	Distinct int  `json:"distinct"`
	More     bool `json:"more,omitempty"`
	// Top are the most frequent shapes (at most maxShapesShown), and
	// OtherPayloads the payloads of the others.
	Top           []ShapeReview `json:"top"`
	OtherPayloads int64         `json:"other_payloads"`
}

// ShapeReview is one shape: its fields, those of the kind's other shapes
// it lacks, and its first payload.
type ShapeReview struct {
	Count   int64           `json:"count"`
	Fields  []string        `json:"fields"`
	Missing []string        `json:"missing,omitempty"`
	Example json.RawMessage `json:"example"`
}

const (
	maxShapesShown = 10
	maxTopShown    = 10
)

func (ks *KindStats) samples() []json.RawMessage {
	var out []json.RawMessage
	for _, s := range ks.Samples {
		if json.Valid([]byte(s)) {
			out = append(out, json.RawMessage(s))
		}
	}
	return out
}

func (ks *KindStats) shapes() *ShapesReview {
	if len(ks.Shapes) == 0 {
		return nil
	}
	sr := &ShapesReview{Distinct: len(ks.Shapes), More: ks.ShapesOverflow, OtherPayloads: ks.OtherShapeRows, Top: []ShapeReview{}}
	order := make([]int, len(ks.Shapes))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return ks.Shapes[order[a]].Count > ks.Shapes[order[b]].Count })
	all := map[string]bool{}
	for _, sh := range ks.Shapes {
		for _, f := range sh.Fields {
			all[f] = true
		}
	}
	for n, i := range order {
		sh := ks.Shapes[i]
		if n >= maxShapesShown {
			sr.OtherPayloads += sh.Count
			continue
		}
		have := map[string]bool{}
		for _, f := range sh.Fields {
			have[f] = true
		}
		r := ShapeReview{Count: sh.Count, Fields: append([]string{}, sh.Fields...)}
		for f := range all {
			if !have[f] {
				r.Missing = append(r.Missing, f)
			}
		}
		sort.Strings(r.Missing)
		if json.Valid([]byte(sh.Example)) {
			r.Example = json.RawMessage(sh.Example)
		}
		sr.Top = append(sr.Top, r)
	}
	return sr
}

// Checks are the review's referential and identity checks.
type Checks struct {
	// Orphans are the memberships whose object is in neither the
	// companies input of the run nor the state.
	Orphans *OrphanCheck `json:"orphan_memberships,omitempty"`
	// Unreferenced counts the objects of the companies input that no
	// membership of the run points at (informational).
	Unreferenced *int64 `json:"objects_without_memberships,omitempty"`
	// Persons are those with unusually many memberships.
	Persons *PersonCheck `json:"persons_with_many_objects,omitempty"`
	// NameLike are groupIds that look like names rather than ids, Spaced
	// groupIds with white space around them, per kind.
	NameLike []IDCheck `json:"name_like_ids,omitempty"`
	Spaced   []IDCheck `json:"spaced_ids,omitempty"`
	// CaseVariants are companies' ids that differ only by case or Unicode
	// normalisation.
	CaseVariants *VariantCheck `json:"case_variants,omitempty"`
}

// OrphanCheck counts memberships whose object is nowhere.
type OrphanCheck struct {
	// CheckedAgainst says where the objects were looked for: "companies"
	// (the run's companies input), "companies+state" or "state".
	CheckedAgainst string `json:"checked_against"`
	Count          int64  `json:"count"`
	// Objects is the number of distinct missing objects.
	Objects int64 `json:"objects"`
	// LowerBound is set when Count may be short (too many objects to
	// count one by one, or companies past the exact set's size).
	LowerBound bool    `json:"lower_bound,omitempty"`
	First      []IDRow `json:"first"`
}

// IDRow is a row of an input and its ids.
type IDRow struct {
	Kind         string `json:"kind,omitempty"`
	File         string `json:"file,omitempty"`
	Line         int64  `json:"line,omitempty"`
	Row          int64  `json:"row,omitempty"`
	GroupID      string `json:"group_id"`
	ObjectTypeID string `json:"object_type_id,omitempty"`
	// NotNFC is set when GroupID is not in Unicode's NFC (decomposed
	// accents, say): it looks like its NFC twin but is another id.
	NotNFC bool `json:"not_nfc,omitempty"`
}

// shown is the id for people, marked when not in NFC.
func (r IDRow) shown() string {
	if r.NotNFC {
		return r.GroupID + " (not NFC)"
	}
	return r.GroupID
}

// IDCheck counts the ids of a kind that failed a check.
type IDCheck struct {
	Kind  string  `json:"kind"`
	Count int64   `json:"count"`
	First []IDRow `json:"first"`
}

// VariantCheck lists groups of ids that differ only by case or Unicode
// normalisation.
type VariantCheck struct {
	Groups int       `json:"groups"`
	First  [][]IDRow `json:"first"`
	// NotCompared counts the ids with capitals or non-ASCII letters past
	// the first 10,000, which were not compared.
	NotCompared int64 `json:"not_compared,omitempty"`
}

// PersonCheck lists the persons with the most memberships.
type PersonCheck struct {
	// Threshold is the count above which a person is unusual.
	Threshold int64 `json:"threshold"`
	// Over are the persons above it; Top the ten with the most, whatever
	// their count. Counts are exact when Exact, else lower bounds (a
	// Misra-Gries summary of 1,024 counters: every person with more than
	// memberships/1,025 is listed).
	Over  []ValueCount `json:"over_threshold"`
	Top   []ValueCount `json:"top"`
	Exact bool         `json:"exact"`
}

// maxVariantGroups is how many groups of case variants the review lists.
const maxVariantGroups = 20

// SetChecks adds the checks to the review, with their findings.
func (rv *Review) SetChecks(c *Checks) {
	if c == nil {
		return
	}
	rv.Checks = c
	if o := c.Orphans; o != nil && o.Count > 0 {
		bound := ""
		if o.LowerBound {
			bound = "at least "
		}
		ex := ""
		if len(o.First) > 0 {
			ex = fmt.Sprintf(" (first: %s)", o.First[0].where())
		}
		rv.Findings = append(rv.Findings, fmt.Sprintf("%s%s membership(s) point at %s object(s) %s%s: Customer.io would create an empty object for each",
			bound, comma(o.Count), comma(o.Objects), o.nowhere(), ex))
	}
	for _, n := range c.NameLike {
		rv.Findings = append(rv.Findings, fmt.Sprintf("%s: %s groupId(s) look like names rather than ids (e.g. %q): renaming one later would fork its object",
			n.Kind, comma(n.Count), n.First[0].GroupID))
	}
	for _, n := range c.Spaced {
		rv.Findings = append(rv.Findings, fmt.Sprintf("%s: %s groupId(s) have white space around them (e.g. %q): \"a1\" and \"a1 \" are two objects",
			n.Kind, comma(n.Count), n.First[0].GroupID))
	}
	if v := c.CaseVariants; v != nil && v.Groups > 0 {
		var ids []string
		for _, r := range v.First[0] {
			ids = append(ids, fmt.Sprintf("%q", r.GroupID))
		}
		rv.Findings = append(rv.Findings, fmt.Sprintf("companies: %d group(s) of ids differ only by case or Unicode normalisation (e.g. %s): each is a separate object",
			v.Groups, strings.Join(ids, ", ")))
	}
	if p := c.Persons; p != nil && len(p.Over) > 0 {
		rv.Findings = append(rv.Findings, fmt.Sprintf("memberships: %d person(s) belong to more than %s objects (most: %q, %s): a shared or placeholder id?",
			len(p.Over), comma(p.Threshold), p.Over[0].Value, comma(p.Over[0].Count)))
	}
}

func (r IDRow) where() string {
	switch {
	case r.File == "":
		return "also in the input"
	case r.Line > 0:
		return fmt.Sprintf("%s:%d", r.File, r.Line)
	}
	return fmt.Sprintf("%s row %d", r.File, r.Row)
}

// distinctText says how many distinct values a field has.
func (v *FieldValues) distinctText() string {
	switch {
	case v.Distinct == 0:
		return ""
	case v.DistinctExact:
		return comma(v.Distinct)
	}
	return "≈" + comma(v.Distinct)
}

// topText lists the top values with their counts ("≥" when lower bounds).
func (v *FieldValues) topText(limit int) string {
	if len(v.TopValues) > 0 && v.TopValues[0].Count < 2 {
		return "(no value repeats)"
	}
	var parts []string
	for i, tv := range v.TopValues {
		if i == limit {
			break
		}
		if tv.Count < 2 {
			break
		}
		c := v.countMark() + comma(tv.Count)
		parts = append(parts, fmt.Sprintf("%s ×%s", tv.Value, c))
	}
	return strings.Join(parts, ", ")
}

// countMark marks the top values' counts: "≈" estimated from a sample,
// "≥" lower bounds, "" exact.
func (v *FieldValues) countMark() string {
	switch {
	case v.Sampled:
		return "≈"
	case !v.TopExact:
		return "≥"
	}
	return ""
}

// numText is "min … max, mean x" for numbers ("≈ " first when sampled).
func (v *FieldValues) numText() string {
	if n := v.Numbers; n != nil {
		s := fmt.Sprintf("%s … %s, mean %s", num(n.Min), num(n.Max), num(n.Mean))
		if v.Sampled {
			s = "≈ " + s
		}
		return s
	}
	return ""
}

func (v *FieldValues) lenText() string {
	if l := v.Lengths; l != nil {
		return fmt.Sprintf("%d / %d / %d", l.Min, l.Median, l.Max)
	}
	return ""
}

// num formats a number for people: integers whole, others with up to
// four significant decimals.
func num(x float64) string {
	switch {
	case x == float64(int64(x)) && x < 1e15 && x > -1e15:
		return comma(int64(x))
	case x >= 1000 && x < 1e15 || x <= -1000 && x > -1e15:
		return comma(int64(math.Round(x)))
	}
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.4g", x), "0"), ".")
}

// bar draws a count as a bar of up to width block characters.
func bar(n, most int64, width int) string {
	if most <= 0 || n <= 0 {
		return ""
	}
	w := int((n*int64(width) + most - 1) / most)
	return strings.Repeat("█", max(w, 1))
}

func maxCount[T any](xs []T, count func(T) int64) int64 {
	var m int64
	for _, x := range xs {
		m = max(m, count(x))
	}
	return m
}

// hasValues says whether any field of the kind has value statistics.
func (kr *KindReview) hasValues() bool {
	return slices.ContainsFunc(kr.Fields, func(f FieldReview) bool {
		return f.Distinct > 0 || f.Numbers != nil || f.Lengths != nil
	})
}

// pretty indents a JSON payload, keeping its keys' order.
func pretty(raw json.RawMessage) string {
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		return string(raw)
	}
	return b.String()
}

// nowhere says where the objects of orphans are missing from.
func (o *OrphanCheck) nowhere() string {
	switch o.CheckedAgainst {
	case "companies+state":
		return "in neither the companies input of this run nor the state"
	case "state":
		return "unknown to the state (the run has no companies input)"
	}
	return "not in the companies input of this run"
}
