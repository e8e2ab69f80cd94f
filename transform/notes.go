package transform

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/groupimport/groupimport/record"
)

// Warnings that name an example value. Reports count warnings by their
// text, and every worker has a Builder of its own: so that the workers'
// counts add up under one message, the first example any builder meets is
// kept by the Transformer (one lock, taken once per builder and key) and
// every builder writes the message with that one.

// notes holds the examples of one Transformer's warnings, by key.
type notes struct {
	mu sync.Mutex
	m  map[string]*note
}

// note is one warning's example, and how often it happened across the
// builders (for warnings given only past a threshold).
type note struct {
	example string
	n       atomic.Int64
	// seen tells apart the first few occurrences, below the threshold
	// (see count).
	seen []string
}

// count counts one more occurrence, of value in row, and returns the
// count so far. A run may build its rows twice (a first pass that only
// looks, then the one that sends), with the same Transformer: below the
// threshold, occurrences are told apart by the row's position and the
// value, so that a few odd values read twice do not pass for more than a
// few; above it, every one counts.
func (n *note) count(t *Transformer, row *record.Row, value []byte) int64 {
	if n.n.Load() > fewOddDates || row == nil {
		return n.n.Add(1)
	}
	id := strconv.FormatInt(row.Num, 10) + ":" + strconv.FormatInt(row.Line, 10) + ":" + string(value)
	t.notes.mu.Lock()
	defer t.notes.mu.Unlock()
	if slices.Contains(n.seen, id) {
		return 0
	}
	n.seen = append(n.seen, id)
	return n.n.Add(1)
}

// note returns the note of key, keeping example when it is the first.
func (t *Transformer) note(key string, example func() string) *note {
	t.notes.mu.Lock()
	defer t.notes.mu.Unlock()
	if t.notes.m == nil {
		t.notes.m = map[string]*note{}
	}
	n := t.notes.m[key]
	if n == nil {
		n = &note{example: example()}
		t.notes.m[key] = n
	}
	return n
}

// noteRef is a builder's handle on a note, with the message written.
type noteRef struct {
	*note
	msg string
}

// noted returns the builder's handle on the note of key; example gives
// the example when the run has none yet, format the message from the one
// kept.
func (b *Builder) noted(key string, example func() string, format func(ex string) string) *noteRef {
	r := b.notes[key]
	if r == nil {
		n := b.t.note(key, example)
		r = &noteRef{note: n, msg: format(n.example)}
		if b.notes == nil {
			b.notes = map[string]*noteRef{}
		}
		b.notes[key] = r
	}
	return r
}

// fewOddDates is how many dates of a field may fall before 1990 or after
// next year before the run warns: a few old accounts are real, a column
// of them is a date read wrong (Unix seconds that were not, a format that
// does not fit).
const fewOddDates = 3

// dateWatch names a date field for the warning about odd dates.
type dateWatch struct {
	key   string // the note's key
	label string // `companies traits.createdAt (column "created")`
}

func newDateWatch(kind Kind, field, column string) dateWatch {
	label := string(kind) + " " + field
	if column != "" {
		label += fmt.Sprintf(" (column %q)", column)
	}
	return dateWatch{key: "dates\x00" + label, label: label}
}

// checkDate looks at a date just written (iso: a quoted ISO 8601 string)
// from the value in, and counts it when it falls before 1990 or after next
// year; past fewOddDates of them in the run, each is a warning.
func (b *Builder) checkDate(iso []byte, in []byte, w *dateWatch) {
	if len(iso) < 6 || iso[0] != '"' {
		return
	}
	year := iso[1:5]
	if string(year) >= "1990" && string(year) <= b.t.lastYear {
		return
	}
	r := b.noted(w.key, func() string {
		ex := strconv.Quote(string(in))
		if !bytes.Equal(in, iso[1:len(iso)-1]) {
			ex += " read as " + string(iso[1:len(iso)-1])
		}
		return ex
	}, func(ex string) string {
		return fmt.Sprintf("%s: dates before 1990 or after %s, e.g. %s; check how the column's dates are read (format:, unit: in the mapping)", w.label, b.t.lastYear, ex)
	})
	switch n := r.count(b.t, b.row, in); {
	case n == fewOddDates+1:
		b.Warnings[r.msg] += n
	case n > fewOddDates+1:
		b.Warnings[r.msg]++
	}
}

// trimID trims an id of surrounding whitespace (spaces, tabs, line ends,
// no-break spaces), counting a warning that names the field and the first
// padded value (the note's key is the field's name).
func (b *Builder) trimID(field string, id []byte) []byte {
	t := bytes.TrimSpace(id)
	switch {
	case len(t) == len(id):
		return id
	case len(t) == 0:
		return nil // blank: no id
	}
	r := b.noted(field, func() string { return strconv.Quote(string(id)) }, func(ex string) string {
		return fmt.Sprintf("%s: %s values had surrounding whitespace, trimmed; e.g. %s", b.t.cfg.Kind, field, ex)
	})
	b.Warnings[r.msg]++
	return t
}

// numericID is the id of a number: a whole number written as a decimal or
// with an exponent (13.0, 1.3e1: how pandas writes an integer column that
// has a null, or a float column of ids) is the integer's digits, counted
// and warned with the first such value — "13.0" would be another object
// than the "13" of every other export. Other numbers keep their exact
// digits.
func (b *Builder) numericID(field string, n []byte) []byte {
	if digits := n; len(digits) > 0 {
		if digits[0] == '-' {
			digits = digits[1:]
		}
		if allDigits(digits) {
			return n
		}
	}
	t, ok := integerText(n)
	if !ok {
		return n
	}
	r := b.noted("numeric id\x00"+field, func() string { return string(n) + " sent as " + string(t) }, func(ex string) string {
		return fmt.Sprintf("%s: %s values were whole numbers written as decimals, sent as integers; e.g. %s", b.t.cfg.Kind, field, ex)
	})
	b.Warnings[r.msg]++
	return t
}
