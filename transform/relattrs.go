package transform

import (
	"fmt"
	"strconv"

	"github.com/groupimport/groupimport/internal/jsonx"
	"github.com/groupimport/groupimport/record"
)

// A memberships column named relationshipAttributes (or
// relationship_attributes) that holds an object — an NDJSON object, a
// Parquet struct, JSON text in CSV — is the relationship's attributes, as
// the API's own example writes them: its keys fill
// traits.relationshipAttributes beside the mapped attributes, never
// relationshipAttributes.relationshipAttributes.

// appendAttributesObject writes the keys of the row's relationshipAttributes
// object into the attributes being written (dst, whose first attribute
// starts at mark), counting them in count.
func (b *Builder) appendAttributesObject(dst []byte, row *record.Row, p *rowPlan, mark int, count *int) ([]byte, *RowError) {
	c := p.relAttrsObject
	v := b.value(row, p, c)
	raw := v.Bytes
	switch {
	case v.IsEmpty():
		return dst, nil
	case v.Kind == record.String:
		raw = trimSpace(raw)
		if len(raw) == 0 {
			return dst, nil
		}
		if raw[0] != '{' || jsonx.Valid(raw, jsonx.MaxDepth) != nil {
			return dst, notAttributes(c.column, v)
		}
		b.objBuf, _, _ = jsonx.AppendCompact(b.objBuf[:0], raw, jsonx.SkipSpace(raw, 0), jsonx.MaxDepth)
		raw = b.objBuf
	case v.Kind != record.JSON || raw[0] != '{':
		return dst, notAttributes(c.column, v)
	}
	if b.objKeys == nil {
		b.objKeys = map[string]bool{}
	}
	clear(b.objKeys)
	var rerr *RowError
	err := jsonx.ObjectEach(raw, func(k, val []byte) error {
		name := string(jsonx.Unquote(nil, k))
		if rerr = b.attributeFromObject(p, c.column, name, val); rerr != nil {
			return rerr
		}
		if len(dst) > mark {
			dst = append(dst, ',')
		}
		dst = jsonx.AppendStringS(dst, name)
		dst = append(dst, ':')
		dst = append(dst, val...)
		*count++
		if b.hashTraits {
			b.noteTrait(traitNameHash(name, true), name, true, val)
		}
		return nil
	})
	if rerr != nil {
		return dst, rerr
	}
	if err != nil {
		return dst, notAttributes(c.column, v)
	}
	return dst, nil
}

// attributeFromObject checks one key of the object: not one a mapped
// attribute fills too, not given twice, within Journeys' limits.
func (b *Builder) attributeFromObject(p *rowPlan, column, name string, val []byte) *RowError {
	switch {
	case name == "":
		return &RowError{Code: CodeInvalidRelationshipAttributes, Column: column, Reason: "an attribute of the relationshipAttributes object has an empty name"}
	case p.attrNames[name]:
		return &RowError{Code: CodeAttributeConflict, Column: column,
			Reason: fmt.Sprintf("relationship attribute %q comes both from the mapping and from the relationshipAttributes object; drop or rename one", name)}
	case b.objKeys[name]:
		return &RowError{Code: CodeAttributeConflict, Column: column,
			Reason: fmt.Sprintf("relationship attribute %q is given twice in the relationshipAttributes object", name)}
	}
	b.objKeys[name] = true
	if len(name) > maxNameBytes {
		if !p.warnLimits {
			return &RowError{Code: CodeNameTooLong, Column: column,
				Reason: fmt.Sprintf("the attribute name %s is %d bytes, over Journeys' %d-byte limit for names", strconv.Quote(name[:40]+"…"), len(name), maxNameBytes)}
		}
		b.warn("column %q: an attribute name over Journeys' %d-byte limit", column, maxNameBytes)
	}
	if n := valueBytes(val); n > maxValueBytes {
		if !p.warnLimits {
			return &RowError{Code: CodeValueTooLong, Column: column,
				Reason: fmt.Sprintf("relationship attribute %q is %d bytes, over Journeys' %d-byte limit", name, n, maxValueBytes)}
		}
		b.warn("column %q: a value over Journeys' %d-byte limit", column, maxValueBytes)
	}
	if val[0] == '-' || (val[0] >= '0' && val[0] <= '9') {
		if !jsonNumberInRange(val) {
			return numberOutOfRange(record.Value{Kind: record.Number, Bytes: val}, column)
		}
	}
	return nil
}

func notAttributes(column string, v record.Value) *RowError {
	return &RowError{Code: CodeInvalidRelationshipAttributes, Column: column,
		Reason: fmt.Sprintf("relationshipAttributes must be an object of attributes, not %s %s", article(v.Kind), quoteValue(v))}
}
