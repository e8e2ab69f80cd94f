package transform

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Kind is the kind of an input: what its rows describe.
type Kind string

const (
	// Companies rows describe objects: a group call without a person.
	Companies Kind = "companies"
	// Memberships rows relate a person to an object.
	Memberships Kind = "memberships"
	// ObjectDeletes rows name objects to delete (an Object Deleted event each).
	ObjectDeletes Kind = "object_deletes"
	// RelationshipDeletes rows name person–object relationships to delete.
	RelationshipDeletes Kind = "relationship_deletes"
)

// Default names of the semantic delete events (the API schema's names; the
// prose docs call them "Delete Object" and "Delete Relationship", which are
// the schema's titles).
const (
	EventObjectDeleted       = "Object Deleted"
	EventRelationshipDeleted = "Relationship Deleted"
	// DefaultDeleteAnonymousID is the anonymousId of Object Deleted events,
	// which the API schema requires although no person is involved.
	DefaultDeleteAnonymousID = "groupimport-deletes"
)

// sectionOfKind is the mapping section whose keys kind uses.
func sectionOfKind(k Kind) string {
	if relationshipKind(k) {
		return string(Memberships)
	}
	return string(Companies)
}

// relationshipKind reports whether rows of kind name a person.
func relationshipKind(k Kind) bool { return k == Memberships || k == RelationshipDeletes }

// deleteKind reports whether every row of kind is a delete.
func deleteKind(k Kind) bool { return k == ObjectDeletes || k == RelationshipDeletes }

// Field types a mapping can ask for.
const (
	TypeAuto      = ""
	TypeString    = "string"
	TypeInteger   = "integer"
	TypeFloat     = "float"
	TypeBoolean   = "boolean"
	TypeTimestamp = "timestamp"
	TypeJSON      = "json"
)

var fieldTypes = []string{TypeString, TypeInteger, TypeFloat, TypeBoolean, TypeTimestamp, TypeJSON}

// Mapping is the whole mapping file: one section per input kind.
type Mapping struct {
	Companies   *KindMapping
	Memberships *KindMapping
}

// For returns the section for kind (nil when the file has none). Deletion
// inputs use the identifiers of their entity's section.
func (m *Mapping) For(k Kind) *KindMapping {
	if m == nil {
		return nil
	}
	if relationshipKind(k) {
		return m.Memberships
	}
	return m.Companies
}

// Custom says what happens to columns the mapping does not name.
type Custom struct {
	// Mode is "rest" (they become traits, or relationship attributes for
	// memberships), "none" (they are dropped) or "list" (only Columns).
	Mode    string
	Columns []string
}

// Field is one mapped field: where its value comes from and how it is typed.
type Field struct {
	// Column names the input column ("a.b" reaches into a nested object).
	Column string
	// Const is the JSON text of a constant value (when Column is empty).
	Const []byte
	// Type is one of the Type constants; "" keeps the type as read.
	Type string
	// Empty is "omit" (default) or "null": what an empty cell becomes.
	Empty string
	// Format is a strftime layout (strptime directives, e.g. "%d/%m/%Y";
	// other text is literal) for dates that no built-in format reads.
	Format string
	// Unit is the unit of numeric timestamps: s, ms, us or ns. Without it
	// the magnitude decides.
	Unit string
	// Timezone is the zone of dates written without one.
	Timezone string

	// soft marks a type that was inferred, not asked for: a value that does
	// not fit it is sent as read, with a warning, instead of being rejected.
	soft bool
	line int // line in the mapping file, for messages
}

// NamedField is a field with its output name.
type NamedField struct {
	Name  string
	Field *Field
}

// Limits policy values.
const (
	PolicyReject = "reject"
	PolicyWarn   = "warn"
)

// KindMapping maps the columns of one kind of input.
type KindMapping struct {
	// Reading options (optional; command-line flags win).
	Format    string
	Delimiter string
	Encoding  string
	Timezone  string
	// BinaryAsString reads Parquet byte columns without a text annotation
	// (old Impala/Hive strings) as text.
	BinaryAsString bool
	// Nulls lists cell texts that mean "no value" (e.g. "\N", "NULL").
	Nulls []string
	// Decimal is the decimal separator of numbers in text ("." by
	// default, or ","), Thousands their thousands separator ("" for none,
	// or ".", ",", "'", " "): "1.234,50" is 1234.5 with decimal: "," and
	// thousands: ".".
	Decimal, Thousands string

	GroupID                *Field
	UserID                 *Field
	AnonymousID            *Field
	ObjectTypeID           *Field
	Timestamp              *Field
	Traits                 []NamedField
	RelationshipAttributes []NamedField
	Custom                 Custom
	Drop                   []string
	// Empty is the default for fields without their own: omit or null.
	Empty string
	// Limits is what Journeys' limits (ids over 150 bytes, values over
	// 1,000 bytes, over 300 attributes) do to a row: reject (default) or warn.
	Limits string

	// IncludeObjectTraits (memberships): join in the traits of the
	// object each row points at, from this run's companies input; with
	// ObjectTraitNames, only those traits.
	IncludeObjectTraits bool
	ObjectTraitNames    []string

	// Deleted is a boolean column: a true value turns the row into a delete
	// event (sent after every upsert of the run).
	Deleted *Field
	// Event names of deletes, and the anonymousId Object Deleted carries.
	ObjectDeletedEvent       string
	RelationshipDeletedEvent string
	DeleteAnonymousID        string

	// Inferred is true when the mapping was made from column names.
	Inferred bool
	// softTypes are the types sniffed from a sample of text columns.
	softTypes map[string]string
	// commaHints are the text columns whose sample looks like numbers with
	// a decimal comma the section does not declare: an example of each.
	commaHints map[string]string
	// Notes say what inference chose, for people.
	Notes []string
}

// ConfigError is a problem with the mapping file or its fit to the input.
type ConfigError struct {
	File string
	Line int
	Msg  string
}

func (e *ConfigError) Error() string {
	switch {
	case e.File != "" && e.Line > 0:
		return fmt.Sprintf("mapping %s:%d: %s", e.File, e.Line, e.Msg)
	case e.File != "":
		return fmt.Sprintf("mapping %s: %s", e.File, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("mapping: line %d: %s", e.Line, e.Msg)
	}
	return "mapping: " + e.Msg
}

// ParseMapping parses and checks mapping YAML. name (the file's path, or
// "" when there is none) is named in errors, which give the line of the
// mistake.
func ParseMapping(data []byte, name string) (*Mapping, error) {
	m, err := parseMapping(data)
	if err != nil {
		var ce *ConfigError
		if !errors.As(err, &ce) {
			ce = &ConfigError{Msg: err.Error()}
		}
		ce.File = name
		return nil, ce
	}
	return m, nil
}

func parseMapping(data []byte) (*Mapping, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlError(data, err)
	}
	m := &Mapping{}
	if len(root.Content) == 0 {
		return m, nil
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		return nil, &ConfigError{Line: doc.Line, Msg: "expected a mapping with companies: and/or memberships:"}
	}
	sections := newKeySet("")
	for i := 0; i+1 < len(doc.Content); i += 2 {
		k, v := doc.Content[i], doc.Content[i+1]
		name := sectionName(k.Value)
		if name == "" {
			return nil, &ConfigError{Line: k.Line, Msg: fmt.Sprintf("unknown section %q (expected companies or memberships)%s", k.Value,
				didYouMean(k.Value, []string{"companies", "memberships"}))}
		}
		if err := sections.add(k, name, "section"); err != nil {
			return nil, err
		}
		km, err := parseKindMapping(v, k.Value)
		if err != nil {
			return nil, err
		}
		if name == "companies" {
			m.Companies = km
		} else {
			m.Memberships = km
		}
	}
	return m, nil
}

func parseKindMapping(n *yaml.Node, section string) (*KindMapping, error) {
	if n.Kind != yaml.MappingNode {
		return nil, &ConfigError{Line: n.Line, Msg: "a section must be a mapping of keys"}
	}
	km := &KindMapping{Custom: Custom{Mode: "rest"}}
	keys := newKeySet(" in " + section)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		canonical := k.Value
		if c, ok := kindKeyAliases[k.Value]; ok {
			canonical = c
		}
		if err := keys.add(k, canonical, ""); err != nil {
			return nil, err
		}
		if err := parseSectionKey(km, k, v); err != nil {
			return nil, err
		}
	}
	if dec := firstNonEmpty(km.Decimal, "."); km.Thousands == dec {
		msg := fmt.Sprintf("thousands: %q is the decimal separator too: they must differ", dec)
		if dec == "." {
			msg += ` (for numbers such as 1.234,50 add decimal: ",")`
		}
		return nil, &ConfigError{Line: keys.lines["thousands"], Msg: msg}
	}
	return km, nil
}

// parseSectionKey sets the key k of a section to the value v.
func parseSectionKey(km *KindMapping, k, v *yaml.Node) error {
	var err error
	switch k.Value {
	case "format":
		km.Format, err = scalar(v)
	case "delimiter":
		km.Delimiter, err = scalar(v)
	case "encoding":
		km.Encoding, err = scalar(v)
	case "timezone":
		km.Timezone, err = scalar(v)
	case "binary_as_string", "binaryAsString":
		km.BinaryAsString, err = boolValue(v, k.Value)
	case "nulls":
		km.Nulls, err = stringList(v)
	case "decimal":
		km.Decimal, err = oneOf(v, `decimal must be "." or ","`, decimalSeparators...)
	case "thousands":
		km.Thousands, err = oneOf(v, `thousands must be ".", ",", "'" or " " (or "" for none)`, append([]string{""}, thousandsSeparators...)...)
	case "groupId", "group_id":
		km.GroupID, err = parseField(v)
	case "userId", "user_id":
		km.UserID, err = parseField(v)
	case "anonymousId", "anonymous_id":
		km.AnonymousID, err = parseField(v)
	case "objectTypeId", "object_type_id":
		km.ObjectTypeID, err = parseField(v)
	case "timestamp":
		km.Timestamp, err = parseField(v)
	case "traits":
		km.Traits, err = parseFields(v, "trait")
	case "relationshipAttributes", "relationship_attributes":
		km.RelationshipAttributes, err = parseFields(v, "relationship attribute")
	case "custom":
		km.Custom, err = parseCustom(v)
	case "drop":
		km.Drop, err = stringList(v)
	case "empty":
		km.Empty, err = oneOf(v, "empty must be omit or null", "omit", "null")
	case "include_object_traits", "includeObjectTraits":
		err = parseIncludeObjectTraits(v, km)
	case "deleted":
		km.Deleted, err = parseField(v)
	case "events":
		err = parseEvents(v, km)
	case "deleteAnonymousId", "delete_anonymous_id":
		km.DeleteAnonymousID, err = scalar(v)
	case "limits":
		km.Limits, err = oneOf(v, "limits must be reject or warn", PolicyReject, PolicyWarn)
	default:
		err = &ConfigError{Line: k.Line, Msg: fmt.Sprintf("unknown key %q%s", k.Value, didYouMean(k.Value, sectionKeys))}
	}
	return err
}

// oneOf reads a single value that must be one of allowed.
func oneOf(v *yaml.Node, complaint string, allowed ...string) (string, error) {
	s, err := scalar(v)
	if err != nil {
		return "", err
	}
	for _, a := range allowed {
		if s == a {
			return s, nil
		}
	}
	return "", &ConfigError{Line: v.Line, Msg: complaint}
}

// parseIncludeObjectTraits reads include_object_traits: true/false, or the
// list of the traits to join in.
func parseIncludeObjectTraits(v *yaml.Node, km *KindMapping) error {
	if v.Kind == yaml.ScalarNode && v.Tag == "!!bool" {
		km.IncludeObjectTraits = v.Value == "true"
		return nil
	}
	var err error
	km.ObjectTraitNames, err = stringList(v)
	km.IncludeObjectTraits = err == nil && len(km.ObjectTraitNames) > 0
	return err
}

// parseEvents reads events: {objectDeleted: …, relationshipDeleted: …}.
func parseEvents(n *yaml.Node, km *KindMapping) error {
	if n.Kind != yaml.MappingNode {
		return &ConfigError{Line: n.Line, Msg: "events must be a mapping: {objectDeleted: …, relationshipDeleted: …}"}
	}
	keys := newKeySet(" in events")
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if err := keys.add(k, strings.ReplaceAll(strings.ToLower(k.Value), "_", ""), ""); err != nil {
			return err
		}
		name, err := scalar(v)
		if err != nil {
			return err
		}
		if name == "" {
			return &ConfigError{Line: v.Line, Msg: "an event name is empty"}
		}
		switch k.Value {
		case "objectDeleted", "object_deleted":
			km.ObjectDeletedEvent = name
		case "relationshipDeleted", "relationship_deleted":
			km.RelationshipDeletedEvent = name
		default:
			return &ConfigError{Line: k.Line, Msg: fmt.Sprintf("unknown event %q (objectDeleted or relationshipDeleted)", k.Value)}
		}
	}
	return nil
}

// boolValue reads a YAML boolean (true/false).
func boolValue(n *yaml.Node, key string) (bool, error) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		return false, &ConfigError{Line: n.Line, Msg: key + " must be true or false"}
	}
	var b bool
	if err := n.Decode(&b); err != nil {
		return false, &ConfigError{Line: n.Line, Msg: key + " must be true or false"}
	}
	return b, nil
}

func scalar(n *yaml.Node) (string, error) {
	if n.Kind != yaml.ScalarNode {
		return "", &ConfigError{Line: n.Line, Msg: "expected a single value"}
	}
	return n.Value, nil
}

func stringList(n *yaml.Node) ([]string, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return nil, nil
		}
		return []string{n.Value}, nil
	case yaml.SequenceNode:
		out := make([]string, 0, len(n.Content))
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode {
				return nil, &ConfigError{Line: c.Line, Msg: "expected a list of names"}
			}
			out = append(out, c.Value)
		}
		return out, nil
	}
	return nil, &ConfigError{Line: n.Line, Msg: "expected a list of names"}
}

func parseCustom(n *yaml.Node) (Custom, error) {
	if n.Kind == yaml.ScalarNode {
		switch n.Value {
		case "rest", "none":
			return Custom{Mode: n.Value}, nil
		}
		return Custom{}, &ConfigError{Line: n.Line, Msg: "custom must be rest, none, or a list of columns"}
	}
	cols, err := stringList(n)
	return Custom{Mode: "list", Columns: cols}, err
}

func parseFields(n *yaml.Node, what string) ([]NamedField, error) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, &ConfigError{Line: n.Line, Msg: "expected a mapping of name: column"}
	}
	var out []NamedField
	keys := newKeySet("")
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Value == "" {
			return nil, &ConfigError{Line: k.Line, Msg: "a name is empty"}
		}
		if err := keys.add(k, k.Value, what); err != nil {
			return nil, err
		}
		f, err := parseField(v)
		if err != nil {
			return nil, err
		}
		if f == nil {
			return nil, &ConfigError{Line: v.Line, Msg: fmt.Sprintf("%q has no column or value", k.Value)}
		}
		out = append(out, NamedField{Name: k.Value, Field: f})
	}
	return out, nil
}

// parseField reads `column`, a constant (a number or boolean, or
// {value: …}), or {column: …, type: …, empty: …, format: …, unit: …,
// timezone: …}.
func parseField(n *yaml.Node) (*Field, error) {
	f := &Field{line: n.Line}
	switch n.Kind {
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return nil, nil
		case "!!str":
			f.Column = n.Value
			return f, nil
		}
		c, err := constJSON(n)
		f.Const = c
		return f, err
	case yaml.MappingNode:
		if err := parseFieldOptions(n, f); err != nil {
			return nil, err
		}
		return f, nil
	}
	return nil, &ConfigError{Line: n.Line, Msg: "expected a column name or {column: …}"}
}

// parseFieldOptions reads {column: …, type: …, …} into f.
func parseFieldOptions(n *yaml.Node, f *Field) error {
	keys := newKeySet("")
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if err := keys.add(k, k.Value, ""); err != nil {
			return err
		}
		if err := parseFieldOption(f, k, v); err != nil {
			return err
		}
	}
	if f.Column == "" && f.Const == nil {
		return &ConfigError{Line: n.Line, Msg: "a field needs a column or a value"}
	}
	if f.Column != "" && f.Const != nil {
		return &ConfigError{Line: n.Line, Msg: "a field has either a column or a value, not both"}
	}
	return nil
}

// parseFieldOption sets the option k of a field to the value v.
func parseFieldOption(f *Field, k, v *yaml.Node) error {
	var err error
	switch k.Value {
	case "column":
		f.Column, err = scalar(v)
	case "value":
		f.Const, err = constJSON(v)
	case "type":
		f.Type, err = scalar(v)
		if err == nil && !validType(f.Type) {
			err = &ConfigError{Line: v.Line, Msg: fmt.Sprintf("unknown type %q (one of %s)", f.Type, strings.Join(fieldTypes, ", "))}
		}
	case "empty":
		f.Empty, err = oneOf(v, "empty must be omit or null", "omit", "null")
	case "format":
		f.Format, err = scalar(v)
	case "unit":
		f.Unit, err = scalar(v)
		if err == nil && unitScale(f.Unit) == 0 {
			err = &ConfigError{Line: v.Line, Msg: "unit must be s, ms, us or ns"}
		}
	case "timezone":
		f.Timezone, err = scalar(v)
	default:
		err = &ConfigError{Line: k.Line, Msg: fmt.Sprintf("unknown key %q in a field (column, value, type, empty, format, unit, timezone)%s", k.Value,
			didYouMean(k.Value, fieldKeys))}
	}
	return err
}

func validType(t string) bool {
	for _, x := range fieldTypes {
		if t == x {
			return true
		}
	}
	return false
}

// constJSON turns a YAML value into compact JSON text.
func constJSON(n *yaml.Node) ([]byte, error) {
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, &ConfigError{Line: n.Line, Msg: err.Error()}
	}
	v = normalizeYAML(v)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, &ConfigError{Line: n.Line, Msg: "the value cannot be written as JSON: " + err.Error()}
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// normalizeYAML turns YAML's map[any]any-free values into JSON-encodable
// ones, keeping map keys sorted (encoding/json sorts them).
func normalizeYAML(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalizeYAML(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = normalizeYAML(e)
		}
		return x
	}
	return v
}

// String renders the mapping as YAML that ParseMapping reads back, with a
// comment per inferred choice. It is what `groupimport init` writes.
func (m *Mapping) String() string {
	var b strings.Builder
	for _, k := range []Kind{Companies, Memberships} {
		km := m.For(k)
		if km == nil {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		km.write(&b, k)
	}
	return b.String()
}

func (km *KindMapping) write(b *strings.Builder, k Kind) {
	fmt.Fprintf(b, "%s:\n", k)
	for _, n := range km.Notes {
		fmt.Fprintf(b, "  # %s\n", n)
	}
	writeOpt(b, "format", km.Format)
	writeOpt(b, "delimiter", km.Delimiter)
	writeOpt(b, "encoding", km.Encoding)
	writeOpt(b, "timezone", km.Timezone)
	writeOpt(b, "decimal", km.Decimal)
	writeOpt(b, "thousands", km.Thousands)
	if km.BinaryAsString {
		b.WriteString("  binary_as_string: true\n")
	}
	km.writeIdentifiers(b)
	km.writeDeletes(b)
	if km.Timestamp != nil {
		writeField(b, "  ", "timestamp", km.Timestamp)
	} else {
		b.WriteString("  # timestamp: updated_at      # the column with each row's event time (else --timestamp or the run's start)\n")
	}
	writeFieldList(b, "traits", km.Traits)
	writeFieldList(b, "relationshipAttributes", km.RelationshipAttributes)
	km.writeColumns(b, k)
}

// writeOpt writes key: v when v is set.
func writeOpt(b *strings.Builder, key, v string) {
	if v != "" {
		fmt.Fprintf(b, "  %s: %s\n", key, yamlString(v))
	}
}

// writeField writes key: f when f is set.
func writeField(b *strings.Builder, indent, key string, f *Field) {
	if f != nil {
		fmt.Fprintf(b, "%s%s: %s\n", indent, yamlString(key), f.yaml())
	}
}

func writeFieldList(b *strings.Builder, key string, list []NamedField) {
	if len(list) == 0 {
		return
	}
	fmt.Fprintf(b, "  %s:\n", key)
	for _, nf := range list {
		writeField(b, "    ", nf.Name, nf.Field)
	}
}

// writeIdentifiers writes groupId, the person, objectTypeId and which
// object traits memberships join in.
func (km *KindMapping) writeIdentifiers(b *strings.Builder) {
	writeField(b, "  ", "groupId", km.GroupID)
	writeField(b, "  ", "userId", km.UserID)
	writeField(b, "  ", "anonymousId", km.AnonymousID)
	if km.ObjectTypeID != nil {
		writeField(b, "  ", "objectTypeId", km.ObjectTypeID)
	} else {
		b.WriteString("  objectTypeId: 1\n")
	}
	writeField(b, "  ", "deleted", km.Deleted)
	switch {
	case len(km.ObjectTraitNames) > 0:
		fmt.Fprintf(b, "  include_object_traits: [%s]\n", yamlList(km.ObjectTraitNames))
	case km.IncludeObjectTraits:
		b.WriteString("  include_object_traits: true\n")
	}
}

// writeDeletes writes the names of the delete events and their anonymousId.
func (km *KindMapping) writeDeletes(b *strings.Builder) {
	if km.ObjectDeletedEvent != "" || km.RelationshipDeletedEvent != "" {
		b.WriteString("  events:\n")
		writeOpt(b, "  objectDeleted", km.ObjectDeletedEvent)
		writeOpt(b, "  relationshipDeleted", km.RelationshipDeletedEvent)
	}
	writeOpt(b, "deleteAnonymousId", km.DeleteAnonymousID)
}

// writeColumns writes what happens to other columns, and the options for
// cells: custom, drop, nulls, empty and limits.
func (km *KindMapping) writeColumns(b *strings.Builder, k Kind) {
	switch km.Custom.Mode {
	case "list":
		fmt.Fprintf(b, "  custom: [%s]\n", yamlList(km.Custom.Columns))
	case "none":
		b.WriteString("  custom: none\n")
	default:
		if k == Memberships {
			b.WriteString("  custom: rest                 # other columns become relationship attributes (none | [col, …])\n")
		} else {
			b.WriteString("  custom: rest                 # other columns become traits under their own names (none | [col, …])\n")
		}
	}
	if len(km.Drop) > 0 {
		fmt.Fprintf(b, "  drop: [%s]\n", yamlList(km.Drop))
	} else {
		b.WriteString("  drop: []\n")
	}
	if len(km.Nulls) > 0 {
		fmt.Fprintf(b, "  nulls: [%s]\n", yamlList(km.Nulls))
	}
	if km.Empty != "" {
		writeOpt(b, "empty", km.Empty)
	}
	if km.Limits != "" {
		writeOpt(b, "limits", km.Limits)
	}
}

func (f *Field) yaml() string {
	if f.Const != nil {
		if f.Type == "" && f.Format == "" && len(f.Const) > 0 && (f.Const[0] == '-' || (f.Const[0] >= '0' && f.Const[0] <= '9')) {
			return string(f.Const)
		}
		return "{value: " + string(f.Const) + "}"
	}
	if f.Type == "" && f.Empty == "" && f.Format == "" && f.Unit == "" && f.Timezone == "" {
		return yamlString(f.Column)
	}
	parts := []string{"column: " + yamlString(f.Column)}
	if f.Type != "" {
		parts = append(parts, "type: "+f.Type)
	}
	if f.Empty != "" {
		parts = append(parts, "empty: "+f.Empty)
	}
	if f.Format != "" {
		parts = append(parts, "format: "+yamlString(f.Format))
	}
	if f.Unit != "" {
		parts = append(parts, "unit: "+f.Unit)
	}
	if f.Timezone != "" {
		parts = append(parts, "timezone: "+yamlString(f.Timezone))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// yamlString quotes s unless it is a plain word YAML reads back as the
// same string.
func yamlString(s string) string {
	plain := s != ""
	for i, c := range s {
		ok := c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' ||
			i > 0 && (c >= '0' && c <= '9' || c == '.' || c == '-' || c == '/')
		if !ok {
			plain = false
			break
		}
	}
	switch strings.ToLower(s) {
	case "true", "false", "yes", "no", "on", "off", "null", "y", "n":
		plain = false
	}
	if plain {
		return s
	}
	return strconv.Quote(s)
}

func yamlList(s []string) string {
	q := make([]string, len(s))
	for i, x := range s {
		q[i] = yamlString(x)
	}
	return strings.Join(q, ", ")
}

// columnsUsed lists the input columns a mapping names explicitly, sorted.
func (km *KindMapping) columnsUsed() []string {
	set := map[string]bool{}
	add := func(f *Field) {
		if f != nil && f.Column != "" {
			set[f.Column] = true
		}
	}
	add(km.GroupID)
	add(km.UserID)
	add(km.AnonymousID)
	add(km.ObjectTypeID)
	add(km.Timestamp)
	add(km.Deleted)
	for _, nf := range km.Traits {
		add(nf.Field)
	}
	for _, nf := range km.RelationshipAttributes {
		add(nf.Field)
	}
	for _, c := range km.Custom.Columns {
		set[c] = true
	}
	out := make([]string, 0, len(set))
	for c := range set {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}
