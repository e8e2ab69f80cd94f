package parquet

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"unicode/utf8"

	"github.com/groupimport/groupimport/internal/jsonx"
	"github.com/groupimport/groupimport/internal/variant"
	"github.com/groupimport/groupimport/record"
	"github.com/parquet-go/parquet-go/format"
)

// VARIANT columns (the Parquet logical type for semi-structured data that
// Spark, Databricks, Snowflake and Iceberg write), read as JSON.
//
// A VARIANT group holds a binary metadata (the dictionary of keys) and a
// binary value in the Variant encoding (decoded by internal/variant), and
// may be shredded: a typed_value holds the value when it has the shredded
// type, as a Parquet primitive, a LIST of shredded elements or a group of
// shredded object fields, each again a value and a typed_value. The reader
// merges them back as the shredding specification says:
//
//   - value only: the encoded value; typed_value only: the typed value
//     (converted like any Parquet value of its type, so that a shredded and
//     an unshredded VARIANT read the same); neither: a missing object field
//     (left out), elsewhere null;
//   - both: a partially shredded object, whose value must be an object with
//     none of the shredded fields; fields are written in key order, the
//     order the encoding keeps;
//   - a top-level VARIANT column is a JSON object or array, or the scalar
//     it holds as its own kind (string, number, boolean, null).
//
// A schema that is not a valid VARIANT (no metadata, a field other than
// metadata, value and typed_value, a typed_value of a type shredding does
// not allow) is a file error naming the column. A value that breaks the
// encoding, or a shredded value that breaks the rules above, rejects its
// row with a reason naming the column: the file's structure is sound and
// its other rows are read.

// variant analyses a VARIANT group whose children are built.
func (b *schemaBuilder) variant(n *pqNode) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: VARIANT column %q: %s", errSchema, n.path, fmt.Sprintf(format, args...))
	}
	if n.repType == format.Repeated {
		return bad("a VARIANT group cannot be repeated")
	}
	n.kind = pqVariant
	var value, typed *pqNode
	for _, c := range n.children {
		switch c.name {
		case "metadata":
			n.vMeta = c
		case "value":
			value = c
		case "typed_value":
			typed = c
		default:
			return bad("unexpected field %q (a VARIANT holds metadata, value and typed_value)", c.name)
		}
	}
	if n.vMeta == nil || !isBinaryLeaf(n.vMeta) {
		return bad("no binary metadata field")
	}
	if err := b.shred(n, value, typed); err != nil {
		return bad("%v", err)
	}
	for _, l := range b.s.leaves[n.lo:n.hi] {
		l.inVariant = true
	}
	return nil
}

func isBinaryLeaf(n *pqNode) bool {
	return n.kind == pqPrimitive && n.leaf.physical == format.ByteArray && n.repType != format.Repeated
}

// shred checks the value and typed_value of n (a VARIANT or a shredded
// field or element) and records them.
func (b *schemaBuilder) shred(n, value, typed *pqNode) error {
	if value == nil && typed == nil {
		return fmt.Errorf("%q has neither value nor typed_value", n.path)
	}
	if value != nil && !isBinaryLeaf(value) {
		return fmt.Errorf("%q is not an optional or required binary field", value.path)
	}
	n.vValue, n.vTyped = value, typed
	if typed == nil {
		return nil
	}
	if typed.repType == format.Repeated {
		return fmt.Errorf("%q is repeated", typed.path)
	}
	switch typed.kind {
	case pqPrimitive:
		switch typed.leaf.conv {
		case convBool, convInt32, convInt64, convFloat, convDouble, convDecimal, convDate, convTime,
			convTimestamp, convBinary, convString, convUUID:
			return nil
		}
		return fmt.Errorf("%q: %s is not a type a VARIANT is shredded as", typed.path, typeText(typed.el))
	case pqList:
		e := typed.elem
		if e.kind != pqStruct || e.repType != format.Required {
			return fmt.Errorf("%q: the elements of a shredded array must be required groups of value and typed_value", typed.path)
		}
		return b.shredGroup(e)
	case pqStruct:
		seen := map[string]bool{}
		for _, f := range typed.children {
			if !utf8.ValidString(f.name) || seen[f.name] {
				return fmt.Errorf("%q: the shredded field name %q is not valid UTF-8 or appears twice", typed.path, f.name)
			}
			seen[f.name] = true
			if f.kind != pqStruct || f.repType != format.Required {
				return fmt.Errorf("%q: a shredded object field must be a required group of value and typed_value", f.path)
			}
			if err := b.shredGroup(f); err != nil {
				return err
			}
			typed.vFields = append(typed.vFields, f)
		}
		sort.Slice(typed.vFields, func(i, j int) bool { return typed.vFields[i].name < typed.vFields[j].name })
		return nil
	}
	return fmt.Errorf("%q: a %s is not a type a VARIANT is shredded as", typed.path, typeText(typed.el))
}

// shredGroup turns a group of value and typed_value into a pqShred node.
func (b *schemaBuilder) shredGroup(g *pqNode) error {
	var value, typed *pqNode
	for _, c := range g.children {
		switch c.name {
		case "value":
			value = c
		case "typed_value":
			typed = c
		default:
			return fmt.Errorf("%q: unexpected field %q (a shredded value holds value and typed_value)", g.path, c.name)
		}
	}
	g.kind = pqShred
	return b.shred(g, value, typed)
}

// ---- reading ----

// variantState is one decoding goroutine's VARIANT state: the decoder and
// the last metadata parsed (every row of a row group usually shares one).
type variantState struct {
	dec     variant.Decoder
	metaRaw []byte
	meta    variant.Metadata
	metaErr error
	cur     *variant.Metadata // the metadata of the VARIANT being written
}

// metadata parses (or finds again) a metadata dictionary.
func (s *variantState) metadata(b []byte) (*variant.Metadata, error) {
	if s.metaRaw == nil || !bytes.Equal(b, s.metaRaw) {
		s.metaRaw = append(s.metaRaw[:0:0], b...)
		s.meta, s.metaErr = variant.ParseMetadata(s.metaRaw)
	}
	if s.metaErr != nil {
		return nil, s.metaErr
	}
	return &s.meta, nil
}

// leafBytes takes the next value of the binary leaf n (whose parent is
// present at rep); ok is false when it is null.
func (a *pqAssembler) leafBytes(n *pqNode, rep int) (b []byte, ok bool, err error) {
	v, l, err := a.first(n, rep)
	if err != nil {
		return nil, false, err
	}
	if def := v.DefinitionLevel(); def < n.def {
		if n.repType != format.Optional || def != n.def-1 {
			return nil, false, a.corrupt(l, "definition level %d leaves the required field %q undefined", def, n.path)
		}
		a.cur[l.index].advance()
		return nil, false, nil
	}
	b = v.ByteArray()
	a.cur[l.index].advance()
	return b, true, nil
}

// emitVariant writes a present VARIANT group.
func (a *pqAssembler) emitVariant(n *pqNode, rep int) error {
	md, ok, err := a.leafBytes(n.vMeta, rep)
	if err != nil {
		return err
	}
	vs := &a.d.variant
	saved := vs.cur
	defer func() { vs.cur = saved }()
	vs.cur = nil
	switch {
	case !ok:
		a.fail(n.path, record.CodeInvalidVariant, "the VARIANT metadata is null")
	case !a.skip:
		if vs.cur, err = vs.metadata(md); err != nil {
			a.fail(n.path, record.CodeInvalidVariant, "the VARIANT metadata: "+err.Error())
		}
	}
	s, err := a.shredPeek(n, rep)
	if err != nil {
		return err
	}
	return a.shredBody(n, rep, s)
}

// shredAt is what a shredded position holds.
type shredAt struct {
	value    []byte
	hasValue bool
	hasTyped bool
	typedDef int
}

func (s *shredAt) missing() bool { return !s.hasValue && !s.hasTyped }

// shredPeek takes the value of n at rep and looks whether its typed_value
// is there (without taking it).
func (a *pqAssembler) shredPeek(n *pqNode, rep int) (shredAt, error) {
	var s shredAt
	if n.vValue != nil {
		b, ok, err := a.leafBytes(n.vValue, rep)
		if err != nil {
			return s, err
		}
		s.value, s.hasValue = b, ok
	}
	if t := n.vTyped; t != nil {
		v, l, err := a.first(t, rep)
		if err != nil {
			return s, err
		}
		s.typedDef = v.DefinitionLevel()
		s.hasTyped = s.typedDef >= t.def
		if !s.hasTyped && (t.repType != format.Optional || s.typedDef != t.def-1) {
			return s, a.corrupt(l, "definition level %d leaves the required field %q undefined", s.typedDef, t.path)
		}
	}
	return s, nil
}

// emitShred writes a shredded array element (a pqShred node in emit).
func (a *pqAssembler) emitShred(n *pqNode, rep int) error {
	s, err := a.shredPeek(n, rep)
	if err != nil {
		return err
	}
	return a.shredBody(n, rep, s)
}

// shredBody writes the value of n described by s and takes its
// typed_value.
func (a *pqAssembler) shredBody(n *pqNode, rep int, s shredAt) error {
	t := n.vTyped
	switch {
	case !s.hasTyped:
		if t != nil {
			if err := a.consume(t, rep, s.typedDef); err != nil {
				return err
			}
		}
		if !s.hasValue {
			a.put("null") // missing where a value is needed: a VARIANT null
			return nil
		}
		a.appendVariant(n.path, s.value)
		return nil
	case t.kind == pqStruct:
		return a.shredObject(n, rep, s)
	}
	if s.hasValue {
		a.fail(n.path, record.CodeInvalidVariant, "a VARIANT has both a value and a typed_value, and it is not an object")
	}
	return a.emit(t, rep)
}

// appendVariant writes an encoded value.
func (a *pqAssembler) appendVariant(path string, v []byte) {
	vs := &a.d.variant
	if a.skip || vs.cur == nil {
		return
	}
	vs.dec.MaxDepth = a.d.maxDepth
	vs.dec.MaxBytes = max(1, a.limit-(len(a.out)-a.start))
	out, err := vs.dec.AppendJSON(a.out, vs.cur, v)
	if err != nil {
		a.failVariant(path, err)
		return
	}
	a.out = out
	a.checkSize()
}

// failVariant rejects the current row for err, from the VARIANT decoder.
func (a *pqAssembler) failVariant(path string, err error) {
	var re *variant.RangeError
	switch {
	case errors.Is(err, variant.ErrTooLarge):
		a.fail(path, record.CodeTooLarge, err.Error()+" (the record size or nesting limit)")
	case errors.As(err, &re):
		a.fail(path, record.CodeValueOutOfRange, err.Error())
	default:
		a.fail(path, record.CodeInvalidVariant, err.Error())
	}
}

// shredObject writes a shredded object, merging the fields of a partially
// shredded value, in key order.
func (a *pqAssembler) shredObject(n *pqNode, rep int, s shredAt) error {
	vs := &a.d.variant
	var obj variant.Object
	nv := 0
	if s.hasValue && !a.skip && vs.cur != nil {
		o, err := variant.ParseObject(vs.cur, s.value)
		switch {
		case !variant.IsObject(s.value):
			a.fail(n.path, record.CodeInvalidVariant, "a partially shredded VARIANT object has a value that is not an object")
		case err != nil:
			a.failVariant(n.path, err)
		default:
			obj, nv = o, o.Len()
		}
	}
	a.putByte('{')
	first := true
	sep := func() {
		if !first {
			a.putByte(',')
		}
		first = false
	}
	j := 0
	fromValue := func(stop []byte) {
		for ; j < nv && !a.skip && (stop == nil || bytes.Compare(obj.Key(j), stop) < 0); j++ {
			sep()
			a.out = jsonx.AppendString(a.out, obj.Key(j))
			a.out = append(a.out, ':')
			vs.dec.MaxDepth = a.d.maxDepth
			vs.dec.MaxBytes = max(1, a.limit-(len(a.out)-a.start))
			out, err := vs.dec.AppendField(a.out, &obj, j, 0)
			if err != nil {
				a.failVariant(n.path, err)
				return
			}
			a.out = out
			a.checkSize()
		}
	}
	for _, f := range n.vTyped.vFields {
		fs, err := a.shredPeek(f, rep)
		if err != nil {
			return err
		}
		if fs.missing() {
			if f.vTyped != nil {
				if err := a.consume(f.vTyped, rep, fs.typedDef); err != nil {
					return err
				}
			}
			continue
		}
		name := []byte(f.name)
		fromValue(name)
		if j < nv && !a.skip && bytes.Equal(obj.Key(j), name) {
			a.fail(n.path, record.CodeInvalidVariant, fmt.Sprintf("the field %q is both shredded and in the VARIANT value", f.name))
		}
		sep()
		if !a.skip {
			a.out = jsonx.AppendStringS(a.out, f.name)
			a.out = append(a.out, ':')
		}
		if err := a.shredBody(f, rep, fs); err != nil {
			return err
		}
		a.checkSize()
	}
	fromValue(nil)
	a.putByte('}')
	return nil
}

// variantCell turns the JSON written for a top-level VARIANT column (in
// a.out from a.start) into a cell of its own kind.
func (a *pqAssembler) variantCell() record.Kind {
	if len(a.out) == a.start {
		return record.Null
	}
	switch a.out[a.start] {
	case '{', '[':
		return record.JSON
	case 'n':
		a.out = a.out[:a.start]
		return record.Null
	case 't', 'f':
		return record.Bool
	case '"':
		a.d.scratch = jsonx.Unquote(a.d.scratch[:0], a.out[a.start:])
		a.out = append(a.out[:a.start], a.d.scratch...)
		return record.String
	}
	return record.Number
}
