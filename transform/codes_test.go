package transform

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/groupimport/groupimport/record"
)

// codeCase is one bad row and the code its rejection must carry.
type codeCase struct {
	name string
	kind Kind
	km   *KindMapping
	cfg  func(*Config)
	row  *record.Row
	want string
}

// companiesForCodes maps a column of every type, the address, a deleted
// flag and a timestamp; goodCompany is a row it builds.
const companiesForCodes = `companies:
  groupId: id
  objectTypeId: ot
  deleted: del
  timestamp: ts
  custom: none
  traits:
    n: {column: n, type: integer}
    f: {column: f, type: float}
    b: {column: b, type: boolean}
    t: {column: t, type: timestamp}
    j: {column: j, type: json}
    address: addr
    address.city: city
    v: v
`

var companyCols = []string{"id", "ot", "del", "ts", "n", "f", "b", "t", "j", "addr", "city", "v"}

func goodCompany() map[string]record.Value {
	return map[string]record.Value{"id": str("g1"), "ot": str("1"), "del": str("false"), "ts": str("2024-05-01"),
		"n": str("3"), "f": str("1.5"), "b": str("yes"), "t": str("2024-05-01"), "j": str(`{"a":1}`),
		"addr": js(`{"street":"Main St 1"}`), "city": str("Phoenix"), "v": str("x")}
}

// companyRow is goodCompany with the given cells changed.
func companyRow(change map[string]record.Value) *record.Row {
	vals := goodCompany()
	for k, v := range change {
		vals[k] = v
	}
	row := &record.Row{Line: 2, Num: 1, Schema: record.NewSchema(companyCols)}
	for _, c := range companyCols {
		row.Values = append(row.Values, vals[c])
	}
	return row
}

// wideRow is a row of id (and the person) plus n more text columns.
func wideRow(lead []string, n int) *record.Row {
	cols := append([]string(nil), lead...)
	var vals []record.Value
	for range lead {
		vals = append(vals, str("x"))
	}
	for i := 0; i < n; i++ {
		cols = append(cols, fmt.Sprintf("c%d", i))
		vals = append(vals, str("v"))
	}
	return &record.Row{Line: 2, Num: 1, Schema: record.NewSchema(cols), Values: vals}
}

func sectionOf(t *testing.T, kind Kind, yaml string) *KindMapping {
	t.Helper()
	m, err := ParseMapping([]byte(yaml), "")
	if err != nil {
		t.Fatal(err)
	}
	return m.For(kind)
}

func codeCases(t *testing.T) []codeCase {
	co := sectionOf(t, Companies, companiesForCodes)
	people := sectionOf(t, Memberships, "memberships:\n  groupId: gid\n  userId: uid\n  anonymousId: aid\n  custom: none\n")
	inferredCo := sectionOf(t, Companies, "companies:\n  groupId: id\n")
	inferredPeople := sectionOf(t, Memberships, "memberships:\n  groupId: gid\n  userId: uid\n")
	person := func(uid, aid string) *record.Row {
		return &record.Row{Line: 2, Num: 1, Schema: record.NewSchema([]string{"gid", "uid", "aid"}),
			Values: []record.Value{str("g1"), str(uid), str(aid)}}
	}
	long := func(n int) record.Value { return str(strings.Repeat("x", n)) }
	unreadable := companyRow(nil)
	unreadable.Err = &record.Error{Reason: "cannot read the row"}
	fieldCount := companyRow(nil)
	fieldCount.Err = &record.Error{Code: "field_count", Reason: "3 fields, the header has 12"}
	oddType := &KindMapping{GroupID: &Field{Column: "id"}, Custom: Custom{Mode: "none"},
		Traits: []NamedField{{Name: "v", Field: &Field{Column: "v", Type: "decimal"}}}}
	co1 := func(name, want string, change map[string]record.Value) codeCase {
		return codeCase{name: name, kind: Companies, km: co, row: companyRow(change), want: want}
	}
	return []codeCase{
		{name: "reader error without a code", kind: Companies, km: co, row: unreadable, want: CodeUnreadableRow},
		{name: "reader error with its code", kind: Companies, km: co, row: fieldCount, want: "field_count"},
		{name: "two fields for one trait", kind: Companies, km: inferredCo, want: CodeMappingMismatch,
			row: &record.Row{Schema: record.NewSchema([]string{"id", "name", "Name"}), Values: []record.Value{str("g"), str("a"), str("b")}}},
		co1("groupId empty", CodeMissingGroupID, map[string]record.Value{"id": str(" ")}),
		co1("groupId missing", CodeMissingGroupID, map[string]record.Value{"id": null()}),
		co1("groupId JSON", CodeInvalidID, map[string]record.Value{"id": js(`{"a":1}`)}),
		co1("objectTypeId 0", CodeInvalidObjectTypeID, map[string]record.Value{"ot": str("0")}),
		co1("groupId too long", CodeObjectIDTooLong, map[string]record.Value{"id": long(151)}),
		co1("deleted maybe", CodeInvalidBoolean, map[string]record.Value{"del": str("maybe")}),
		co1("deleted JSON", CodeInvalidBoolean, map[string]record.Value{"del": js("[1]")}),
		co1("integer", CodeInvalidInteger, map[string]record.Value{"n": str("3 apples")}),
		co1("float", CodeInvalidNumber, map[string]record.Value{"f": str("one and a half")}),
		co1("float out of range", CodeNumberOutOfRange, map[string]record.Value{"f": str("1e400")}),
		co1("number as read out of range", CodeNumberOutOfRange, map[string]record.Value{"v": num("-1e400")}),
		co1("integer not whole", CodeInvalidInteger, map[string]record.Value{"n": str("1.000000000000000005")}),
		co1("boolean", CodeInvalidBoolean, map[string]record.Value{"b": str("perhaps")}),
		co1("timestamp field", CodeInvalidTimestamp, map[string]record.Value{"t": str("yesterday")}),
		co1("timestamp field JSON", CodeInvalidTimestamp, map[string]record.Value{"t": js("[2024]")}),
		co1("row timestamp", CodeInvalidTimestamp, map[string]record.Value{"ts": str("2024-13-01")}),
		co1("json", CodeInvalidJSON, map[string]record.Value{"j": str(`{"a":`)}),
		co1("address text not an object", CodeInvalidAddress, map[string]record.Value{"addr": str(`{"street":`)}),
		co1("address array", CodeInvalidAddress, map[string]record.Value{"addr": js(`[1]`)}),
		co1("address part JSON inside", CodeInvalidAddress, map[string]record.Value{"addr": js(`{"street":{"no":1}}`)}),
		co1("address boolean", CodeInvalidAddress, map[string]record.Value{"addr": {Kind: record.Bool, Bytes: []byte("true")}}),
		co1("address part JSON", CodeInvalidAddress, map[string]record.Value{"city": js(`{"a":1}`)}),
		co1("value too long", CodeValueTooLong, map[string]record.Value{"v": long(1001)}),
		co1("address part too long", CodeValueTooLong, map[string]record.Value{"city": long(1001)}),
		{name: "over 300 traits", kind: Companies, km: inferredCo, row: wideRow([]string{"id"}, 301), want: CodeTooManyAttributes},
		{name: "over 300 relationship attributes", kind: Memberships, km: inferredPeople, row: wideRow([]string{"gid", "uid"}, 301), want: CodeTooManyAttributes},
		{name: "message too large", kind: Companies, km: co, row: companyRow(nil), want: CodeMessageTooLarge,
			cfg: func(c *Config) { c.MaxMessageBytes = 300 }},
		{name: "reserved trait boolean", kind: Companies, km: inferredCo, want: CodeReservedTraitType,
			row: &record.Row{Schema: record.NewSchema([]string{"id", "employees"}), Values: []record.Value{str("g"), {Kind: record.Bool, Bytes: []byte("true")}}}},
		{name: "relationshipAttributes not an object", kind: Memberships, km: inferredPeople, want: CodeInvalidRelationshipAttributes,
			row: &record.Row{Schema: record.NewSchema([]string{"gid", "uid", "relationshipAttributes"}), Values: []record.Value{str("g"), str("u"), js("[1]")}}},
		{name: "relationship attribute twice", kind: Memberships, km: inferredPeople, want: CodeAttributeConflict,
			row: &record.Row{Schema: record.NewSchema([]string{"gid", "uid", "role", "relationshipAttributes"}), Values: []record.Value{str("g"), str("u"), str("a"), js(`{"role":"b"}`)}}},
		{name: "attribute name too long", kind: Memberships, km: inferredPeople, want: CodeNameTooLong,
			row: &record.Row{Schema: record.NewSchema([]string{"gid", "uid", "relationshipAttributes"}), Values: []record.Value{str("g"), str("u"), js(`{"` + strings.Repeat("n", 151) + `":1}`)}}},
		{name: "no person", kind: Memberships, km: people, row: person("", ""), want: CodeMissingPerson},
		{name: "userId too long", kind: Memberships, km: people, row: person(strings.Repeat("u", 151), ""), want: CodePersonIDTooLong},
		{name: "anonymousId too long", kind: Memberships, km: people, row: person("", strings.Repeat("a", 151)), want: CodePersonIDTooLong},
		{name: "relationship delete by anonymousId", kind: RelationshipDeletes, km: people, row: person("", "a1"), want: CodeDeleteNeedsUserID},
		{name: "a type the builder does not know", kind: Companies, km: oddType, row: companyRow(nil), want: CodeInternal},
	}
}

// Every rejection the builder makes carries a code, and every code is one
// some bad row produces.
func TestRowErrorCodes(t *testing.T) {
	produced := map[string]bool{}
	for _, c := range codeCases(t) {
		t.Run(c.name, func(t *testing.T) {
			cfg := Config{Kind: c.kind, Mapping: c.km, Timestamp: fixedTS, Version: "test"}
			if c.cfg != nil {
				c.cfg(&cfg)
			}
			tr, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			out, _, rerr := tr.NewBuilder().Append(nil, c.row)
			if rerr == nil {
				t.Fatalf("built %s, want a rejection %s", out, c.want)
			}
			if rerr.Code != c.want {
				t.Errorf("code %q (%v), want %q", rerr.Code, rerr, c.want)
			}
			if rerr.Reason == "" || strings.Contains(rerr.Reason, "%!") {
				t.Errorf("reason %q", rerr.Reason)
			}
			produced[rerr.Code] = true
		})
	}
	for _, code := range declaredCodes(t) {
		if !produced[code] {
			t.Errorf("no bad row here produces %s: add one", code)
		}
	}
}

// good rows of the same fixtures build (so each case fails for its one cell).
func TestRowErrorCodeFixturesBuild(t *testing.T) {
	tr, err := New(Config{Kind: Companies, Mapping: sectionOf(t, Companies, companiesForCodes), Timestamp: fixedTS})
	if err != nil {
		t.Fatal(err)
	}
	if out, _, rerr := tr.NewBuilder().Append(nil, companyRow(nil)); rerr != nil {
		t.Fatalf("the good row: %v", rerr)
	} else if !strings.Contains(string(out), `"address":{"street":"Main St 1","city":"Phoenix"}`) {
		t.Fatalf("the good row: %s", out)
	}
}

// declaredCodes are the values of the Code constants in codes.go.
func declaredCodes(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "codes.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			for _, v := range s.(*ast.ValueSpec).Values {
				if lit, ok := v.(*ast.BasicLit); ok {
					code, _ := strconv.Unquote(lit.Value)
					codes = append(codes, code)
				}
			}
		}
	}
	sort.Strings(codes)
	if len(codes) < 10 {
		t.Fatalf("codes.go declares %d codes", len(codes))
	}
	return codes
}

// Every RowError the package writes names its code: a new rejection
// without one fails here, before any report counts it under "".
func TestEveryRowErrorLiteralHasACode(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	n := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(node ast.Node) bool {
			lit, ok := node.(*ast.CompositeLit)
			if !ok {
				return true
			}
			if id, ok := lit.Type.(*ast.Ident); !ok || id.Name != "RowError" {
				return true
			}
			n++
			for _, e := range lit.Elts {
				if kv, ok := e.(*ast.KeyValueExpr); ok && kv.Key.(*ast.Ident).Name == "Code" {
					if b, ok := kv.Value.(*ast.BasicLit); !ok || b.Value != `""` {
						return true
					}
				}
			}
			t.Errorf("%s: a RowError without a Code", fset.Position(lit.Pos()))
			return true
		})
	}
	if n < 20 {
		t.Errorf("found %d RowError literals; the check is not looking where they are", n)
	}
}
