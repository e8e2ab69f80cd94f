// Package record holds the types that travel between the readers (package
// importer and its format packages), the transformation (package
// transform) and the sinks: a typed cell value, a row with its position in
// the source file, a batch of rows whose bytes live in arenas owned by the
// batch, and the codes of the readers' row errors (codes.go).
//
// A Batch is filled by one reader, handed to one worker, and recycled; the
// slices inside its rows point into the batch's arenas and are valid only
// until the batch is reset.
package record

import (
	"fmt"
	"strconv"
)

// Kind says how a Value's bytes are to be read.
type Kind uint8

const (
	// Null is an absent or null value (an empty cell is a String of length 0).
	Null Kind = iota
	// String is UTF-8 text, unescaped.
	String
	// Number is the exact decimal text of a JSON number (never rounded).
	Number
	// Bool is "true" or "false".
	Bool
	// Time is an instant already normalised to ISO-8601 UTC with milliseconds
	// (a typed timestamp or date from a Parquet file).
	Time
	// JSON is compact, valid JSON text of an object or array.
	JSON
)

func (k Kind) String() string {
	switch k {
	case Null:
		return "null"
	case String:
		return "string"
	case Number:
		return "number"
	case Bool:
		return "boolean"
	case Time:
		return "timestamp"
	case JSON:
		return "json"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Value is one cell.
type Value struct {
	Kind Kind
	// Plain, on a String, says the reader found that Bytes hold no byte a
	// JSON string must escape (a control character, '"' or '\\'), so a
	// writer may copy them between quotes as they are. False says
	// nothing.
	Plain bool
	Bytes []byte
}

// IsEmpty reports whether the value counts as an empty cell: null, or a
// string of length zero.
func (v Value) IsEmpty() bool {
	return v.Kind == Null || (v.Kind == String && len(v.Bytes) == 0)
}

// Schema is the ordered list of column names of a row. Readers intern
// schemas, so rows with the same columns share one *Schema and consumers can
// cache per-schema work by pointer.
type Schema struct {
	Names []string
	index map[string]int
}

// NewSchema returns a schema for names. Names must be unique.
func NewSchema(names []string) *Schema {
	s := &Schema{Names: names, index: make(map[string]int, len(names))}
	for i, n := range names {
		s.index[n] = i
	}
	return s
}

// Index returns the position of the column called name, or -1.
func (s *Schema) Index(name string) int {
	if i, ok := s.index[name]; ok {
		return i
	}
	return -1
}

// Position says where a row came from.
type Position struct {
	File string `json:"file"`
	// Line is the physical line (1-based) on which the record starts, for
	// line-oriented formats; 0 for Parquet.
	Line int64 `json:"line,omitempty"`
	// Row is the 1-based number of the data record within the file (the
	// header is not counted).
	Row int64 `json:"row"`
	// RowGroup is the Parquet row group (0-based), or -1 when not Parquet.
	RowGroup int `json:"row_group,omitempty"`
}

func (p Position) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d (row %d)", p.File, p.Line, p.Row)
	}
	return fmt.Sprintf("%s: row %d", p.File, p.Row)
}

// Row is one record.
type Row struct {
	Line int64 // physical line where the record starts; 0 for Parquet
	Num  int64 // 1-based data row number in the file
	// Group is the Parquet row group (0-based); 0 for other formats.
	Group  int
	Schema *Schema
	// Values are parallel to Schema.Names.
	Values []Value
	// Raw is the record as it appeared in the file (for the rejects file),
	// or nil when the format has no textual form of a row.
	Raw []byte
	// Err, when set, means the reader could not read this record as a row;
	// the row must be rejected with this error.
	Err *Error
}

// Error is a problem with one record: it names the column (when known) and
// the 1-based column position in the line (when known).
type Error struct {
	// Code names the kind of problem, stable across versions (lower_snake_case,
	// e.g. "field_count", "invalid_utf8"; the readers' are in codes.go):
	// reports count rejections by it.
	Code   string
	Column string // column name, "" when the error is not about one column
	Col    int    // 1-based character position in the physical line, 0 if unknown
	Reason string
}

func (e *Error) Error() string {
	s := e.Reason
	if e.Column != "" {
		s = "column " + strconv.Quote(e.Column) + ": " + s
	}
	if e.Col > 0 {
		s = "col " + strconv.Itoa(e.Col) + ": " + s
	}
	return s
}

// Batch is a slice of rows with the arenas their bytes live in.
type Batch struct {
	File string
	Rows []Row
	// Bytes read from the (possibly compressed) input up to the end of this
	// batch, for progress.
	Offset int64

	arena  []byte
	values []Value
}

// NewBatch returns a batch sized for about rows rows and bytes bytes.
func NewBatch(rows, bytes int) *Batch {
	return &Batch{
		Rows:   make([]Row, 0, rows),
		arena:  make([]byte, 0, bytes),
		values: make([]Value, 0, rows*8),
	}
}

// Reset empties the batch, keeping its memory.
func (b *Batch) Reset() {
	for i := range b.Rows {
		b.Rows[i] = Row{}
	}
	b.Rows = b.Rows[:0]
	b.arena = b.arena[:0]
	b.values = b.values[:0] // not cleared: see ValuesToFill
	b.File = ""
	b.Offset = 0
}

// ArenaLen is the number of bytes held in the batch's arena.
func (b *Batch) ArenaLen() int { return len(b.arena) }

// Copy appends p to the batch's arena and returns the copy.
func (b *Batch) Copy(p []byte) []byte {
	if len(p) == 0 {
		return p[:0:0]
	}
	if cap(b.arena)-len(b.arena) < len(p) {
		b.grow(len(p))
	}
	start := len(b.arena)
	b.arena = append(b.arena, p...)
	return b.arena[start:len(b.arena):len(b.arena)]
}

// grow replaces a full arena with a larger empty one.
func (b *Batch) grow(n int) {
	// A new arena: slices handed out earlier keep pointing at the old one,
	// which stays alive as long as they do.
	c := 2 * cap(b.arena)
	if c < n+len(b.arena) {
		c = n + len(b.arena)
	}
	if c < 64<<10 {
		c = 64 << 10
	}
	b.arena = make([]byte, 0, c)
}

// Values returns n zeroed values from the batch's value arena.
func (b *Batch) Values(n int) []Value {
	v := b.ValuesToFill(n)
	clear(v)
	return v
}

// ValuesToFill returns n values from the batch's value arena as an earlier
// use of the batch left them: the caller sets every one. Reset leaves the
// arena as it is, so that the readers that set every value of a row
// anyway (CSV, NDJSON, Parquet) do not pay for clearing it first: that
// was 2% of the CPU of a 3M-membership Parquet run.
func (b *Batch) ValuesToFill(n int) []Value {
	if cap(b.values)-len(b.values) < n {
		c := 2 * cap(b.values)
		if c < n {
			c = n
		}
		if c < 1024 {
			c = 1024
		}
		b.values = make([]Value, 0, c)
	}
	start := len(b.values)
	b.values = b.values[:start+n]
	return b.values[start : start+n : start+n]
}

// Reject is a row that was not turned into a payload.
type Reject struct {
	Kind string
	Pos  Position
	// Code is the stable name of the reason (see Error.Code).
	Code   string
	Column string
	Col    int
	Reason string
	// Raw is the row's text, or (RawJSON) the row as a JSON object.
	Raw     []byte
	RawJSON bool
}
