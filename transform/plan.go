package transform

import (
	"fmt"
	"strings"
	"time"

	"github.com/groupimport/groupimport/internal/jsonx"
	"github.com/groupimport/groupimport/record"
)

// A plan is a mapping section compiled against one schema (one file's
// header, or one NDJSON key set): column indexes resolved, output order
// fixed, JSON keys pre-escaped. Building a payload then touches no maps.

type colRef struct {
	idx    int      // column index, -1 when absent
	path   []string // keys inside a nested object column
	column string   // the name as the mapping wrote it
}

func (c colRef) present() bool { return c.idx >= 0 }

type addrSlot struct {
	parts [5]colRef // street, city, state, postalCode, country
	whole colRef    // an object column (or text, taken as the street)
}

type slot struct {
	stat int // index of the slot's statistics (see statNames)
	name string
	key  []byte // "name":
	col  colRef
	f    *Field
	ds   *dateSpec
	addr *addrSlot
}

type plan struct {
	kind                        Kind
	group, user, anon, objType  colRef
	ts                          colRef
	groupF, userF, anonF, objTF *Field
	tsF                         *Field
	deleted                     colRef
	objDeletedEvent             string
	relDeletedEvent             string
	deleteAnonID                string
	objTypeConst                []byte
	tsSpec                      *dateSpec
	traits                      []slot
	rels                        []slot
	nulls                       [][]byte
	emptyNull                   bool
	warnLimits                  bool
	joinObjectTraits            bool
	joinNames                   map[string]bool
}

// hasTrait reports whether the plan writes an object trait called name.
func (p *plan) hasTrait(name string) bool {
	for i := range p.traits {
		if p.traits[i].name == name {
			return true
		}
	}
	return false
}

func resolve(s *record.Schema, name string) (colRef, bool) {
	if i := s.Index(name); i >= 0 {
		return colRef{idx: i, column: name}, true
	}
	for k := len(name) - 1; k > 0; k-- {
		if name[k] == '.' {
			if i := s.Index(name[:k]); i >= 0 {
				return colRef{idx: i, path: strings.Split(name[k+1:], "."), column: name}, true
			}
		}
	}
	return colRef{idx: -1, column: name}, false
}

func loadZone(name string) (*time.Location, error) {
	if name == "" || strings.EqualFold(name, "UTC") {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown timezone %q (an IANA name such as Europe/Berlin)", name)
	}
	return loc, nil
}

func newDateSpec(f *Field, defZone *time.Location) (*dateSpec, error) {
	ds := &dateSpec{loc: defZone}
	if f == nil {
		return ds, nil
	}
	if f.Timezone != "" {
		loc, err := loadZone(f.Timezone)
		if err != nil {
			return nil, err
		}
		ds.loc = loc
	}
	if f.Unit != "" {
		ds.unit = unitScale(f.Unit)
	}
	if f.Format != "" {
		l, err := strftimeLayout(f.Format)
		if err != nil {
			return nil, err
		}
		ds.layout = l
	}
	return ds, nil
}

// compile fits km to schema s. With strict, every column the mapping names
// must exist (files with a fixed set of columns); otherwise a missing
// column is simply empty in this row.
func compile(kind Kind, km *KindMapping, s *record.Schema, strict bool) (*plan, error) {
	p := &plan{kind: kind, emptyNull: km.Empty == "null", warnLimits: km.Limits == PolicyWarn}
	for _, n := range km.Nulls {
		p.nulls = append(p.nulls, []byte(n))
	}
	zone, err := loadZone(km.Timezone)
	if err != nil {
		return nil, &ConfigError{Msg: err.Error()}
	}
	used := map[int]bool{}
	var missing []string
	ref := func(f *Field) colRef {
		if f == nil || f.Column == "" {
			return colRef{idx: -1}
		}
		c, ok := resolve(s, f.Column)
		if !ok {
			missing = append(missing, fmt.Sprintf("%q%s", f.Column, lineNote(f.line)))
		} else {
			used[c.idx] = true
		}
		return c
	}
	p.group, p.groupF = ref(km.GroupID), km.GroupID
	p.user, p.userF = ref(km.UserID), km.UserID
	p.anon, p.anonF = ref(km.AnonymousID), km.AnonymousID
	p.objType, p.objTF = ref(km.ObjectTypeID), km.ObjectTypeID
	p.ts, p.tsF = ref(km.Timestamp), km.Timestamp
	p.deleted = ref(km.Deleted)
	if km.IncludeObjectTraits && relationshipKind(kind) {
		p.joinObjectTraits = true
		for _, n := range km.ObjectTraitNames {
			if p.joinNames == nil {
				p.joinNames = map[string]bool{}
			}
			p.joinNames[canonicalTrait(n)] = true
		}
	}
	p.objDeletedEvent = firstNonEmpty(km.ObjectDeletedEvent, EventObjectDeleted)
	p.relDeletedEvent = firstNonEmpty(km.RelationshipDeletedEvent, EventRelationshipDeleted)
	p.deleteAnonID = firstNonEmpty(km.DeleteAnonymousID, DefaultDeleteAnonymousID)
	if p.tsSpec, err = newDateSpec(km.Timestamp, zone); err != nil {
		return nil, &ConfigError{Msg: "timestamp: " + err.Error()}
	}
	if km.GroupID != nil && km.GroupID.Const != nil {
		return nil, &ConfigError{Line: km.GroupID.line, Msg: "groupId must come from a column"}
	}
	p.objTypeConst = []byte("1")
	if f := km.ObjectTypeID; f != nil && f.Const != nil {
		c := strings.Trim(string(f.Const), `"`)
		if !isPositiveInt(c) {
			return nil, &ConfigError{Line: f.line, Msg: fmt.Sprintf("objectTypeId must be an integer of 1 or more, not %s", f.Const)}
		}
		p.objTypeConst = []byte(c)
	}
	for _, d := range km.Drop {
		if c, ok := resolve(s, d); ok && len(c.path) == 0 {
			used[c.idx] = true
		}
	}

	names := map[string]string{} // output name → where it comes from
	claim := func(section, name, from string) error {
		k := section + "\x00" + name
		if prev, ok := names[k]; ok {
			return &ConfigError{Msg: fmt.Sprintf("%s and %s both become %s %q; map one explicitly, rename it, or drop it", prev, from, sectionWord(section), name)}
		}
		names[k] = from
		return nil
	}
	var addr *addrSlot
	addSlot := func(dst *[]slot, section, name string, f *Field, c colRef) error {
		if section == "traits" {
			switch name {
			case fieldObjectTypeID:
				return &ConfigError{Line: f.line, Msg: "objectTypeId is set with objectTypeId: at the top of the section, not as a trait"}
			case traitRelAttrs:
				return &ConfigError{Line: f.line, Msg: "relationshipAttributes are set with relationshipAttributes: in the memberships section"}
			}
			if strings.HasPrefix(name, "address.") || name == traitAddress {
				if addr == nil {
					addr = &addrSlot{whole: colRef{idx: -1}}
					for k := range addr.parts {
						addr.parts[k].idx = -1
					}
					*dst = append(*dst, slot{name: traitAddress, key: keyJSON(traitAddress), addr: addr, f: &Field{}})
				}
				if err := claim(section, name, describeSource(f, c)); err != nil {
					return err
				}
				if name == traitAddress {
					addr.whole = c
					return nil
				}
				part, ok := addressPart(strings.TrimPrefix(name, "address."))
				if !ok {
					return &ConfigError{Line: f.line, Msg: fmt.Sprintf("%q: an address has only street, city, state, postalCode and country", name)}
				}
				for k, pn := range addressParts {
					if pn == part {
						if addr.parts[k].present() {
							return &ConfigError{Msg: fmt.Sprintf("address.%s comes from both %q and %q", part, addr.parts[k].column, c.column)}
						}
						addr.parts[k] = c
					}
				}
				return nil
			}
		}
		if len(name) > 150 {
			return &ConfigError{Msg: fmt.Sprintf("the name %q is longer than Journeys' 150-byte limit for attribute names", name)}
		}
		if err := claim(section, name, describeSource(f, c)); err != nil {
			return err
		}
		sl := slot{name: name, key: keyJSON(name), col: c, f: f}
		if f.Type == TypeTimestamp {
			ds, err := newDateSpec(f, zone)
			if err != nil {
				return &ConfigError{Line: f.line, Msg: name + ": " + err.Error()}
			}
			sl.ds = ds
		}
		*dst = append(*dst, sl)
		return nil
	}
	explicit := func(dst *[]slot, section string, list []NamedField) error {
		for _, nf := range list {
			name := nf.Name
			f := nf.Field
			if section == "traits" {
				name = canonicalTrait(name)
				if f.Type == "" && f.Const == nil {
					typ, soft := traitType(name)
					g := *f
					g.Type, g.soft = typ, soft
					f = &g
				}
			}
			if err := addSlot(dst, section, name, f, ref(f)); err != nil {
				return err
			}
		}
		return nil
	}
	if err := explicit(&p.traits, "traits", km.Traits); err != nil {
		return nil, err
	}
	if len(km.RelationshipAttributes) > 0 && !relationshipKind(kind) {
		return nil, &ConfigError{Msg: "relationshipAttributes belong in the memberships section"}
	}
	if err := explicit(&p.rels, "relationshipAttributes", km.RelationshipAttributes); err != nil {
		return nil, err
	}
	if strict && len(missing) > 0 {
		return nil, &ConfigError{Msg: fmt.Sprintf("%s: the mapping names %s, not in the input (columns: %s)",
			kind, strings.Join(missing, ", "), columnList(s.Names))}
	}

	// The columns the mapping does not name.
	var rest []int
	switch km.Custom.Mode {
	case "none":
	case "list":
		for _, c := range km.Custom.Columns {
			i := s.Index(c)
			if i < 0 {
				if strict {
					return nil, &ConfigError{Msg: fmt.Sprintf("%s: custom names column %q, not in the input (columns: %s)", kind, c, columnList(s.Names))}
				}
				continue
			}
			if !used[i] {
				rest = append(rest, i)
			}
		}
	default:
		for i := range s.Names {
			if !used[i] {
				rest = append(rest, i)
			}
		}
	}
	for _, i := range rest {
		col := s.Names[i]
		c := colRef{idx: i, column: col}
		f := &Field{Column: col}
		if t, ok := km.softTypes[col]; ok {
			f.Type, f.soft = t, true
		}
		if relationshipKind(kind) {
			if err := addSlot(&p.rels, "relationshipAttributes", col, f, c); err != nil {
				return nil, err
			}
			continue
		}
		name := col
		if t := traitFor(col); t != "" {
			name = t
			if typ, soft := traitType(t); typ != "" {
				f.Type, f.soft = typ, soft
			}
		}
		if err := addSlot(&p.traits, "traits", name, f, c); err != nil {
			return nil, err
		}
	}
	for i := range p.traits {
		p.traits[i].stat = statFirstSlot + i
	}
	for i := range p.rels {
		p.rels[i].stat = statFirstSlot + len(p.traits) + i
	}
	return p, nil
}

func sectionWord(section string) string {
	if section == "traits" {
		return "trait"
	}
	return "relationship attribute"
}

func describeSource(f *Field, c colRef) string {
	if f != nil && f.Const != nil {
		return "the constant " + string(f.Const)
	}
	return fmt.Sprintf("column %q", c.column)
}

func lineNote(line int) string {
	if line > 0 {
		return fmt.Sprintf(" (line %d)", line)
	}
	return ""
}

func keyJSON(name string) []byte {
	b := jsonx.AppendStringS(nil, name)
	return append(b, ':')
}

func isPositiveInt(s string) bool {
	if s == "" || s[0] == '0' || len(s) > 18 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// columns marks, among n columns, those the plan reads.
func (p *plan) columns(n int) []bool {
	used := make([]bool, n)
	mark := func(c colRef) {
		if c.idx >= 0 && c.idx < n {
			used[c.idx] = true
		}
	}
	for _, c := range []colRef{p.group, p.user, p.anon, p.objType, p.ts, p.deleted} {
		mark(c)
	}
	for _, slots := range [][]slot{p.traits, p.rels} {
		for _, s := range slots {
			if s.addr == nil {
				mark(s.col)
				continue
			}
			for _, part := range s.addr.parts {
				mark(part)
			}
			mark(s.addr.whole)
		}
	}
	return used
}

// describe lists the plan's outputs for people.
func (p *plan) describe() []string {
	var out []string
	id := func(name string, c colRef, f *Field) {
		if c.present() {
			out = append(out, fmt.Sprintf("%s ← %q", name, c.column))
		} else if f != nil && f.Const != nil {
			out = append(out, fmt.Sprintf("%s = %s", name, f.Const))
		}
	}
	id(fieldGroupID, p.group, p.groupF)
	id(fieldUserID, p.user, p.userF)
	id(fieldAnonymousID, p.anon, p.anonF)
	if p.objType.present() {
		id("traits.objectTypeId", p.objType, p.objTF)
	} else {
		out = append(out, "traits.objectTypeId = "+string(p.objTypeConst))
	}
	if p.ts.present() {
		id(fieldTimestamp, p.ts, p.tsF)
	}
	if p.deleted.present() {
		out = append(out, fmt.Sprintf("deleted ← %q (a true value sends %q / %q after the upserts)", p.deleted.column, p.objDeletedEvent, p.relDeletedEvent))
	}
	list := func(prefix string, slots []slot) {
		for _, s := range slots {
			if s.addr != nil {
				for k, part := range s.addr.parts {
					if part.present() {
						out = append(out, fmt.Sprintf("%saddress.%s ← %q", prefix, addressParts[k], part.column))
					}
				}
				if s.addr.whole.present() {
					out = append(out, fmt.Sprintf("%saddress ← %q", prefix, s.addr.whole.column))
				}
				continue
			}
			typ := s.f.Type
			if typ == "" {
				typ = "as read"
			}
			if s.f.soft {
				typ += ", inferred"
			}
			if s.f.Const != nil {
				out = append(out, fmt.Sprintf("%s%s = %s", prefix, s.name, s.f.Const))
			} else {
				out = append(out, fmt.Sprintf("%s%s ← %q (%s)", prefix, s.name, s.col.column, typ))
			}
		}
	}
	list("traits.", p.traits)
	list("traits.relationshipAttributes.", p.rels)
	return out
}
