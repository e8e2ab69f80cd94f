package parquet

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"
)

// This file turns the flat schema of a Parquet footer into the tree the
// reader assembles values from, and decides, per leaf, how a value becomes a
// record.Value. The rules (the contract for people reading this code):
//
//   - A top-level field is one column. A group that is neither a LIST nor a
//     MAP is a struct, read as a JSON object with its fields in schema order.
//   - LIST groups become JSON arrays. The backward-compatibility rules of the
//     Parquet format are applied to find the element: a repeated primitive,
//     a repeated group of several fields, or a repeated group of one field
//     named "array" or "<list>_tuple" is itself the element (the legacy
//     two-level layouts); otherwise the single field of the repeated group is
//     the element (the standard three-level layout). A repeated field outside
//     a LIST or MAP is a required list of required elements.
//   - MAP (and legacy MAP_KEY_VALUE) groups become JSON objects. Keys are
//     stringified: text as it is, numbers and booleans as their text,
//     timestamps as ISO-8601, anything else as its JSON text. A null key
//     rejects the row. Entries are written in file order; a key that occurs
//     more than once keeps its last entry (where that entry stands), and the
//     entries dropped are counted as a warning (most consumers of JSON
//     refuse or silently merge duplicate keys).
//   - VARIANT groups become the JSON of their value (variant.go):
//     objects and arrays as JSON, a top-level scalar as its own kind.
//   - Leaf conversions are listed on pqConv.

// pqKind is how a node is assembled.
type pqKind uint8

const (
	pqPrimitive pqKind = iota // one value of a leaf column
	pqStruct                  // a JSON object of the children
	pqList                    // a JSON array of elem
	pqMap                     // a JSON object of key → value
	pqVariant                 // a VARIANT group: metadata, value, typed_value (see variant.go)
	pqShred                   // a shredded VARIANT field or element: value, typed_value
)

// pqNode is a node of the schema tree. def and rep are the definition and
// repetition levels at which the node is present (counting the node itself).
type pqNode struct {
	name     string
	path     string // dotted path from the top-level column, for messages
	el       *format.SchemaElement
	repType  format.FieldRepetitionType
	kind     pqKind
	def, rep int
	children []*pqNode

	// pqList and pqMap: the repeated node whose instances are the entries,
	// and the entry's parts.
	repeated   *pqNode
	elem       *pqNode
	key, value *pqNode

	// pqPrimitive: the leaf column.
	leaf *pqLeaf

	// pqVariant and pqShred: the metadata (pqVariant only), the value and
	// the typed_value (either may be nil); an object typed_value's fields
	// (pqShred nodes), sorted by name.
	vMeta, vValue, vTyped *pqNode
	vFields               []*pqNode

	// leaves under the node: [lo, hi) indexes into the reader's leaf list
	lo, hi int
}

// pqLeaf is a leaf column (a column chunk in every row group).
type pqLeaf struct {
	index    int    // position among the file's leaf columns
	path     string // full dotted path in the file schema
	top      int    // index of the top-level column it belongs to
	maxDef   int
	maxRep   int
	physical format.Type
	conv     pqConv
	typeLen  int
	scale    int // decimals
	unit     int64
	timeDesc string // for Describe

	inVariant   bool   // a column of a VARIANT group (read raw, never as text)
	plainBinary bool   // BYTE_ARRAY without an annotation (see binary.go)
	autoText    bool   // plainBinary, to read as text if every value is UTF-8
	desc        string // for Describe, instead of the conversion's name
}

// pqConv is the conversion of a leaf's values.
type pqConv uint8

const (
	convBool      pqConv = iota // BOOLEAN → Bool
	convInt32                   // INT32 (and INT(8|16|32,signed)) → Number
	convUint32                  // INT32 with INT(32,false), UINT_8/16/32 → Number
	convInt64                   // INT64 → Number within ±(2^53−1), else String of the exact digits
	convUint64                  // INT64 with INT(64,false) → like convInt64, unsigned
	convFloat                   // FLOAT → Number (shortest text that reads back as the same float32); NaN, ±Inf → Null
	convDouble                  // DOUBLE → Number (shortest round-trip text); NaN, ±Inf → Null
	convFloat16                 // FIXED[2] FLOAT16 → like convFloat
	convString                  // STRING / UTF8 / ENUM → String, valid UTF-8 or the row is rejected
	convBinary                  // BYTE_ARRAY or FIXED without a logical type, BSON, GEOMETRY, GEOGRAPHY → base64 String
	convJSON                    // JSON → JSON (objects, arrays), scalars as their kinds; invalid JSON rejects the row
	convUUID                    // FIXED[16] UUID → String, canonical lower-case 8-4-4-4-12
	convDecimal                 // DECIMAL on INT32/INT64/FIXED/BYTE_ARRAY → exact decimal text (see appendDecimal)
	convDate                    // DATE → Time at midnight UTC
	convTime                    // TIME (millis, micros, nanos) → String "15:04:05.000" (truncated to ms)
	convTimestamp               // TIMESTAMP (millis, micros, nanos; UTC or local) → Time, floored to ms
	convInt96                   // INT96 (Impala/Spark/Hive) → Time, floored to ms
	convInterval                // FIXED[12] INTERVAL → String, ISO-8601 duration
	convNull                    // NULL / UNKNOWN logical type → Null
)

var convNames = [...]string{
	convBool: "boolean", convInt32: "number", convUint32: "number", convInt64: "number (string beyond ±2^53)",
	convUint64: "number (string beyond 2^53)", convFloat: "number (NaN/Inf → null)", convDouble: "number (NaN/Inf → null)",
	convFloat16: "number (NaN/Inf → null)", convString: "string", convBinary: "string (base64 of the bytes)",
	convJSON: "json", convUUID: "string (UUID)", convDecimal: "number (string beyond 15 digits)",
	convDate: "timestamp (midnight UTC)", convTime: "string (HH:MM:SS.mmm)", convTimestamp: "timestamp",
	convInt96: "timestamp", convInterval: "string (ISO-8601 duration)", convNull: "null",
}

// Time units of TIME and TIMESTAMP leaves: the number of units per millisecond
// is not what we need (millis are the output), so unit is units per second.
const (
	unitMillis = 1_000
	unitMicros = 1_000_000
	unitNanos  = 1_000_000_000
)

// pqSchema is the analysed schema of a file.
type pqSchema struct {
	top    []*pqNode // top-level columns
	leaves []*pqLeaf
	depth  int // deepest nesting of JSON objects/arrays a column produces
}

// errSchema marks a schema the reader refuses.
var errSchema = errors.New("unsupported schema")

// buildSchema analyses the footer's schema elements.
func buildSchema(els []format.SchemaElement, opts Options) (*pqSchema, error) {
	if len(els) == 0 {
		return nil, fmt.Errorf("%w: the footer has no schema", errSchema)
	}
	b := &schemaBuilder{els: els, s: &pqSchema{}, maxLeaves: opts.MaxColumns}
	root := &els[0]
	n := 0
	if root.NumChildren.Valid {
		n = int(root.NumChildren.V)
	}
	if n <= 0 {
		return nil, fmt.Errorf("%w: the schema has no columns", errSchema)
	}
	if n > len(els)-1 {
		return nil, fmt.Errorf("%w: the root claims %d fields but the schema lists %d elements", errSchema, n, len(els)-1)
	}
	b.pos = 1
	seen := map[string]bool{}
	for i := 0; i < n; i++ {
		node, err := b.node(nil, 0, 0, "", 1, opts.MaxDepth)
		if err != nil {
			return nil, err
		}
		if !utf8.ValidString(node.name) || node.name == "" {
			return nil, fmt.Errorf("%w: column %d has an empty or non-UTF-8 name %q", errSchema, i+1, node.name)
		}
		if seen[node.name] {
			return nil, fmt.Errorf("%w: the column name %q appears twice", errSchema, node.name)
		}
		seen[node.name] = true
		if node.repType == format.Repeated {
			node = wrapRepeated(node)
		}
		for _, l := range b.s.leaves[node.lo:node.hi] {
			l.top = i
		}
		b.s.top = append(b.s.top, node)
	}
	if b.pos != len(els) {
		return nil, fmt.Errorf("%w: the schema lists %d elements but its tree holds %d", errSchema, len(els), b.pos)
	}
	return b.s, nil
}

type schemaBuilder struct {
	els       []format.SchemaElement
	pos       int
	s         *pqSchema
	maxLeaves int
}

// node reads the element at b.pos and its subtree. parentDef/parentRep are
// the levels of the parent; depth counts the JSON nesting so far.
func (b *schemaBuilder) node(parent *pqNode, parentDef, parentRep int, prefix string, depth, maxDepth int) (*pqNode, error) {
	if b.pos >= len(b.els) {
		return nil, fmt.Errorf("%w: the schema tree needs more elements than the footer lists", errSchema)
	}
	el := &b.els[b.pos]
	b.pos++
	path := el.Name
	if prefix != "" {
		path = prefix + "." + el.Name
	}
	if !el.RepetitionType.Valid {
		return nil, fmt.Errorf("%w: field %q has no repetition type", errSchema, path)
	}
	n := &pqNode{name: el.Name, path: path, el: el, repType: el.RepetitionType.V, def: parentDef, rep: parentRep}
	switch n.repType {
	case format.Required:
	case format.Optional:
		n.def++
	case format.Repeated:
		n.def++
		n.rep++
	default:
		return nil, fmt.Errorf("%w: field %q has an unknown repetition type %d", errSchema, path, n.repType)
	}
	if n.def > 255 || n.rep > 255 {
		return nil, fmt.Errorf("%w: field %q is nested too deeply", errSchema, path)
	}
	n.lo = len(b.s.leaves)
	isGroup := el.NumChildren.Valid && el.NumChildren.V > 0 || !el.Type.Valid
	if !isGroup {
		leaf, err := b.leaf(el, n)
		if err != nil {
			return nil, err
		}
		n.kind = pqPrimitive
		n.leaf = leaf
		n.hi = len(b.s.leaves)
		return n, nil
	}
	nc := 0
	if el.NumChildren.Valid {
		nc = int(el.NumChildren.V)
	}
	if nc <= 0 {
		return nil, fmt.Errorf("%w: group %q has no fields", errSchema, path)
	}
	if nc > len(b.els)-b.pos {
		return nil, fmt.Errorf("%w: group %q claims %d fields, more than the schema holds", errSchema, path, nc)
	}
	if depth > maxDepth {
		return nil, fmt.Errorf("%w: field %q is nested deeper than %d levels", errSchema, path, maxDepth)
	}
	// JSON nesting: one level for the group, one more for a repeated field
	// (an array), counted generously.
	next := depth + 1
	if n.repType == format.Repeated {
		next++
	}
	for i := 0; i < nc; i++ {
		c, err := b.node(n, n.def, n.rep, path, next, maxDepth)
		if err != nil {
			return nil, err
		}
		n.children = append(n.children, c)
	}
	n.hi = len(b.s.leaves)
	if depth > b.s.depth {
		b.s.depth = depth
	}
	// What kind of group: VARIANT, LIST, MAP or struct.
	switch el.LogicalType.Value.(type) {
	case *format.VariantType:
		if err := b.variant(n); err != nil {
			return nil, err
		}
		return n, nil
	case nil, *format.ListType, *format.MapType:
	default:
		if !el.ConvertedType.Valid {
			return nil, fmt.Errorf("%w: group %q has the logical type %s, which is not supported", errSchema, path, el.LogicalType.Value)
		}
	}
	switch {
	case isListAnnotated(el):
		if err := b.list(n); err != nil {
			return nil, err
		}
	case isMapAnnotated(el) && !(n.repType == format.Repeated && parent != nil && isMapAnnotated(parent.el)):
		if err := b.mapNode(n); err != nil {
			return nil, err
		}
	default:
		n.kind = pqStruct
	}
	// A repeated field that is not the repeated part of a LIST or MAP is a
	// required list of required elements. The parent decides (list and mapNode
	// take their repeated child as is); wrap here every repeated child that the
	// parent did not claim.
	if n.kind == pqStruct {
		for i, c := range n.children {
			if c.repType == format.Repeated {
				n.children[i] = wrapRepeated(c)
			}
		}
	}
	return n, nil
}

// wrapRepeated turns a repeated field into a list node (present at its
// parent's levels) whose elements are the field's instances.
func wrapRepeated(r *pqNode) *pqNode {
	content := *r
	content.repType = format.Required
	return &pqNode{
		name: r.name, path: r.path, el: r.el, repType: format.Required, kind: pqList,
		def: r.def - 1, rep: r.rep - 1, repeated: r, elem: &content, lo: r.lo, hi: r.hi,
	}
}

func isListAnnotated(el *format.SchemaElement) bool {
	if _, ok := el.LogicalType.Value.(*format.ListType); ok {
		return true
	}
	return el.ConvertedType.Valid && el.ConvertedType.V == deprecated.List
}

func isMapAnnotated(el *format.SchemaElement) bool {
	if _, ok := el.LogicalType.Value.(*format.MapType); ok {
		return true
	}
	return el.ConvertedType.Valid && (el.ConvertedType.V == deprecated.Map || el.ConvertedType.V == deprecated.MapKeyValue)
}

// list applies the LIST backward-compatibility rules.
func (b *schemaBuilder) list(n *pqNode) error {
	if n.repType == format.Repeated {
		return fmt.Errorf("%w: LIST %q is itself repeated", errSchema, n.path)
	}
	if len(n.children) != 1 || n.children[0].repType != format.Repeated {
		return fmt.Errorf("%w: LIST %q must hold exactly one repeated field", errSchema, n.path)
	}
	r := n.children[0]
	n.kind = pqList
	n.repeated = r
	content := *r
	content.repType = format.Required
	switch {
	case r.kind == pqPrimitive, // repeated int32 element
		len(r.children) > 1,                            // repeated group of several fields
		r.name == "array" || r.name == n.name+"_tuple": // legacy names
		n.elem = &content
	default:
		e := r.children[0]
		if e.repType == format.Repeated {
			// repeated group list { repeated x } : the element is itself a list
			e = wrapRepeated(e)
		}
		n.elem = e
	}
	return nil
}

// mapNode applies the MAP rules.
func (b *schemaBuilder) mapNode(n *pqNode) error {
	if len(n.children) != 1 || n.children[0].repType != format.Repeated || n.children[0].kind == pqPrimitive {
		// A MAP_KEY_VALUE annotation on a repeated group outside a MAP: read
		// it as what it is, a list of {key, value} objects.
		if n.repType == format.Repeated {
			n.kind = pqStruct
			return nil
		}
		return fmt.Errorf("%w: MAP %q must hold exactly one repeated group of key and value", errSchema, n.path)
	}
	kv := n.children[0]
	if len(kv.children) < 1 || len(kv.children) > 2 {
		return fmt.Errorf("%w: MAP %q: the repeated group must hold a key and a value, not %d fields", errSchema, n.path, len(kv.children))
	}
	n.kind = pqMap
	n.repeated = kv
	n.key = kv.children[0]
	if n.key.repType == format.Repeated {
		return fmt.Errorf("%w: MAP %q: the key is repeated", errSchema, n.path)
	}
	if len(kv.children) == 2 {
		n.value = kv.children[1]
		if n.value.repType == format.Repeated {
			n.value = wrapRepeated(n.value)
		}
	}
	return nil
}

// decimal decides a DECIMAL leaf.
func (b *schemaBuilder) decimal(l *pqLeaf, n *pqNode, scale, prec int) error {
	switch l.physical {
	case format.Int32, format.Int64, format.FixedLenByteArray, format.ByteArray:
	default:
		return fmt.Errorf("%w: column %q: DECIMAL on %s is not a valid Parquet type", errSchema, n.path, l.physical)
	}
	if scale < 0 || prec < 0 || scale > 1000 || prec > 10000 {
		return fmt.Errorf("%w: column %q: DECIMAL(%d,%d) is not a valid decimal type", errSchema, n.path, prec, scale)
	}
	l.conv, l.scale = convDecimal, scale
	return nil
}

func unitOf(u *format.TimeUnit) (int64, error) {
	switch u.Value.(type) {
	case *format.MilliSeconds:
		return unitMillis, nil
	case *format.MicroSeconds:
		return unitMicros, nil
	case *format.NanoSeconds:
		return unitNanos, nil
	}
	return 0, errors.New("time unit missing or unknown")
}

// typeText describes a leaf's Parquet type for Describe: physical type,
// annotation and what it becomes.
func typeText(el *format.SchemaElement) string {
	var b strings.Builder
	if el.Type.Valid {
		b.WriteString(el.Type.V.String())
		if el.Type.V == format.FixedLenByteArray && el.TypeLength.Valid {
			b.WriteString("(" + strconv.Itoa(int(el.TypeLength.V)) + ")")
		}
	} else {
		b.WriteString("group")
	}
	switch {
	case el.LogicalType.Value != nil:
		b.WriteString(" " + el.LogicalType.Value.String())
	case el.ConvertedType.Valid:
		b.WriteString(" " + convertedName(el.ConvertedType.V))
		if el.ConvertedType.V == deprecated.Decimal {
			fmt.Fprintf(&b, "(%d,%d)", el.Precision.V, el.Scale.V)
		}
	}
	return b.String()
}

var convertedNames = [...]string{
	deprecated.UTF8: "UTF8", deprecated.Map: "MAP", deprecated.MapKeyValue: "MAP_KEY_VALUE", deprecated.List: "LIST",
	deprecated.Enum: "ENUM", deprecated.Decimal: "DECIMAL", deprecated.Date: "DATE", deprecated.TimeMillis: "TIME_MILLIS",
	deprecated.TimeMicros: "TIME_MICROS", deprecated.TimestampMillis: "TIMESTAMP_MILLIS", deprecated.TimestampMicros: "TIMESTAMP_MICROS",
	deprecated.Uint8: "UINT_8", deprecated.Uint16: "UINT_16", deprecated.Uint32: "UINT_32", deprecated.Uint64: "UINT_64",
	deprecated.Int8: "INT_8", deprecated.Int16: "INT_16", deprecated.Int32: "INT_32", deprecated.Int64: "INT_64",
	deprecated.Json: "JSON", deprecated.Bson: "BSON", deprecated.Interval: "INTERVAL",
}

// convertedName names a (legacy) converted type.
func convertedName(ct deprecated.ConvertedType) string {
	if ct >= 0 && int(ct) < len(convertedNames) {
		return convertedNames[ct]
	}
	return "CONVERTED_TYPE(" + strconv.Itoa(int(ct)) + ")"
}
