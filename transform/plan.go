package transform

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/groupimport/groupimport/internal/jsonx"
	"github.com/groupimport/groupimport/record"
)

// A rowPlan is a mapping section compiled against one schema (one file's
// header, or one NDJSON key set): column indexes resolved, output order
// fixed, JSON keys pre-escaped. Building a payload then touches no maps.
// (It is not the runner's incremental plan, nor report.Plan.)
type rowPlan struct {
	kind Kind

	// The identifiers: the column each comes from, and the mapping's field.
	groupID, userID, anonymousID, objectType, timestamp                          colRef
	groupIDField, userIDField, anonymousIDField, objectTypeField, timestampField *Field
	timestampDates                                                               *dateSpec
	// objectTypeConst is objectTypeId when no column gives it ("1" unless
	// the mapping sets a constant).
	objectTypeConst []byte

	// deleted is a boolean column whose true values turn rows into deletes.
	deleted                                      colRef
	objectDeletedEvent, relationshipDeletedEvent string
	deleteAnonymousID                            string

	traits            []slot
	relationshipAttrs []slot
	// relAttrsObject (memberships) is a column of relationship attributes
	// as one object (named relationshipAttributes), spread into them after
	// the mapped ones; attrNames names the mapped ones, for conflicts.
	relAttrsObject colRef
	attrNames      map[string]bool

	nulls      [][]byte     // cell texts that mean "no value"
	numbers    numberFormat // how text writes numbers (decimal:, thousands:)
	emptyNull  bool         // an empty cell becomes null (else it is left out)
	warnLimits bool         // Journeys' limits warn instead of rejecting the row

	// joinObjectTraits (memberships) joins in the traits of the object;
	// joinTraitNames, when not nil, names the only ones joined.
	joinObjectTraits bool
	joinTraitNames   map[string]bool
}

// colRef is where a value comes from in a row.
type colRef struct {
	idx    int      // column index, -1 when absent
	path   []string // keys inside a nested object column
	column string   // the name as the mapping wrote it
}

func (c colRef) present() bool { return c.idx >= 0 }

// slot is one trait or relationship attribute of the output.
type slot struct {
	stat    int // index of the slot's statistics (see statFirstSlot)
	name    string
	key     []byte // "name":
	col     colRef
	field   *Field
	dates   *dateSpec    // how the dates of a timestamp field are read
	address *addressSlot // set for the address trait only
	// reserved, for a reserved trait, is what its values must be
	// (reservedMeaning): a value of another JSON type rejects the row.
	reserved string
	// commaWarn, for a column whose values look like numbers with a
	// decimal comma the section does not declare, is the warning for each
	// such value sent as text.
	commaWarn string
	// rel marks a relationship attribute; traitHash is the hash of the
	// name (traitNameHash, for the state's trait hashes)
	rel       bool
	traitHash uint64
}

// addressSlot is where the address trait's parts come from.
type addressSlot struct {
	parts [5]colRef // street, city, state, postalCode, country
	whole colRef    // an object column (or text, taken as the street)
}

func newAddressSlot() *addressSlot {
	a := &addressSlot{whole: colRef{idx: -1}}
	for k := range a.parts {
		a.parts[k].idx = -1
	}
	return a
}

// The two sections of a mapping that list output names.
const (
	sectionTraits     = "traits"
	sectionAttributes = "relationshipAttributes"
)

// hasTrait reports whether the plan writes an object trait called name.
func (p *rowPlan) hasTrait(name string) bool {
	for i := range p.traits {
		if p.traits[i].name == name {
			return true
		}
	}
	return false
}

// compile fits km to schema s. With strict, every column the mapping names
// must exist (files with a fixed set of columns); otherwise a missing
// column is simply empty in this row.
func compile(kind Kind, km *KindMapping, s *record.Schema, strict bool) (*rowPlan, error) {
	zone, err := loadZone(km.Timezone)
	if err != nil {
		return nil, &ConfigError{Msg: err.Error()}
	}
	c := &compiler{km: km, schema: s, zone: zone, plan: newRowPlan(kind, km),
		used: map[int]bool{}, claimed: map[string]string{}}
	if err := c.identifiers(); err != nil {
		return nil, err
	}
	c.markDropped()
	if err := c.explicitSlots(); err != nil {
		return nil, err
	}
	if strict && len(c.missing) > 0 {
		return nil, &ConfigError{Msg: fmt.Sprintf("%s: the mapping names %s, not in the input (columns: %s)",
			kind, strings.Join(c.missing, ", "), columnList(s.Names))}
	}
	rest, err := c.unnamedColumns(strict)
	if err != nil {
		return nil, err
	}
	for _, i := range rest {
		if err := c.customSlot(i); err != nil {
			return nil, err
		}
	}
	c.plan.numberSlots()
	if c.plan.relAttrsObject.present() {
		c.plan.attrNames = map[string]bool{}
		for _, sl := range c.plan.relationshipAttrs {
			c.plan.attrNames[sl.name] = true
		}
	}
	return c.plan, nil
}

// compiler holds what the steps of compile share.
type compiler struct {
	km      *KindMapping
	schema  *record.Schema
	zone    *time.Location // the section's timezone
	plan    *rowPlan       // being filled in
	used    map[int]bool   // columns the mapping names or drops
	missing []string       // columns it names that the schema lacks
	// claimed maps a section and output name to where it comes from.
	claimed map[string]string
	address *addressSlot // the address trait, once one of its parts is mapped
}

// newRowPlan starts a plan with the section's options.
func newRowPlan(kind Kind, km *KindMapping) *rowPlan {
	p := &rowPlan{
		kind:                     kind,
		relAttrsObject:           colRef{idx: -1},
		emptyNull:                km.Empty == "null",
		warnLimits:               km.Limits == PolicyWarn,
		objectTypeConst:          []byte("1"),
		numbers:                  newNumberFormat(km),
		objectDeletedEvent:       firstNonEmpty(km.ObjectDeletedEvent, EventObjectDeleted),
		relationshipDeletedEvent: firstNonEmpty(km.RelationshipDeletedEvent, EventRelationshipDeleted),
		deleteAnonymousID:        firstNonEmpty(km.DeleteAnonymousID, DefaultDeleteAnonymousID),
	}
	for _, n := range km.Nulls {
		p.nulls = append(p.nulls, []byte(n))
	}
	if km.IncludeObjectTraits && relationshipKind(kind) {
		p.joinObjectTraits = true
		for _, n := range km.ObjectTraitNames {
			if p.joinTraitNames == nil {
				p.joinTraitNames = map[string]bool{}
			}
			p.joinTraitNames[canonicalTrait(n)] = true
		}
	}
	return p
}

// ref resolves the column of field f, noting it as used or as missing.
func (c *compiler) ref(f *Field) colRef {
	if f == nil || f.Column == "" {
		return colRef{idx: -1}
	}
	col, ok := resolve(c.schema, f.Column)
	if !ok {
		c.missing = append(c.missing, missingColumn(f.Column, f.line, c.schema.Names))
	} else {
		c.used[col.idx] = true
	}
	return col
}

// identifiers resolves groupId, the person, objectTypeId, the timestamp
// and the deleted flag.
func (c *compiler) identifiers() error {
	p, km := c.plan, c.km
	p.groupID, p.groupIDField = c.ref(km.GroupID), km.GroupID
	p.userID, p.userIDField = c.ref(km.UserID), km.UserID
	p.anonymousID, p.anonymousIDField = c.ref(km.AnonymousID), km.AnonymousID
	p.objectType, p.objectTypeField = c.ref(km.ObjectTypeID), km.ObjectTypeID
	p.timestamp, p.timestampField = c.ref(km.Timestamp), km.Timestamp
	p.deleted = c.ref(km.Deleted)
	var err error
	if p.timestampDates, err = newDateSpec(km.Timestamp, c.zone); err != nil {
		return &ConfigError{Line: km.Timestamp.line, Msg: "timestamp: " + err.Error()}
	}
	p.timestampDates.watch = newDateWatch(p.kind, fieldTimestamp, p.timestamp.column)
	if km.GroupID != nil && km.GroupID.Const != nil {
		return &ConfigError{Line: km.GroupID.line, Msg: "groupId must come from a column"}
	}
	if f := km.ObjectTypeID; f != nil && f.Const != nil {
		s := strings.Trim(string(f.Const), `"`)
		if !isPositiveInt(s) {
			return &ConfigError{Line: f.line, Msg: fmt.Sprintf("objectTypeId must be an integer of 1 or more, not %s", f.Const)}
		}
		p.objectTypeConst = []byte(s)
	}
	return nil
}

// markDropped counts the columns drop: names as used, so that custom: rest
// leaves them out.
func (c *compiler) markDropped() {
	for _, d := range c.km.Drop {
		if col, ok := resolve(c.schema, d); ok && len(col.path) == 0 {
			c.used[col.idx] = true
		}
	}
}

// explicitSlots adds the traits and relationship attributes the mapping
// lists, in its order.
func (c *compiler) explicitSlots() error {
	for _, nf := range c.km.Traits {
		name, f := explicitTrait(nf)
		if err := c.addSlot(&c.plan.traits, sectionTraits, name, f, c.ref(f)); err != nil {
			return err
		}
	}
	if len(c.km.RelationshipAttributes) > 0 && !relationshipKind(c.plan.kind) {
		return &ConfigError{Msg: "relationshipAttributes belong in the memberships section"}
	}
	for _, nf := range c.km.RelationshipAttributes {
		if err := c.addSlot(&c.plan.relationshipAttrs, sectionAttributes, nf.Name, nf.Field, c.ref(nf.Field)); err != nil {
			return err
		}
	}
	return nil
}

// explicitTrait is a listed trait under its canonical name; without a type
// of its own it takes the type of the reserved trait of that name.
func explicitTrait(nf NamedField) (string, *Field) {
	name, f := canonicalTrait(nf.Name), nf.Field
	if f.Type == "" && f.Const == nil {
		typ, soft := traitType(name)
		typed := *f
		typed.Type, typed.soft = typ, soft
		f = &typed
	}
	return name, f
}

// unnamedColumns lists the columns that custom: turns into traits (or
// relationship attributes): those the mapping does not name.
func (c *compiler) unnamedColumns(strict bool) ([]int, error) {
	switch c.km.Custom.Mode {
	case "none":
		return nil, nil
	case "list":
		return c.listedColumns(strict)
	}
	var rest []int
	for i := range c.schema.Names {
		if !c.used[i] {
			rest = append(rest, i)
		}
	}
	return rest, nil
}

// listedColumns is custom: [a, b]: those of the listed columns that the
// mapping does not name otherwise.
func (c *compiler) listedColumns(strict bool) ([]int, error) {
	var rest []int
	for _, name := range c.km.Custom.Columns {
		i := c.schema.Index(name)
		switch {
		case i < 0 && strict:
			return nil, &ConfigError{Msg: fmt.Sprintf("%s: custom names column %s, not in the input (columns: %s)",
				c.plan.kind, missingColumn(name, 0, c.schema.Names), columnList(c.schema.Names))}
		case i >= 0 && !c.used[i]:
			rest = append(rest, i)
		}
	}
	return rest, nil
}

// customSlot adds column i, which the mapping does not name: a relationship
// attribute of memberships, else a trait under its own name (or the
// reserved trait it spells).
func (c *compiler) customSlot(i int) error {
	name := c.schema.Names[i]
	col := colRef{idx: i, column: name}
	f := &Field{Column: name}
	if t, ok := c.km.softTypes[name]; ok {
		f.Type, f.soft = t, true
	}
	attr, whole := relationshipAttrColumn(name)
	switch {
	case whole && relationshipKind(c.plan.kind):
		c.plan.relAttrsObject = col
		return nil
	case attr != "" && relationshipKind(c.plan.kind):
		name = attr // relationshipAttributes.role is the attribute role
	case attr != "" || whole:
		return &ConfigError{Msg: fmt.Sprintf("%s: column %q holds relationship attributes, which belong in the memberships input "+
			"(they describe a person's relationship to the object, and a %s row names no person); "+
			"move it there, or leave it out with drop: [%s] in the %s section",
			c.plan.kind, name, c.plan.kind, yamlString(name), sectionOfKind(c.plan.kind))}
	}
	if relationshipKind(c.plan.kind) {
		return c.addSlot(&c.plan.relationshipAttrs, sectionAttributes, name, f, col)
	}
	if t := traitFor(name); t != "" {
		name = t
		if typ, soft := traitType(t); typ != "" {
			f.Type, f.soft = typ, soft
		}
	}
	return c.addSlot(&c.plan.traits, sectionTraits, name, f, col)
}

// addSlot adds the output name of a section, filled from column col or
// from f's constant.
func (c *compiler) addSlot(dst *[]slot, section, name string, f *Field, col colRef) error {
	if section == sectionTraits {
		if err := setElsewhere(name, f); err != nil {
			return err
		}
		if name == traitAddress || strings.HasPrefix(name, traitAddress+".") {
			return c.addAddress(dst, name, f, col)
		}
	}
	if len(name) > maxNameBytes {
		return &ConfigError{Msg: fmt.Sprintf("the name %q is longer than Journeys' %d-byte limit for attribute names", name, maxNameBytes)}
	}
	if err := c.claim(section, name, describeSource(f, col)); err != nil {
		return err
	}
	sl := slot{name: name, key: keyJSON(name), col: col, field: f}
	if section == sectionTraits {
		sl.reserved = reservedMeaning(name)
		if sl.reserved != "" && f.Const != nil && !keepsMeaning(f.Const) {
			return &ConfigError{Line: f.line, Msg: fmt.Sprintf("%s is a reserved trait, %s: not %s", name, sl.reserved, f.Const)}
		}
	}
	if ex, ok := c.km.commaHints[col.column]; ok && f.Type == TypeAuto && col.present() {
		sl.commaWarn = commaWarning(c.plan.kind, col.column, ex)
	}
	if f.Type == TypeTimestamp {
		dates, err := newDateSpec(f, c.zone)
		if err != nil {
			return &ConfigError{Line: f.line, Msg: name + ": " + err.Error()}
		}
		field := "traits." + name
		if section == sectionAttributes {
			field = "traits.relationshipAttributes." + name
		}
		dates.watch = newDateWatch(c.plan.kind, field, col.column)
		sl.dates = dates
	}
	*dst = append(*dst, sl)
	return nil
}

// setElsewhere refuses, as traits, the two names a section sets with keys
// of their own.
func setElsewhere(name string, f *Field) error {
	switch name {
	case fieldObjectTypeID:
		return &ConfigError{Line: f.line, Msg: "objectTypeId is set with objectTypeId: at the top of the section, not as a trait"}
	case traitRelAttrs:
		return &ConfigError{Line: f.line, Msg: "relationshipAttributes are set with relationshipAttributes: in the memberships section"}
	}
	return nil
}

// addAddress maps the address trait (an object, or text taken as the
// street) or one of its parts (address.city). The first one adds the
// address slot, where the address then appears in the output.
func (c *compiler) addAddress(dst *[]slot, name string, f *Field, col colRef) error {
	if c.address == nil {
		c.address = newAddressSlot()
		*dst = append(*dst, slot{name: traitAddress, key: keyJSON(traitAddress), address: c.address, field: &Field{}})
	}
	if err := c.claim(sectionTraits, name, describeSource(f, col)); err != nil {
		return err
	}
	if name == traitAddress {
		c.address.whole = col
		return nil
	}
	part, _ := addressPart(strings.TrimPrefix(name, traitAddress+"."))
	k := slices.Index(addressParts, part)
	if k < 0 {
		return &ConfigError{Line: f.line, Msg: fmt.Sprintf("%q: an address has only street, city, state, postalCode and country", name)}
	}
	if prev := c.address.parts[k]; prev.present() {
		return &ConfigError{Msg: fmt.Sprintf("address.%s comes from both %q and %q", part, prev.column, col.column)}
	}
	c.address.parts[k] = col
	return nil
}

// claim records that output name of section comes from from, refusing a
// name two sources would fill.
func (c *compiler) claim(section, name, from string) error {
	k := section + "\x00" + name
	if prev, ok := c.claimed[k]; ok {
		return &ConfigError{Msg: fmt.Sprintf("%s and %s both become %s %q; map one explicitly, rename it, or drop it", prev, from, sectionWord(section), name)}
	}
	c.claimed[k] = from
	return nil
}

// numberSlots gives each trait and attribute its statistics slot.
func (p *rowPlan) numberSlots() {
	for i := range p.traits {
		p.traits[i].stat = statFirstSlot + i
		p.traits[i].traitHash = traitNameHash(p.traits[i].name, false)
	}
	for i := range p.relationshipAttrs {
		s := &p.relationshipAttrs[i]
		s.stat = statFirstSlot + len(p.traits) + i
		s.rel, s.traitHash = true, traitNameHash(s.name, true)
	}
}

// resolve finds the column name refers to: a column of that name, or the
// longest column name before a dot followed by keys inside its objects.
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

// newDateSpec is how the dates of field f are read; defZone is the zone of
// dates written without one when f names none.
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
		if err := checkFormat(f.Format); err != nil {
			return nil, err
		}
		ds.format, ds.dayCheck = f.Format, dayAsHour(f.Format)
	}
	return ds, nil
}

func sectionWord(section string) string {
	if section == sectionTraits {
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
func (p *rowPlan) columns(n int) []bool {
	used := make([]bool, n)
	mark := func(c colRef) {
		if c.idx >= 0 && c.idx < n {
			used[c.idx] = true
		}
	}
	for _, c := range []colRef{p.groupID, p.userID, p.anonymousID, p.objectType, p.timestamp, p.deleted, p.relAttrsObject} {
		mark(c)
	}
	for _, slots := range [][]slot{p.traits, p.relationshipAttrs} {
		for _, s := range slots {
			if s.address == nil {
				mark(s.col)
				continue
			}
			for _, part := range s.address.parts {
				mark(part)
			}
			mark(s.address.whole)
		}
	}
	return used
}

// describe lists the plan's outputs for people.
func (p *rowPlan) describe() []string {
	out := p.describeIDs()
	out = describeSlots(out, "traits.", p.traits)
	out = describeSlots(out, "traits.relationshipAttributes.", p.relationshipAttrs)
	if p.relAttrsObject.present() {
		out = append(out, fmt.Sprintf("traits.relationshipAttributes.* ← %q (an object: its keys, beside the attributes above)", p.relAttrsObject.column))
	}
	return out
}

// describeIDs lists where the identifiers come from.
func (p *rowPlan) describeIDs() []string {
	var out []string
	id := func(name string, c colRef, f *Field) {
		if c.present() {
			out = append(out, fmt.Sprintf("%s ← %q", name, c.column))
		} else if f != nil && f.Const != nil {
			out = append(out, fmt.Sprintf("%s = %s", name, f.Const))
		}
	}
	id(fieldGroupID, p.groupID, p.groupIDField)
	id(fieldUserID, p.userID, p.userIDField)
	id(fieldAnonymousID, p.anonymousID, p.anonymousIDField)
	if p.objectType.present() {
		id("traits.objectTypeId", p.objectType, p.objectTypeField)
	} else {
		out = append(out, "traits.objectTypeId = "+string(p.objectTypeConst))
	}
	if p.timestamp.present() {
		id(fieldTimestamp, p.timestamp, p.timestampField)
	}
	if p.deleted.present() {
		out = append(out, fmt.Sprintf("deleted ← %q (a true value sends %q / %q after the upserts)",
			p.deleted.column, p.objectDeletedEvent, p.relationshipDeletedEvent))
	}
	return out
}

// describeSlots appends where each trait or attribute comes from.
func describeSlots(out []string, prefix string, slots []slot) []string {
	for _, s := range slots {
		if s.address != nil {
			for k, part := range s.address.parts {
				if part.present() {
					out = append(out, fmt.Sprintf("%saddress.%s ← %q", prefix, addressParts[k], part.column))
				}
			}
			if s.address.whole.present() {
				out = append(out, fmt.Sprintf("%saddress ← %q", prefix, s.address.whole.column))
			}
			continue
		}
		if s.field.Const != nil {
			out = append(out, fmt.Sprintf("%s%s = %s", prefix, s.name, s.field.Const))
			continue
		}
		typ := s.field.Type
		if typ == "" {
			typ = "as read"
		}
		if s.field.soft {
			typ += ", inferred"
		}
		out = append(out, fmt.Sprintf("%s%s ← %q (%s)", prefix, s.name, s.col.column, typ))
	}
	return out
}
