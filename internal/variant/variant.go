// Package variant decodes the Parquet VARIANT binary encoding (a metadata
// dictionary of keys and a self-describing value, see the Parquet format's
// VariantEncoding.md) into compact JSON.
//
// Values become JSON as the importer writes Parquet values (see
// importer/parquet/values.go), so that a shredded VARIANT, whose typed
// columns the importer converts itself, reads the same as an unshredded one:
//
//   - null, booleans, and integers as JSON; int64 beyond ±(2^53−1) as a
//     string of its exact digits;
//   - float and double as the shortest text that reads back as the same
//     value; NaN and ±Infinity as null;
//   - decimal4/8/16 as exact text with the value's scale, a string when it
//     has more than 15 significant digits;
//   - date and timestamps (micros or nanos, with or without a time zone) as
//     ISO-8601 UTC strings with milliseconds, floored; time as
//     "HH:MM:SS.mmm"; a date outside the years 0001-9999 is an error;
//   - binary as base64 (standard alphabet, padded), uuid in its canonical
//     lower-case form, strings as they are (valid UTF-8 or an error);
//   - objects with their keys in the order the encoding keeps them (sorted),
//     arrays in order.
//
// Every length, offset and dictionary reference is checked against the
// bytes there are; an invalid encoding is an error wrapping ErrInvalid, and
// nothing a value holds makes the decoder read outside it, recurse deeper
// than MaxDepth or append more than MaxBytes.
package variant

import (
	"bytes"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/groupimport/groupimport/internal/jsonx"
)

// ErrInvalid is wrapped by errors about an encoding that breaks the
// specification.
var ErrInvalid = errors.New("invalid VARIANT encoding")

// ErrTooLarge is wrapped by errors about a value whose JSON would exceed
// Decoder.MaxBytes, or nest deeper than Decoder.MaxDepth.
var ErrTooLarge = errors.New("VARIANT value too large")

// RangeError is the error for a date, time or timestamp outside what can be
// written as ISO-8601 text.
type RangeError struct {
	What  string // the value, for people
	Range string // what it must lie within
}

func (e *RangeError) Error() string { return e.What + " is outside " + e.Range }

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// readUint reads an unsigned little-endian integer of size bytes (1-4).
func readUint(b []byte, size int) int {
	var x uint32
	for i := size - 1; i >= 0; i-- {
		x = x<<8 | uint32(b[i])
	}
	return int(x)
}

// Metadata is a parsed metadata dictionary. It refers to the bytes given
// to ParseMetadata, which must not change while it is used.
type Metadata struct {
	b       []byte
	offSize int
	n       int // keys
	offsAt  int // the first offset
	strAt   int // the first byte of the keys
}

// ParseMetadata checks a metadata dictionary: version 1, every offset in
// order and inside the bytes, nothing after the last key, every key valid
// UTF-8.
func ParseMetadata(b []byte) (Metadata, error) {
	if len(b) == 0 {
		return Metadata{}, invalid("the metadata is empty")
	}
	h := b[0]
	if v := h & 0x0f; v != 1 {
		return Metadata{}, invalid("metadata version %d (only version 1 is defined)", v)
	}
	m := Metadata{b: b, offSize: int(h>>6) + 1}
	if len(b) < 1+m.offSize {
		return Metadata{}, invalid("the metadata ends in its header")
	}
	m.n = readUint(b[1:], m.offSize)
	m.offsAt = 1 + m.offSize
	if uint64(m.n)+1 > uint64(len(b)-m.offsAt)/uint64(m.offSize) {
		return Metadata{}, invalid("the metadata claims %d keys in %d bytes", m.n, len(b))
	}
	m.strAt = m.offsAt + (m.n+1)*m.offSize
	prev := 0
	for i := 0; i <= m.n; i++ {
		o := m.offset(i)
		switch {
		case i == 0 && o != 0:
			return Metadata{}, invalid("the first key starts at %d, not 0", o)
		case o < prev:
			return Metadata{}, invalid("key %d starts at %d, before the previous one (%d)", i, o, prev)
		case o > len(b)-m.strAt:
			return Metadata{}, invalid("key %d ends at byte %d, beyond the %d bytes of keys", i-1, o, len(b)-m.strAt)
		}
		if i > 0 && !utf8.Valid(b[m.strAt+prev:m.strAt+o]) {
			return Metadata{}, invalid("key %d is not valid UTF-8", i-1)
		}
		prev = o
	}
	if end := m.strAt + prev; end != len(b) {
		return Metadata{}, invalid("%d bytes after the last key", len(b)-end)
	}
	return m, nil
}

func (m *Metadata) offset(i int) int { return readUint(m.b[m.offsAt+i*m.offSize:], m.offSize) }

// Len returns the number of keys in the dictionary.
func (m *Metadata) Len() int { return m.n }

// Key returns key id (0 ≤ id < Len).
func (m *Metadata) Key(id int) []byte {
	return m.b[m.strAt+m.offset(id) : m.strAt+m.offset(id+1)]
}

// Bytes returns the encoded metadata.
func (m *Metadata) Bytes() []byte { return m.b }

// Basic types (the low two bits of a value's first byte).
const (
	basicPrimitive = 0
	basicShortStr  = 1
	basicObject    = 2
	basicArray     = 3
)

// Decoder turns values into JSON. Its zero value is ready to use; it keeps
// scratch space between calls and is not safe for concurrent use.
type Decoder struct {
	// MaxDepth bounds the nesting of objects and arrays (default 64).
	MaxDepth int
	// MaxBytes bounds the JSON one call appends (default 64 MiB).
	MaxBytes int

	digits []byte
	limit  int // len(dst) this call may reach
}

// AppendJSON appends the value v, which must be exactly one value, as
// JSON to dst.
func (d *Decoder) AppendJSON(dst []byte, m *Metadata, v []byte) ([]byte, error) {
	out, n, err := d.AppendValue(dst, m, v, 0)
	if err == nil && n != len(v) {
		return dst, invalid("%d bytes after the value", len(v)-n)
	}
	return out, err
}

// AppendValue appends the value at the start of v as JSON to dst and
// returns how many bytes of v it took. depth is the nesting the value sits
// at, counted against MaxDepth. On an error dst is returned as it was.
func (d *Decoder) AppendValue(dst []byte, m *Metadata, v []byte, depth int) ([]byte, int, error) {
	limit := d.MaxBytes
	if limit <= 0 {
		limit = 64 << 20
	}
	d.limit = len(dst) + limit
	out, n, err := d.value(dst, m, v, depth)
	if err != nil {
		return dst, 0, err
	}
	return out, n, nil
}

func (d *Decoder) maxDepth() int {
	if d.MaxDepth <= 0 {
		return 64
	}
	return d.MaxDepth
}

func (d *Decoder) tooLarge(dst []byte) error {
	if len(dst) > d.limit {
		return fmt.Errorf("%w: its JSON is longer than %d bytes", ErrTooLarge, d.MaxBytes)
	}
	return nil
}

// value appends the value at the start of v.
func (d *Decoder) value(dst []byte, m *Metadata, v []byte, depth int) ([]byte, int, error) {
	if len(v) == 0 {
		return dst, 0, invalid("a value is empty")
	}
	h := v[0]
	switch h & 3 {
	case basicPrimitive:
		return d.primitive(dst, v)
	case basicShortStr:
		n := int(h >> 2)
		if len(v) < 1+n {
			return dst, 0, invalid("a short string of %d bytes has %d", n, len(v)-1)
		}
		s := v[1 : 1+n]
		if !utf8.Valid(s) {
			return dst, 0, invalid("a string is not valid UTF-8")
		}
		dst = jsonx.AppendString(dst, s)
		return dst, 1 + n, d.tooLarge(dst)
	case basicObject:
		return d.object(dst, m, v, depth)
	}
	return d.array(dst, m, v, depth)
}

// container is the layout of an object or an array.
type container struct {
	n       int // elements
	idSize  int // objects: bytes per field id
	offSize int
	idsAt   int
	offsAt  int
	dataAt  int
	size    int // bytes of the whole value
}

func (c *container) offset(v []byte, i int) int { return readUint(v[c.offsAt+i*c.offSize:], c.offSize) }

func (c *container) id(v []byte, i int) int { return readUint(v[c.idsAt+i*c.idSize:], c.idSize) }

// layout reads the header of an object or array and checks that its
// tables and data fit in v.
func layout(v []byte, object bool) (container, error) {
	h := v[0] >> 2
	var c container
	c.offSize = int(h&3) + 1
	large := h>>2&1 != 0
	if object {
		c.idSize = int(h>>2&3) + 1
		large = h>>4&1 != 0
	}
	numSize := 1
	if large {
		numSize = 4
	}
	what := "an array"
	if object {
		what = "an object"
	}
	if len(v) < 1+numSize {
		return c, invalid("%s ends in its header", what)
	}
	c.n = readUint(v[1:], numSize)
	c.idsAt = 1 + numSize
	per := uint64(c.idSize + c.offSize)
	if uint64(c.n)*per+uint64(c.offSize) > uint64(len(v)-c.idsAt) {
		return c, invalid("%s claims %d elements in %d bytes", what, c.n, len(v))
	}
	c.offsAt = c.idsAt + c.n*c.idSize
	c.dataAt = c.offsAt + (c.n+1)*c.offSize
	last := c.offset(v, c.n)
	if last > len(v)-c.dataAt {
		return c, invalid("%s claims %d bytes of values, %d remain", what, last, len(v)-c.dataAt)
	}
	c.size = c.dataAt + last
	return c, nil
}

// element appends element i of a container.
func (d *Decoder) element(dst []byte, m *Metadata, v []byte, c *container, i, depth int) ([]byte, error) {
	off := c.offset(v, i)
	end := c.size - c.dataAt
	if off >= end {
		return dst, invalid("element %d starts at %d, outside the %d bytes of values", i, off, end)
	}
	out, _, err := d.value(dst, m, v[c.dataAt+off:c.size], depth)
	if err != nil {
		return dst, err
	}
	return out, nil
}

func (d *Decoder) array(dst []byte, m *Metadata, v []byte, depth int) ([]byte, int, error) {
	if depth >= d.maxDepth() {
		return dst, 0, fmt.Errorf("%w: nested deeper than %d levels", ErrTooLarge, d.maxDepth())
	}
	c, err := layout(v, false)
	if err != nil {
		return dst, 0, err
	}
	dst = append(dst, '[')
	for i := 0; i < c.n; i++ {
		if i > 0 {
			dst = append(dst, ',')
		}
		if dst, err = d.element(dst, m, v, &c, i, depth+1); err != nil {
			return dst, 0, err
		}
		if err := d.tooLarge(dst); err != nil {
			return dst, 0, err
		}
	}
	return append(dst, ']'), c.size, nil
}

func (d *Decoder) object(dst []byte, m *Metadata, v []byte, depth int) ([]byte, int, error) {
	if depth >= d.maxDepth() {
		return dst, 0, fmt.Errorf("%w: nested deeper than %d levels", ErrTooLarge, d.maxDepth())
	}
	o, err := ParseObject(m, v)
	if err != nil {
		return dst, 0, err
	}
	dst = append(dst, '{')
	for i := 0; i < o.c.n; i++ {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = jsonx.AppendString(dst, o.Key(i))
		dst = append(dst, ':')
		if dst, err = d.element(dst, m, v, &o.c, i, depth+1); err != nil {
			return dst, 0, err
		}
		if err := d.tooLarge(dst); err != nil {
			return dst, 0, err
		}
	}
	return append(dst, '}'), o.c.size, nil
}

// Object is an object value, for reading its fields one by one (a
// partially shredded object merges them with its shredded fields).
type Object struct {
	m *Metadata
	v []byte
	c container
}

// IsObject reports whether v is an object value.
func IsObject(v []byte) bool { return len(v) > 0 && v[0]&3 == basicObject }

// ParseObject checks the field table of the object v: every field id in
// the dictionary, the keys in strictly increasing order (sorted, no key
// twice), every field inside the value.
func ParseObject(m *Metadata, v []byte) (Object, error) {
	if !IsObject(v) {
		return Object{}, invalid("not an object")
	}
	c, err := layout(v, true)
	if err != nil {
		return Object{}, err
	}
	var prev []byte
	for i := 0; i < c.n; i++ {
		id := c.id(v, i)
		if id >= m.Len() {
			return Object{}, invalid("field %d names key %d of a dictionary of %d", i, id, m.Len())
		}
		k := m.Key(id)
		if i > 0 && bytes.Compare(prev, k) >= 0 {
			if bytes.Equal(prev, k) {
				return Object{}, invalid("the key %q appears twice in an object", k)
			}
			return Object{}, invalid("the keys of an object are not sorted (%q after %q)", k, prev)
		}
		prev = k
	}
	return Object{m: m, v: v, c: c}, nil
}

// Len returns the number of fields.
func (o *Object) Len() int { return o.c.n }

// Key returns the key of field i, in key order.
func (o *Object) Key(i int) []byte { return o.m.Key(o.c.id(o.v, i)) }

// Size returns the bytes the object takes.
func (o *Object) Size() int { return o.c.size }

// AppendField appends the value of field i as JSON; depth is the nesting
// of the object.
func (d *Decoder) AppendField(dst []byte, o *Object, i, depth int) ([]byte, error) {
	limit := d.MaxBytes
	if limit <= 0 {
		limit = 64 << 20
	}
	d.limit = len(dst) + limit
	return d.element(dst, o.m, o.v, &o.c, i, depth+1)
}
