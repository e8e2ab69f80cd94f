package transform

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/groupimport/groupimport/record"
)

// Infer completes a mapping section for an input with the given columns
// and a sample of its first rows. km is the section from the mapping file,
// or nil when there is none.
//
// Without a mapping file everything is chosen by column names: groupId,
// userId, anonymousId, objectTypeId and timestamp by their common aliases,
// reserved traits and address parts by theirs. With a mapping file only the
// identifiers it leaves out are looked for. In both cases, for columns that
// carry untyped text (CSV), a column whose sampled values are all integers
// (without leading zeros, at most 15 digits), all decimals, or all
// true/false is written as numbers or booleans; a later value that does not
// fit is sent as the text it is, with a warning.
func Infer(kind Kind, km *KindMapping, columns []string, sample []record.Row) (*KindMapping, error) {
	return infer(kind, km, columns, sample, nil)
}

// Guess is an identifier that no column name gives, chosen by the caller
// from the values (groupimport init): its column, and why, in plain words
// for the mapping's notes.
type Guess struct {
	Field  string // groupId, userId or anonymousId
	Column string
	Why    string
}

// InferGuessing is Infer without a mapping file for a starter mapping:
// the identifiers that no column name gives are taken from guesses, each
// noted with its reason. A guess for an identifier a name gives, or of a
// column already given a job, is left out.
func InferGuessing(kind Kind, columns []string, sample []record.Row, guesses []Guess) (*KindMapping, error) {
	return infer(kind, nil, columns, sample, guesses)
}

func infer(kind Kind, km *KindMapping, columns []string, sample []record.Row, guesses []Guess) (*KindMapping, error) {
	in := &inference{out: startSection(kind, km, columns), columns: columns, taken: map[string]bool{}}
	for _, c := range in.out.columnsUsed() {
		in.taken[c] = true
	}
	for _, c := range in.out.Drop {
		in.taken[c] = true
	}
	in.pickIdentifiers(kind, km)
	in.applyGuesses(guesses)
	if err := in.checkIdentifiers(kind); err != nil {
		return nil, err
	}
	if km == nil && in.out.Timestamp == nil && !deleteKind(kind) {
		in.note("timestamp: no event-time column found; every call gets --timestamp or the run's start time")
	}
	in.sniffTypes(sample)
	return in.out, nil
}

// inference is the state of Infer: the section being completed and the
// columns already given a job.
type inference struct {
	out     *KindMapping
	columns []string
	taken   map[string]bool
}

// startSection is what Infer starts from: a copy of the mapping file's
// section, the keys of it that a deletion file has, or (without a mapping
// file) an empty section marked inferred.
func startSection(kind Kind, km *KindMapping, columns []string) *KindMapping {
	switch {
	case km != nil && deleteKind(kind):
		// A deletion file carries keys only: take the section's identifiers
		// that the file has, and its event settings.
		has := map[string]bool{}
		for _, c := range columns {
			has[c] = true
		}
		keep := func(f *Field) *Field {
			if f != nil && (f.Const != nil || has[f.Column]) {
				return f
			}
			return nil
		}
		return &KindMapping{Custom: Custom{Mode: "none"}, Timezone: km.Timezone, Nulls: km.Nulls, Limits: km.Limits,
			GroupID: keep(km.GroupID), UserID: keep(km.UserID), AnonymousID: keep(km.AnonymousID),
			ObjectTypeID: keep(km.ObjectTypeID), Timestamp: keep(km.Timestamp),
			ObjectDeletedEvent: km.ObjectDeletedEvent, RelationshipDeletedEvent: km.RelationshipDeletedEvent,
			DeleteAnonymousID: km.DeleteAnonymousID}
	case km != nil:
		c := *km
		return &c
	}
	return &KindMapping{Custom: Custom{Mode: "rest"}, Inferred: true}
}

func (in *inference) note(format string, args ...any) {
	in.out.Notes = append(in.out.Notes, fmt.Sprintf(format, args...))
}

// pick sets *f, when the mapping leaves it out, to the first free column
// that one of aliases names.
func (in *inference) pick(f **Field, name string, aliases []string) {
	if *f != nil {
		return
	}
	if c := matchAlias(in.columns, aliases, in.taken); c != "" {
		*f = &Field{Column: c}
		in.taken[c] = true
		in.note("%s ← column %q (by name)", name, c)
	}
}

// pickIdentifiers finds the identifiers (and, without a mapping file, the
// timestamp and deleted flag) by column names.
func (in *inference) pickIdentifiers(kind Kind, km *KindMapping) {
	out := in.out
	in.pick(&out.GroupID, fieldGroupID, groupIDAliases)
	if out.GroupID == nil && !relationshipKind(kind) {
		in.pick(&out.GroupID, fieldGroupID, []string{"id"})
	}
	if relationshipKind(kind) {
		in.pick(&out.UserID, fieldUserID, userIDAliases)
		in.pick(&out.AnonymousID, fieldAnonymousID, anonymousIDAliases)
	}
	if km == nil || deleteKind(kind) {
		in.pick(&out.ObjectTypeID, fieldObjectTypeID, objectTypeAliases)
		in.pick(&out.Timestamp, fieldTimestamp, timestampAliases)
	}
	if km == nil && !deleteKind(kind) {
		in.pick(&out.Deleted, "deleted (a true value sends a delete event)", deletedAliases)
	}
	if deleteKind(kind) {
		// a deletion file carries keys only: nothing else is sent
		out.Traits, out.RelationshipAttributes, out.Custom = nil, nil, Custom{Mode: "none"}
	}
}

// NamedIdentifiers returns the columns whose names give the identifiers,
// as Infer picks them without a mapping file: by "groupId", "userId",
// "anonymousId", "objectTypeId", "timestamp" and "deleted" (absent when
// no name gives one).
func NamedIdentifiers(kind Kind, columns []string) map[string]string {
	in := &inference{out: startSection(kind, nil, columns), columns: columns, taken: map[string]bool{}}
	in.pickIdentifiers(kind, nil)
	out := map[string]string{}
	for name, f := range map[string]*Field{fieldGroupID: in.out.GroupID, fieldUserID: in.out.UserID, fieldAnonymousID: in.out.AnonymousID,
		fieldObjectTypeID: in.out.ObjectTypeID, fieldTimestamp: in.out.Timestamp, "deleted": in.out.Deleted} {
		if f != nil {
			out[name] = f.Column
		}
	}
	return out
}

// applyGuesses sets the identifiers still open from guesses.
func (in *inference) applyGuesses(guesses []Guess) {
	for _, g := range guesses {
		var f **Field
		switch g.Field {
		case fieldGroupID:
			f = &in.out.GroupID
		case fieldUserID:
			f = &in.out.UserID
		case fieldAnonymousID:
			f = &in.out.AnonymousID
		}
		if f == nil || *f != nil || in.taken[g.Column] || !slices.Contains(in.columns, g.Column) {
			continue
		}
		*f = &Field{Column: g.Column}
		in.taken[g.Column] = true
		in.note("%s ← column %q: %s", g.Field, g.Column, g.Why)
	}
}

// checkIdentifiers refuses a section without a groupId, or a memberships
// section without a person.
func (in *inference) checkIdentifiers(kind Kind) error {
	if in.out.GroupID == nil {
		return &ConfigError{Msg: fmt.Sprintf("%s: no column for groupId (looked for %s); name it with groupId: in a mapping file, which groupimport init writes to start from (columns: %s)",
			kind, aliasList(groupIDAliases), columnList(in.columns))}
	}
	if relationshipKind(kind) && in.out.UserID == nil && in.out.AnonymousID == nil {
		return &ConfigError{Msg: fmt.Sprintf("%s: no column for userId or anonymousId (looked for %s); name one in a mapping file (columns: %s)",
			kind, aliasList(append(append([]string{}, userIDAliases...), anonymousIDAliases...)), columnList(in.columns))}
	}
	return nil
}

// sniffTypes sets the soft types of the untaken columns from the sample,
// for untyped (text) cells, and notes the columns that look like numbers
// written with a decimal comma the section does not declare.
func (in *inference) sniffTypes(sample []record.Row) {
	if len(sample) == 0 {
		return
	}
	nf := newNumberFormat(in.out)
	in.out.softTypes = map[string]string{}
	for _, c := range in.columns {
		if nf.decimal != ',' {
			if ex := commaExample(c, sample); ex != "" {
				if in.out.commaHints == nil {
					in.out.commaHints = map[string]string{}
				}
				in.out.commaHints[c] = ex
			}
		}
		if in.taken[c] {
			continue
		}
		if t := sniffType(c, sample, nf); t != "" {
			in.out.softTypes[c] = t
		}
	}
}

// sampleText calls fn with every non-empty text value of column in the
// sample, until it returns false; it reports false when a value is typed
// (not text) or fn stopped.
func sampleText(column string, sample []record.Row, fn func([]byte) bool) bool {
	for i := range sample {
		row := &sample[i]
		if row.Err != nil || row.Schema == nil {
			continue
		}
		idx := row.Schema.Index(column)
		if idx < 0 || idx >= len(row.Values) {
			continue
		}
		v := row.Values[idx]
		if v.Kind != record.String {
			return false // typed input: nothing to infer
		}
		if len(v.Bytes) > 0 && !fn(v.Bytes) {
			return false
		}
	}
	return true
}

// commaExample returns the first value of column when every text value of
// the sample is a number written with a decimal comma (1.234,50 or 3,5),
// and not every one could be a thousand written in English (1,234); else "".
func commaExample(column string, sample []record.Row) string {
	first, unambiguous := "", false
	all := sampleText(column, sample, func(b []byte) bool {
		t := trimSpace(b)
		if !looksDecimalComma(t) {
			return false
		}
		if first == "" {
			first = string(t)
		}
		unambiguous = unambiguous || !commaOrThousands.Match(t)
		return true
	})
	if !all || !unambiguous {
		return ""
	}
	return first
}

// commaWarning is the warning for a value of column sent as text that
// looks like a number with a decimal comma.
func commaWarning(kind Kind, column, example string) string {
	fix := `decimal: ","`
	if strings.Contains(example, ".") {
		fix += ` and thousands: "."`
	}
	return fmt.Sprintf("%s column %q: values look like numbers written with a decimal comma (e.g. %q) and are sent as text; add %s to the %s section of the mapping",
		kind, column, example, fix, sectionOfKind(kind))
}

func aliasList(a []string) string { return strings.Join(a, ", ") }

func columnList(c []string) string {
	if len(c) > 30 {
		return strings.Join(c[:30], ", ") + fmt.Sprintf(", … (%d in all)", len(c))
	}
	return strings.Join(c, ", ")
}

// sniffType returns integer, float or boolean when every non-empty text
// value of column in the sample is one (numbers read in format nf), else "".
func sniffType(column string, sample []record.Row, nf numberFormat) string {
	ints, floats, bools, n := 0, 0, 0, 0
	all := sampleText(column, sample, func(b []byte) bool {
		n++
		num := b
		if nf != plainNumbers {
			if t, ok := plainText(b, nf); ok {
				num = t
			}
		}
		switch {
		case isCanonicalInt(num):
			ints++
		case isCanonicalDecimal(num):
			floats++
		case isBoolWord(b):
			bools++
		default:
			return false
		}
		return true
	})
	switch {
	case !all || n == 0:
		return ""
	case ints == n:
		return TypeInteger
	case ints+floats == n:
		return TypeFloat
	case bools == n:
		return TypeBoolean
	}
	return ""
}

// TextType is the type Infer gives a text column whose sampled values are
// all like b, numbers read plainly (no decimal: or thousands:):
// TypeInteger, TypeFloat (a decimal), TypeBoolean, or TypeAuto. A column
// of integers and decimals is TypeFloat.
func TextType(b []byte) string {
	switch {
	case isCanonicalInt(b):
		return TypeInteger
	case isCanonicalDecimal(b):
		return TypeFloat
	case isBoolWord(b):
		return TypeBoolean
	}
	return TypeAuto
}

// isCanonicalInt: -?(0|[1-9][0-9]{0,14}); leading zeros mean an identifier
// or a code (zip 02134), more than 15 digits may not survive a float.
func isCanonicalInt(b []byte) bool {
	if len(b) > 0 && b[0] == '-' {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 15 {
		return false
	}
	if b[0] == '0' && len(b) > 1 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// isCanonicalDecimal: -?(0|[1-9]\d*)\.\d+ with at most 15 digits in all.
func isCanonicalDecimal(b []byte) bool {
	if len(b) > 0 && b[0] == '-' {
		b = b[1:]
	}
	dot := -1
	for i, c := range b {
		if c == '.' {
			if dot >= 0 {
				return false
			}
			dot = i
		} else if c < '0' || c > '9' {
			return false
		}
	}
	if dot <= 0 || dot == len(b)-1 || len(b)-1 > 15 {
		return false
	}
	if b[0] == '0' && dot != 1 {
		return false
	}
	return true
}

func isBoolWord(b []byte) bool {
	switch strings.ToLower(string(b)) {
	case "true", "false":
		return true
	}
	return false
}

// Describe lists what the plan for a schema writes, one line per output
// field, for people ("traits.name ← company_name (string)").
func Describe(kind Kind, km *KindMapping, columns []string) ([]string, error) {
	p, err := compile(kind, km, record.NewSchema(columns), true)
	if err != nil {
		return nil, err
	}
	return p.describe(), nil
}

// ForInit returns the mapping section written out in full for columns: every
// trait and attribute listed with its column and type, so a person can edit
// it, and custom: rest kept for columns that other files may add.
func ForInit(kind Kind, km *KindMapping, columns []string) (*KindMapping, error) {
	p, err := compile(kind, km, record.NewSchema(columns), true)
	if err != nil {
		return nil, err
	}
	out := *km
	out.Traits, out.RelationshipAttributes = nil, nil
	out.Notes = nil
	for _, n := range km.Notes {
		if !strings.HasSuffix(n, "(by name)") {
			out.Notes = append(out.Notes, n)
		}
	}
	list := func(slots []slot) []NamedField {
		var nf []NamedField
		for _, s := range slots {
			if s.address != nil {
				for k, part := range s.address.parts {
					if part.idx >= 0 {
						nf = append(nf, NamedField{Name: "address." + addressParts[k], Field: &Field{Column: part.column}})
					}
				}
				if s.address.whole.idx >= 0 {
					nf = append(nf, NamedField{Name: "address", Field: &Field{Column: s.address.whole.column}})
				}
				continue
			}
			f := *s.field
			if f.Column == "" && f.Const == nil {
				f.Column = s.col.column
			}
			if typ, _ := traitType(s.name); typ == f.Type {
				f.Type = "" // the reserved trait's own type (and strictness) comes back by itself
			}
			f.soft = false
			nf = append(nf, NamedField{Name: s.name, Field: &f})
		}
		return nf
	}
	out.Traits = list(p.traits)
	out.RelationshipAttributes = list(p.relationshipAttrs)
	if len(out.commaHints) > 0 {
		var cols []string
		for c := range out.commaHints {
			cols = append(cols, c)
		}
		sort.Strings(cols)
		out.Notes = append(out.Notes, fmt.Sprintf(`%s look like numbers written with a decimal comma (e.g. %q): add decimal: "," (and thousands: ".") to read them as numbers`,
			strings.Join(cols, ", "), out.commaHints[cols[0]]))
	}
	if out.softTypes != nil {
		var cols []string
		for c := range out.softTypes {
			cols = append(cols, c)
		}
		sort.Strings(cols)
		if len(cols) > 0 {
			out.Notes = append(out.Notes, fmt.Sprintf("types of %s inferred from the values; a value that does not fit is rejected once written here", strings.Join(cols, ", ")))
		}
	}
	return &out, nil
}
