package transform

import (
	"maps"

	"github.com/groupimport/groupimport/record"
)

// ColumnUse is what a mapping does with one input column, for people
// (groupimport inspect).
type ColumnUse struct {
	Column string
	// Output is where its values go: "groupId", "timestamp",
	// "traits.name", "traits.relationshipAttributes.role", … ("" when
	// nothing is sent from it).
	Output string
	// Type is what its values are written as: one of the field types
	// (TypeInteger, TypeTimestamp, …), or TypeAuto when they are written
	// as read. Identifiers are text.
	Type string
	// Inferred marks a type inferred from the values (Infer) or the
	// soft type of a reserved trait: a value that does not fit is sent as
	// read, with a warning, instead of rejecting the row.
	Inferred bool
}

// ColumnUses says, for each of columns in order, what the mapping km of
// kind does with it, as a run compiles it for a file of these columns.
func ColumnUses(kind Kind, km *KindMapping, columns []string) ([]ColumnUse, error) {
	p, err := compile(kind, km, record.NewSchema(columns), false)
	if err != nil {
		return nil, err
	}
	uses := make([]ColumnUse, len(columns))
	for i, c := range columns {
		uses[i].Column = c
	}
	set := func(c colRef, out, typ string, soft bool) {
		if c.present() && uses[c.idx].Output == "" {
			uses[c.idx].Output, uses[c.idx].Type, uses[c.idx].Inferred = out, typ, soft
		}
	}
	set(p.groupID, fieldGroupID, TypeString, false)
	set(p.userID, fieldUserID, TypeString, false)
	set(p.anonymousID, fieldAnonymousID, TypeString, false)
	set(p.objectType, "traits."+fieldObjectTypeID, TypeInteger, false)
	set(p.timestamp, fieldTimestamp, TypeTimestamp, false)
	set(p.deleted, "deleted", TypeBoolean, false)
	for _, sec := range []struct {
		prefix string
		slots  []slot
	}{{"traits.", p.traits}, {"traits.relationshipAttributes.", p.relationshipAttrs}} {
		for _, s := range sec.slots {
			if s.address != nil {
				for k, part := range s.address.parts {
					set(part, sec.prefix+"address."+addressParts[k], TypeString, false)
				}
				set(s.address.whole, sec.prefix+"address", TypeJSON, false)
				continue
			}
			set(s.col, sec.prefix+s.name, s.field.Type, s.field.soft)
		}
	}
	set(p.relAttrsObject, "traits.relationshipAttributes.*", TypeJSON, false)
	return uses, nil
}

// DecimalCommaColumns returns the text columns whose sampled values look
// like numbers written with a decimal comma that the section does not
// declare (decimal: ","), each with an example; nil when there are none.
func (km *KindMapping) DecimalCommaColumns() map[string]string {
	return maps.Clone(km.commaHints)
}

// TraitOf returns the reserved trait (or "address.<part>") that a column
// name stands for when a mapping is inferred ("createdAt" for created_at),
// or "".
func TraitOf(column string) string { return traitFor(column) }

// InferredTypes returns the types Infer gave text columns from their
// sampled values (integer, float or boolean), by column.
func (km *KindMapping) InferredTypes() map[string]string { return maps.Clone(km.softTypes) }

// ForgetInferredType leaves a column's values as read, as if Infer had
// given it no type (a value of the file that the sample did not hold does
// not fit it).
func (km *KindMapping) ForgetInferredType(column string) { delete(km.softTypes, column) }
