package parquet

import (
	"fmt"

	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"
)

// How a leaf's conversion is decided: by its logical type when it has one
// this reader knows (logicalConv); else by its legacy converted type
// (convertedRules); else by its physical type (physicalConvs). An
// annotation on a physical type it cannot annotate is a schema error.

// convRule is what an annotation allows and gives: the physical types it
// may annotate (any when nil), the FIXED_LEN_BYTE_ARRAY length it needs (0:
// any), and the conversion (and time unit) of its values.
type convRule struct {
	phys     []format.Type
	fixedLen int
	conv     pqConv
	unit     int64
}

var (
	onBytes = []format.Type{format.ByteArray, format.FixedLenByteArray}
	onInt32 = []format.Type{format.Int32}
	onInt64 = []format.Type{format.Int64}
	onFixed = []format.Type{format.FixedLenByteArray}
)

// fits reports whether the rule allows the leaf's physical type.
func (c convRule) fits(l *pqLeaf) bool {
	if c.fixedLen > 0 && l.typeLen != c.fixedLen {
		return false
	}
	if c.phys == nil {
		return true
	}
	for _, p := range c.phys {
		if p == l.physical {
			return true
		}
	}
	return false
}

// convertedRules are the legacy converted types of leaves. DECIMAL is
// decided by schemaBuilder.decimal; MAP, MAP_KEY_VALUE and LIST annotate
// groups, not leaves.
var convertedRules = map[deprecated.ConvertedType]convRule{
	deprecated.UTF8:            {phys: onBytes, conv: convString},
	deprecated.Enum:            {phys: onBytes, conv: convString},
	deprecated.Json:            {phys: onBytes, conv: convJSON},
	deprecated.Bson:            {conv: convBinary},
	deprecated.Date:            {phys: onInt32, conv: convDate},
	deprecated.TimeMillis:      {phys: onInt32, conv: convTime, unit: unitMillis},
	deprecated.TimeMicros:      {phys: onInt64, conv: convTime, unit: unitMicros},
	deprecated.TimestampMillis: {phys: onInt64, conv: convTimestamp, unit: unitMillis},
	deprecated.TimestampMicros: {phys: onInt64, conv: convTimestamp, unit: unitMicros},
	deprecated.Int8:            {phys: onInt32, conv: convInt32},
	deprecated.Int16:           {phys: onInt32, conv: convInt32},
	deprecated.Int32:           {phys: onInt32, conv: convInt32},
	deprecated.Uint8:           {phys: onInt32, conv: convUint32},
	deprecated.Uint16:          {phys: onInt32, conv: convUint32},
	deprecated.Uint32:          {phys: onInt32, conv: convUint32},
	deprecated.Int64:           {phys: onInt64, conv: convInt64},
	deprecated.Uint64:          {phys: onInt64, conv: convUint64},
	deprecated.Interval:        {phys: onFixed, fixedLen: 12, conv: convInterval},
}

// physicalConvs are the conversions of leaves without annotation.
var physicalConvs = map[format.Type]pqConv{
	format.Boolean:           convBool,
	format.Int32:             convInt32,
	format.Int64:             convInt64,
	format.Int96:             convInt96,
	format.Float:             convFloat,
	format.Double:            convDouble,
	format.ByteArray:         convBinary,
	format.FixedLenByteArray: convBinary,
}

// leaf decides the conversion of a primitive column.
func (b *schemaBuilder) leaf(el *format.SchemaElement, n *pqNode) (*pqLeaf, error) {
	if len(b.s.leaves) >= b.maxLeaves {
		return nil, fmt.Errorf("%w: more than %d columns", errSchema, b.maxLeaves)
	}
	l := &pqLeaf{index: len(b.s.leaves), path: n.path, maxDef: n.def, maxRep: n.rep, physical: el.Type.V}
	if el.TypeLength.Valid {
		l.typeLen = int(el.TypeLength.V)
	}
	if l.physical == format.FixedLenByteArray && (l.typeLen <= 0 || l.typeLen > 1<<20) {
		return nil, fmt.Errorf("%w: column %q: FIXED_LEN_BYTE_ARRAY of length %d", errSchema, n.path, l.typeLen)
	}
	// The logical type wins over the converted type when both are set; an
	// annotation from a newer format version falls back on the converted
	// type, which says what older readers should do.
	lt := el.LogicalType.Value
	known := false
	var err error
	if lt != nil {
		known, err = b.logicalConv(l, n, lt)
		if !known && !el.ConvertedType.Valid {
			return nil, fmt.Errorf("%w: column %q: unknown logical type %s", errSchema, n.path, lt)
		}
	}
	switch {
	case err != nil:
	case known:
	case el.ConvertedType.Valid:
		err = b.convertedConv(l, n, el)
	default:
		err = b.physicalConv(l, n)
	}
	if err != nil {
		return nil, err
	}
	b.s.leaves = append(b.s.leaves, l)
	return l, nil
}

// badAnnotation is the error for an annotation on a physical type it
// cannot annotate.
func badAnnotation(n *pqNode, l *pqLeaf, what string) error {
	return fmt.Errorf("%w: column %q: %s on %s is not a valid Parquet type", errSchema, n.path, what, l.physical)
}

// logicalConv decides the conversion of a leaf by its logical type lt;
// known is false for a logical type this reader does not know.
func (b *schemaBuilder) logicalConv(l *pqLeaf, n *pqNode, lt format.LogicalTypeValue) (known bool, err error) {
	var rule convRule
	switch t := lt.(type) {
	case *format.StringType, *format.EnumType:
		rule = convRule{phys: onBytes, conv: convString}
	case *format.JsonType:
		rule = convRule{phys: onBytes, conv: convJSON}
	case *format.BsonType, *format.GeometryType, *format.GeographyType:
		rule = convRule{phys: onBytes, conv: convBinary}
	case *format.UUIDType:
		rule = convRule{phys: onFixed, fixedLen: 16, conv: convUUID}
	case *format.Float16Type:
		rule = convRule{phys: onFixed, fixedLen: 2, conv: convFloat16}
	case *format.DateType:
		rule = convRule{phys: onInt32, conv: convDate}
	case *format.NullType:
		rule = convRule{conv: convNull}
	case *format.TimeType:
		return true, b.timeConv(l, n, t)
	case *format.TimestampType:
		return true, b.timestampConv(l, n, t)
	case *format.IntType:
		return true, intConv(l, n, t)
	case *format.DecimalType:
		return true, b.decimal(l, n, int(t.Scale), int(t.Precision))
	case *format.VariantType:
		return true, fmt.Errorf("%w: column %q: the VARIANT logical type is not supported", errSchema, n.path)
	case *format.MapType, *format.ListType:
		return true, badAnnotation(n, l, lt.String())
	default:
		return false, nil
	}
	if !rule.fits(l) {
		return true, badAnnotation(n, l, lt.String())
	}
	l.conv = rule.conv
	return true, nil
}

func (b *schemaBuilder) timeConv(l *pqLeaf, n *pqNode, t *format.TimeType) error {
	u, err := unitOf(&t.Unit)
	if err != nil {
		return fmt.Errorf("%w: column %q: %v", errSchema, n.path, err)
	}
	phys := l.physical
	if (u == unitMillis) != (phys == format.Int32) || (phys != format.Int32 && phys != format.Int64) {
		return badAnnotation(n, l, t.String())
	}
	l.conv, l.unit = convTime, u
	return nil
}

func (b *schemaBuilder) timestampConv(l *pqLeaf, n *pqNode, t *format.TimestampType) error {
	u, err := unitOf(&t.Unit)
	if err != nil {
		return fmt.Errorf("%w: column %q: %v", errSchema, n.path, err)
	}
	if l.physical != format.Int64 {
		return badAnnotation(n, l, t.String())
	}
	l.conv, l.unit = convTimestamp, u
	if !t.IsAdjustedToUTC {
		l.timeDesc = "local wall time, read as UTC"
	}
	return nil
}

func intConv(l *pqLeaf, n *pqNode, t *format.IntType) error {
	phys := l.physical
	switch {
	case phys == format.Int32 && t.BitWidth <= 32 && t.IsSigned:
		l.conv = convInt32
	case phys == format.Int32 && t.BitWidth <= 32:
		l.conv = convUint32
	case phys == format.Int64 && t.IsSigned:
		l.conv = convInt64
	case phys == format.Int64:
		l.conv = convUint64
	default:
		return badAnnotation(n, l, t.String())
	}
	return nil
}

// convertedConv decides the conversion of a leaf by its converted type.
func (b *schemaBuilder) convertedConv(l *pqLeaf, n *pqNode, el *format.SchemaElement) error {
	ct := el.ConvertedType.V
	switch ct {
	case deprecated.Decimal:
		scale, prec := 0, 0
		if el.Scale.Valid {
			scale = int(el.Scale.V)
		}
		if el.Precision.Valid {
			prec = int(el.Precision.V)
		}
		return b.decimal(l, n, scale, prec)
	case deprecated.Map, deprecated.MapKeyValue, deprecated.List:
		return badAnnotation(n, l, convertedName(ct))
	}
	rule, ok := convertedRules[ct]
	if !ok {
		return fmt.Errorf("%w: column %q: unknown converted type %d", errSchema, n.path, ct)
	}
	if !rule.fits(l) {
		return badAnnotation(n, l, convertedName(ct))
	}
	l.conv, l.unit = rule.conv, rule.unit
	return nil
}

// physicalConv decides the conversion of a leaf without annotation.
func (b *schemaBuilder) physicalConv(l *pqLeaf, n *pqNode) error {
	conv, ok := physicalConvs[l.physical]
	if !ok {
		return fmt.Errorf("%w: column %q: unknown physical type %d", errSchema, n.path, l.physical)
	}
	l.conv = conv
	l.plainBinary = l.physical == format.ByteArray
	return nil
}
