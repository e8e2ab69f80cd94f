package transform

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/groupimport/groupimport/record"
)

var fixedTS = time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)

// str makes a text cell (as CSV gives), num a number, js a JSON value.
func str(s string) record.Value { return record.Value{Kind: record.String, Bytes: []byte(s)} }
func num(s string) record.Value { return record.Value{Kind: record.Number, Bytes: []byte(s)} }
func js(s string) record.Value  { return record.Value{Kind: record.JSON, Bytes: []byte(s)} }
func null() record.Value        { return record.Value{} }

type fixture struct {
	kind    Kind
	mapping string // YAML of the section's body; "" infers from the columns
	cols    []string
	sample  [][]record.Value
}

func (fx fixture) transformer(t *testing.T) *Transformer {
	t.Helper()
	var km *KindMapping
	if fx.mapping != "" {
		m, err := ParseMapping([]byte(string(fx.kind)+":\n"+indent(fx.mapping)), "")
		if err != nil {
			t.Fatalf("mapping: %v", err)
		}
		km = m.For(fx.kind)
	}
	schema := record.NewSchema(fx.cols)
	var sample []record.Row
	for _, v := range fx.sample {
		sample = append(sample, record.Row{Schema: schema, Values: v})
	}
	full, err := Infer(fx.kind, km, fx.cols, sample)
	if err != nil {
		t.Fatalf("infer: %v", err)
	}
	tr, err := New(Config{Kind: fx.kind, Mapping: full, Timestamp: fixedTS, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Check(fx.cols); err != nil {
		t.Fatalf("check: %v", err)
	}
	return tr
}

func indent(s string) string {
	lines := strings.Split(strings.Trim(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "  " + l
	}
	return strings.Join(lines, "\n") + "\n"
}

// buildOne builds one row and returns the payload decoded (numbers kept as
// json.Number) or the row error.
func buildOne(t *testing.T, tr *Transformer, cols []string, vals ...record.Value) (map[string]any, string, *RowError) {
	t.Helper()
	b := tr.NewBuilder()
	row := &record.Row{Line: 2, Num: 1, Schema: record.NewSchema(cols), Values: vals}
	out, _, rerr := b.Append(nil, row)
	if rerr != nil {
		if len(out) != 0 {
			t.Fatalf("a rejected row left %q in the buffer", out)
		}
		return nil, "", rerr
	}
	if !bytes.HasSuffix(out, []byte("\n")) || bytes.Count(out, []byte("\n")) != 1 {
		t.Fatalf("payload is not one line: %q", out)
	}
	d := json.NewDecoder(bytes.NewReader(out))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatalf("payload is not JSON: %v\n%s", err, out)
	}
	return m, strings.TrimSuffix(string(out), "\n"), nil
}

func mustBuild(t *testing.T, tr *Transformer, cols []string, vals ...record.Value) (map[string]any, string) {
	t.Helper()
	m, s, rerr := buildOne(t, tr, cols, vals...)
	if rerr != nil {
		t.Fatalf("row rejected: %v", rerr)
	}
	return m, s
}

func traits(m map[string]any) map[string]any { return m["traits"].(map[string]any) }

func TestCompanyPayloadExact(t *testing.T) {
	cols := []string{"company_id", "Company_Name", "industry", "employees", "Created_At", "updated_at", "city", "country", "plan", "notes", "empty_col"}
	tr := fixture{kind: Companies, cols: cols}.transformer(t)
	_, got := mustBuild(t, tr, cols, str("0e8c78ea"), str("Acme \"Rockets\"\nInc."), str("Technology"), str("329"),
		str("2019-03-01"), str("2024-05-01T12:00:00Z"), str("Phoenix"), str("US"), str("enterprise"), str("Café ☕\tx"), str(""))
	want := `{"type":"group","groupId":"0e8c78ea","traits":{"objectTypeId":1,"name":"Acme \"Rockets\"\nInc.","industry":"Technology","employees":329,` +
		`"createdAt":"2019-03-01T00:00:00.000Z","address":{"city":"Phoenix","country":"US"},"plan":"enterprise","notes":"Café ☕\tx"},` +
		`"timestamp":"2024-05-01T12:00:00.000Z","integrations":{"All":true},"context":{"library":{"name":"groupimport","version":"test"}},"messageId":"`
	if !strings.HasPrefix(got, want) {
		t.Fatalf("payload\n got %s\nwant %s…", got, want)
	}
	if !strings.HasSuffix(got, `"}`) || len(got)-len(want) != len(`xxxxxxxx-xxxx-8xxx-xxxx-xxxxxxxxxxxx"}`) {
		t.Fatalf("messageId tail wrong: %s", got[len(want):])
	}
}

func TestReservedTraitSpellings(t *testing.T) {
	for _, spelling := range []string{"created_at", "CreatedAt", "createdAt", "CREATED_AT", "created at", "Created-At"} {
		cols := []string{"group_id", spelling}
		tr := fixture{kind: Companies, cols: cols}.transformer(t)
		m, _ := mustBuild(t, tr, cols, str("g1"), str("2020-01-02"))
		tt := traits(m)
		if tt["createdAt"] != "2020-01-02T00:00:00.000Z" || len(tt) != 2 {
			t.Errorf("%q: traits = %v, want only objectTypeId and createdAt", spelling, tt)
		}
	}
}

func TestTwoColumnsForOneTraitIsAConfigError(t *testing.T) {
	for _, cols := range [][]string{
		{"group_id", "created_at", "createdAt"},
		{"group_id", "city", "address_city"},
		{"group_id", "name", "Name"},
	} {
		km, err := Infer(Companies, nil, cols, nil)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := New(Config{Kind: Companies, Mapping: km, Timestamp: fixedTS})
		if err != nil {
			t.Fatal(err)
		}
		err = tr.Check(cols)
		if err == nil || !strings.Contains(err.Error(), "both become") {
			t.Errorf("%v: Check = %v, want a conflict naming both columns", cols, err)
		}
	}
}

func TestAddress(t *testing.T) {
	cols := []string{"id", "address"}
	tr := fixture{kind: Companies, cols: cols}.transformer(t)
	cases := []struct {
		in   record.Value
		want any
	}{
		{js(`{"street":"1 Main St","city":"Phoenix","state":"AZ","postal_code":"85001","country":"US"}`),
			map[string]any{"street": "1 Main St", "city": "Phoenix", "state": "AZ", "postalCode": "85001", "country": "US"}},
		{js(`{"zip":85001,"City":"Phoenix","planet":"Earth"}`), map[string]any{"city": "Phoenix", "postalCode": "85001"}},
		{str(`{"city":"Leeds"}`), map[string]any{"city": "Leeds"}},
		{str("221B Baker Street"), map[string]any{"street": "221B Baker Street"}},
		{js(`{}`), nil},
		{null(), nil},
	}
	for _, c := range cases {
		m, _ := mustBuild(t, tr, cols, str("g1"), c.in)
		got, ok := traits(m)["address"]
		if c.want == nil {
			if ok {
				t.Errorf("%s: address = %v, want none", c.in.Bytes, got)
			}
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: address = %v, want %v", c.in.Bytes, got, c.want)
		}
	}

	// flat columns and dotted names; key order fixed whatever the column order
	cols = []string{"country", "group_id", "address.city", "Address_Street", "zip"}
	tr = fixture{kind: Companies, cols: cols}.transformer(t)
	_, s := mustBuild(t, tr, cols, str("US"), str("g1"), str("Phoenix"), str("1 Main"), str("85001"))
	if !strings.Contains(s, `"address":{"street":"1 Main","city":"Phoenix","postalCode":"85001","country":"US"}`) {
		t.Errorf("flat address: %s", s)
	}
}

func TestEmptyCellsLeftOutOrNull(t *testing.T) {
	cols := []string{"group_id", "plan", "tier"}
	tr := fixture{kind: Companies, cols: cols}.transformer(t)
	m, _ := mustBuild(t, tr, cols, str("g1"), str(""), null())
	if _, ok := traits(m)["plan"]; ok {
		t.Errorf("empty cell sent: %v", traits(m))
	}
	tr = fixture{kind: Companies, cols: cols, mapping: "groupId: group_id\ntraits:\n  plan: {column: plan, empty: null}\n"}.transformer(t)
	m, _ = mustBuild(t, tr, cols, str("g1"), str(""), str(""))
	if v, ok := traits(m)["plan"]; !ok || v != nil {
		t.Errorf("empty: null: traits = %v", traits(m))
	}
	if _, ok := traits(m)["tier"]; ok {
		t.Errorf("tier should be left out: %v", traits(m))
	}
	// nulls: cell texts that mean no value
	tr = fixture{kind: Companies, cols: cols, mapping: "groupId: group_id\nnulls: ['\\N', NULL]\n"}.transformer(t)
	m, _ = mustBuild(t, tr, cols, str("g1"), str(`\N`), str("NULL"))
	if len(traits(m)) != 1 {
		t.Errorf("nulls not honoured: %v", traits(m))
	}
}

func TestDeclaredTypes(t *testing.T) {
	cols := []string{"group_id", "v"}
	cases := []struct {
		typ  string
		in   record.Value
		want string // JSON of traits.v; "" = rejected
	}{
		{"integer", str("42"), "42"},
		{"integer", str(" -7 "), "-7"},
		{"integer", str("007"), "7"},
		{"integer", str("12.0"), "12"},
		{"integer", str("1e3"), "1000"},
		{"integer", num("9007199254740993"), "9007199254740993"},
		{"integer", str("123456789012345678901234567890"), "123456789012345678901234567890"},
		{"integer", str("1.5"), ""},
		{"integer", str("8,200"), ""},
		{"integer", str("abc"), ""},
		{"float", str("3.25"), "3.25"},
		{"float", str("+3.25"), "3.25"},
		{"float", str(".5"), "0.5"},
		{"float", num("1e400"), ""}, // no double holds it: it would arrive as infinity
		{"float", str("1e400"), ""},
		{"float", num("1e-999"), ""}, // nor this: it would arrive as 0
		{"float", num("0e-999"), "0e-999"},
		{"float", num("4.9e-324"), "4.9e-324"},
		{"float", num("1.7976931348623157e308"), "1.7976931348623157e308"},
		{"float", num("1.8e308"), ""},
		{"float", str("0.1000000000000000055511151231257827"), "0.1000000000000000055511151231257827"}, // digit for digit
		{"float", str("1.000000000000000005"), "1.000000000000000005"},
		{"float", str("0x1p-2"), ""},
		{"integer", str("1.000000000000000005"), ""}, // not a whole number: never rounded to 1
		{"integer", num("1.000000000000000005"), ""},
		{"integer", str("1e-999"), ""}, // not 0
		{"integer", str("1e400"), ""},
		{"integer", str("1e20"), "100000000000000000000"},
		{"integer", num("1.5e1"), "15"},
		{"integer", num("-0.0"), "0"},
		{"integer", str("1200e-2"), "12"},
		{"float", str("NaN"), ""},
		{"float", str("Inf"), ""},
		{"boolean", str("TRUE"), "true"},
		{"boolean", str("no"), "false"},
		{"boolean", str("0"), "false"},
		{"boolean", str("maybe"), ""},
		{"string", num("0123"), `"0123"`},
		{"string", str("x"), `"x"`},
		{"timestamp", str("1714564800"), `"2024-05-01T12:00:00.000Z"`},
		{"timestamp", num("1714564800000"), `"2024-05-01T12:00:00.000Z"`},
		{"timestamp", str("tomorrow"), ""},
		{"json", str(` {"a": [1, 2.50, "x"]} `), `{"a":[1,2.50,"x"]}`},
		{"json", str(`{"a":`), ""},
	}
	for _, c := range cases {
		t.Run(c.typ+" "+string(c.in.Bytes), func(t *testing.T) {
			tr := fixture{kind: Companies, cols: cols, mapping: fmt.Sprintf("groupId: group_id\ntraits:\n  v: {column: v, type: %s}\n", c.typ)}.transformer(t)
			_, s, rerr := buildOne(t, tr, cols, str("g1"), c.in)
			if c.want == "" {
				if rerr == nil {
					t.Fatalf("accepted: %s", s)
				}
				if rerr.Column != "v" {
					t.Fatalf("error names column %q, want v: %v", rerr.Column, rerr)
				}
				return
			}
			if rerr != nil {
				t.Fatalf("rejected: %v", rerr)
			}
			if !strings.Contains(s, `"v":`+c.want+`}`) {
				t.Fatalf("got %s, want \"v\":%s", s, c.want)
			}
		})
	}
}

func TestInferredTypesAreSoft(t *testing.T) {
	cols := []string{"group_id", "seats", "zip_code_like", "ratio", "flag", "mixed"}
	sample := [][]record.Value{
		{str("g1"), str("5"), str("02134"), str("0.5"), str("true"), str("1")},
		{str("g2"), str("12"), str("10001"), str("2"), str("False"), str("x")},
	}
	tr := fixture{kind: Companies, cols: cols, sample: sample}.transformer(t)
	b := tr.NewBuilder()
	out, _, rerr := b.Append(nil, &record.Row{Schema: record.NewSchema(cols), Values: []record.Value{str("g3"), str("7"), str("02134"), str("0.25"), str("FALSE"), str("2")}})
	if rerr != nil {
		t.Fatal(rerr)
	}
	for _, want := range []string{`"seats":7`, `"zip_code_like":"02134"`, `"ratio":0.25`, `"flag":false`, `"mixed":"2"`} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("missing %s in %s", want, out)
		}
	}
	// a later value that does not fit an inferred type is sent as read, with a warning
	out, _, rerr = b.Append(nil, &record.Row{Schema: record.NewSchema(cols), Values: []record.Value{str("g4"), str("n/a"), str(""), str(""), str(""), str("")}})
	if rerr != nil {
		t.Fatal(rerr)
	}
	if !bytes.Contains(out, []byte(`"seats":"n/a"`)) {
		t.Errorf("misfit not sent as read: %s", out)
	}
	if len(b.Warnings) != 1 {
		t.Errorf("warnings = %v, want one", b.Warnings)
	}
}

func TestObjectTypeID(t *testing.T) {
	cols := []string{"group_id", "object_type_id"}
	tr := fixture{kind: Companies, cols: cols}.transformer(t)
	for in, want := range map[string]string{"2": "2", "": "1", "3.0": "3", " 4 ": "4", "0": "", "-1": "", "abc": "", "1.5": ""} {
		m, _, rerr := buildOne(t, tr, cols, str("g1"), str(in))
		if want == "" {
			if rerr == nil || rerr.Column != "object_type_id" {
				t.Errorf("objectTypeId %q: accepted or unnamed: %v", in, rerr)
			}
			continue
		}
		if rerr != nil {
			t.Errorf("objectTypeId %q: %v", in, rerr)
			continue
		}
		if got := traits(m)["objectTypeId"].(json.Number).String(); got != want {
			t.Errorf("objectTypeId %q → %s, want %s", in, got, want)
		}
	}
	if _, err := ParseMapping([]byte("companies:\n  groupId: id\n  objectTypeId: 0\n"), ""); err != nil {
		t.Fatal(err) // parsing is fine; compiling refuses it
	}
	m, _ := ParseMapping([]byte("companies:\n  groupId: id\n  objectTypeId: 0\n"), "")
	if _, err := compile(Companies, m.Companies, record.NewSchema([]string{"id"}), true); err == nil {
		t.Error("objectTypeId: 0 accepted")
	}
}

func TestTimestampBackfill(t *testing.T) {
	cols := []string{"group_id", "updated_at"}
	tr := fixture{kind: Companies, cols: cols}.transformer(t)
	m, _ := mustBuild(t, tr, cols, str("g1"), str("1714564800000"))
	if m["timestamp"] != "2024-05-01T12:00:00.000Z" {
		t.Errorf("timestamp = %v", m["timestamp"])
	}
	// an empty cell falls back to the run's timestamp, with a warning
	b := tr.NewBuilder()
	out, _, rerr := b.Append(nil, &record.Row{Schema: record.NewSchema(cols), Values: []record.Value{str("g1"), str("")}})
	if rerr != nil || !bytes.Contains(out, []byte(`"timestamp":"2024-06-01T00:00:00.000Z"`)) || len(b.Warnings) != 1 {
		t.Errorf("empty timestamp: %s %v %v", out, rerr, b.Warnings)
	}
	// a bad one rejects the row
	_, _, rerr = buildOne(t, tr, cols, str("g1"), str("yesterday"))
	if rerr == nil || rerr.Column != "updated_at" {
		t.Errorf("bad timestamp: %v", rerr)
	}
	// without a column: the run's timestamp
	cols = []string{"group_id"}
	tr = fixture{kind: Companies, cols: cols}.transformer(t)
	m, _ = mustBuild(t, tr, cols, str("g1"))
	if m["timestamp"] != "2024-06-01T00:00:00.000Z" {
		t.Errorf("default timestamp = %v", m["timestamp"])
	}
}

func TestIdentifiers(t *testing.T) {
	cols := []string{"company_id", "name"}
	tr := fixture{kind: Companies, cols: cols}.transformer(t)
	for _, c := range []struct {
		id   record.Value
		want string
	}{
		{str("g1"), "g1"}, {num("12345678901234567890"), "12345678901234567890"}, {str(" spaced "), "spaced"},
		{str(""), ""}, {str("   "), ""}, {null(), ""}, {js(`{"a":1}`), ""}, {record.Value{Kind: record.Bool, Bytes: []byte("true")}, ""},
		{str(strings.Repeat("x", 151)), ""},
	} {
		m, _, rerr := buildOne(t, tr, cols, c.id, str("n"))
		if c.want == "" {
			if rerr == nil || rerr.Column != "company_id" {
				t.Errorf("groupId %q accepted or unnamed: %v", c.id.Bytes, rerr)
			}
			continue
		}
		if rerr != nil || m["groupId"] != c.want {
			t.Errorf("groupId %q → %v %v", c.id.Bytes, m["groupId"], rerr)
		}
	}
}

func TestMemberships(t *testing.T) {
	cols := []string{"user_id", "anonymous_id", "company_id", "role", "joined_at"}
	tr := fixture{kind: Memberships, cols: cols}.transformer(t)
	m, s := mustBuild(t, tr, cols, str("u1"), str(""), str("g1"), str("admin"), str("2021-01-01"))
	if m["userId"] != "u1" || m["groupId"] != "g1" || m["anonymousId"] != nil {
		t.Errorf("ids: %s", s)
	}
	ra := traits(m)["relationshipAttributes"].(map[string]any)
	if !reflect.DeepEqual(ra, map[string]any{"role": "admin", "joined_at": "2021-01-01"}) {
		t.Errorf("relationshipAttributes = %v", ra)
	}
	if traits(m)["objectTypeId"].(json.Number) != "1" {
		t.Errorf("objectTypeId missing: %s", s)
	}
	m, _ = mustBuild(t, tr, cols, str(""), str("anon-1"), str("g1"), str(""), str(""))
	if m["anonymousId"] != "anon-1" || m["userId"] != nil {
		t.Errorf("anonymous: %v", m)
	}
	if ra := traits(m)["relationshipAttributes"].(map[string]any); len(ra) != 0 {
		t.Errorf("empty attributes sent: %v", ra)
	}
	_, _, rerr := buildOne(t, tr, cols, str(""), str(""), str("g1"), str("x"), str(""))
	if rerr == nil || !strings.Contains(rerr.Reason, "no person") {
		t.Errorf("no person: %v", rerr)
	}
	_, _, rerr = buildOne(t, tr, cols, str("u1"), str(""), str(""), str("x"), str(""))
	if rerr == nil || rerr.Column != "company_id" {
		t.Errorf("no groupId: %v", rerr)
	}
	if _, err := Infer(Memberships, nil, []string{"company_id", "role"}, nil); err == nil {
		t.Error("memberships without a person column accepted")
	}
}

func TestMessageID(t *testing.T) {
	cols := []string{"group_id", "name"}
	tr := fixture{kind: Companies, cols: cols}.transformer(t)
	m1, _ := mustBuild(t, tr, cols, str("g1"), str("Acme"))
	m2, _ := mustBuild(t, tr, cols, str("g1"), str("Acme"))
	m3, _ := mustBuild(t, tr, cols, str("g1"), str("Acme Inc"))
	m4, _ := mustBuild(t, tr, cols, str("g2"), str("Acme"))
	id := m1["messageId"].(string)
	if id != m2["messageId"] {
		t.Error("the same row got two ids")
	}
	if id == m3["messageId"] || id == m4["messageId"] || m3["messageId"] == m4["messageId"] {
		t.Error("different payloads share an id")
	}
	if len(id) != 36 || id[14] != '8' || strings.Count(id, "-") != 4 {
		t.Errorf("messageId %q is not a version-8 UUID", id)
	}
	// the id depends on the timestamp: another event time is another event
	tr2, _ := New(Config{Kind: Companies, Mapping: tr.cfg.Mapping, Timestamp: fixedTS.Add(time.Hour), Version: "test"})
	m5, _ := mustBuild(t, tr2, cols, str("g1"), str("Acme"))
	if m5["messageId"] == id {
		t.Error("a different timestamp kept the id")
	}
}

func TestLimits(t *testing.T) {
	cols := []string{"group_id", "bio"}
	tr := fixture{kind: Companies, cols: cols}.transformer(t)
	if _, _, rerr := buildOne(t, tr, cols, str("g1"), str(strings.Repeat("a", 1001))); rerr == nil || rerr.Column != "bio" {
		t.Errorf("1,001-byte value: %v", rerr)
	}
	mustBuild(t, tr, cols, str("g1"), str(strings.Repeat("a", 1000)))
	trw := fixture{kind: Companies, cols: cols, mapping: "groupId: group_id\nlimits: warn\n"}.transformer(t)
	b := trw.NewBuilder()
	if _, _, rerr := b.Append(nil, &record.Row{Schema: record.NewSchema(cols), Values: []record.Value{str("g1"), str(strings.Repeat("a", 1001))}}); rerr != nil || len(b.Warnings) != 1 {
		t.Errorf("limits: warn: %v %v", rerr, b.Warnings)
	}
	// the API's 32,000-byte message limit rejects, whatever the policy
	many := []string{"group_id"}
	vals := []record.Value{str("g1")}
	for i := 0; i < 40; i++ {
		many = append(many, fmt.Sprintf("c%d", i))
		vals = append(vals, str(strings.Repeat("z", 900)))
	}
	trw = fixture{kind: Companies, cols: many, mapping: "groupId: group_id\nlimits: warn\n"}.transformer(t)
	_, _, rerr := buildOne(t, trw, many, vals...)
	if rerr == nil || !strings.Contains(rerr.Reason, "32000") {
		t.Errorf("oversize message: %v", rerr)
	}
	// 301 attributes
	many, vals = []string{"group_id"}, []record.Value{str("g1")}
	for i := 0; i < 301; i++ {
		many = append(many, fmt.Sprintf("a%d", i))
		vals = append(vals, str("v"))
	}
	tr = fixture{kind: Companies, cols: many}.transformer(t)
	if _, _, rerr := buildOne(t, tr, many, vals...); rerr == nil || !strings.Contains(rerr.Reason, "300") {
		t.Errorf("301 attributes: %v", rerr)
	}
}

func TestNDJSONValuesExact(t *testing.T) {
	cols := []string{"group_id", "big", "nested", "flag", "nothing"}
	tr := fixture{kind: Companies, cols: cols}.transformer(t)
	_, s := mustBuild(t, tr, cols, num("7"), num("9007199254740993"), js(`{"a":[1,2.50,{"b":null}]}`),
		record.Value{Kind: record.Bool, Bytes: []byte("false")}, null())
	for _, want := range []string{`"groupId":"7"`, `"big":9007199254740993`, `"nested":{"a":[1,2.50,{"b":null}]}`, `"flag":false`} {
		if !strings.Contains(s, want) {
			t.Errorf("missing %s in %s", want, s)
		}
	}
	if strings.Contains(s, "nothing") {
		t.Errorf("null sent: %s", s)
	}
}

func TestNestedColumnPath(t *testing.T) {
	cols := []string{"id", "hq"}
	tr := fixture{kind: Companies, cols: cols, mapping: "groupId: id\ntraits:\n  address.city: hq.city\n  region: hq.geo.region\ncustom: none\n"}.transformer(t)
	_, s := mustBuild(t, tr, cols, str("g1"), js(`{"city":"Oslo","geo":{"region":"Nordics"}}`))
	if !strings.Contains(s, `"address":{"city":"Oslo"}`) || !strings.Contains(s, `"region":"Nordics"`) {
		t.Errorf("nested paths: %s", s)
	}
}

func TestMappingMissingColumnIsConfigError(t *testing.T) {
	m, err := ParseMapping([]byte("companies:\n  groupId: company_id\n  traits:\n    name: compny_name\n"), "")
	if err != nil {
		t.Fatal(err)
	}
	tr, err := New(Config{Kind: Companies, Mapping: m.Companies, Timestamp: fixedTS})
	if err != nil {
		t.Fatal(err)
	}
	err = tr.Check([]string{"company_id", "company_name"})
	var ce *ConfigError
	if err == nil || !strings.Contains(err.Error(), `"compny_name" (line 4; did you mean "company_name"?)`) || !errorsAs(err, &ce) {
		t.Fatalf("Check = %v", err)
	}
}

// An unknown mapping key, field key or section gets the nearest known one.
func TestMappingDidYouMean(t *testing.T) {
	for text, want := range map[string]string{
		"companies:\n  groupId: id\n  trait:\n    name: name\n":           `:3: unknown key "trait" (did you mean "traits"?)`,
		"companies:\n  group_Id: id\n":                                    `unknown key "group_Id" (did you mean "groupId"?)`,
		"companies:\n  groupId: id\n  traits:\n    name: {colum: name}\n": `(did you mean "column"?)`,
		"companys:\n  groupId: id\n":                                      `unknown section "companys" (expected companies or memberships) (did you mean "companies"?)`,
		"companies:\n  groupId: id\n  frobnicate: 1\n":                    `unknown key "frobnicate"` + "\n",
	} {
		_, err := ParseMapping([]byte(text), "m.yaml")
		if err == nil || !strings.Contains(err.Error()+"\n", want) {
			t.Errorf("%q: %v, want %s", text, err, want)
		}
	}
}

func errorsAs(err error, target **ConfigError) bool {
	ce, ok := err.(*ConfigError)
	if ok {
		*target = ce
	}
	return ok
}

func TestParseMappingErrors(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"companies:\n  groupid: x\n", `line 2: unknown key "groupid"`},
		{"companies:\n  groupId: x\n  traits:\n    a: {column: b, type: int}\n", `line 4: unknown type "int"`},
		{"companies:\n  groupId: x\n  custom: some\n", "line 3: custom must be"},
		{"people:\n  groupId: x\n", `line 1: unknown section "people"`},
		{"companies:\n  groupId: [x\n", "mapping:"},
		{"companies:\n  traits:\n    a: {}\n", "line 3: a field needs a column or a value"},
		{"companies:\n  traits:\n    a: {column: x, value: 1}\n", "not both"},
		{"companies:\n  timestamp: {column: t, unit: hours}\n", "unit must be"},
	} {
		_, err := ParseMapping([]byte(c.yaml), "")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err = %v, want %q", c.yaml, err, c.want)
		}
	}
}

func TestInitMappingRoundTrips(t *testing.T) {
	cols := []string{"company_id", "company_name", "employees", "created_at", "updated_at", "city", "zip", "plan", "mrr", "note text"}
	sample := [][]record.Value{{str("a"), str("A"), str("10"), str("2020-01-01"), str("2024-01-01"), str("X"), str("01234"), str("pro"), str("12.5"), str("hi")}}
	schema := record.NewSchema(cols)
	km, err := Infer(Companies, nil, cols, []record.Row{{Schema: schema, Values: sample[0]}})
	if err != nil {
		t.Fatal(err)
	}
	full, err := ForInit(Companies, km, cols)
	if err != nil {
		t.Fatal(err)
	}
	text := (&Mapping{Companies: full}).String()
	back, err := ParseMapping([]byte(text), "")
	if err != nil {
		t.Fatalf("init output does not parse: %v\n%s", err, text)
	}
	// the written mapping builds the same payload as the inferred one
	row := sample[0]
	t1, _ := New(Config{Kind: Companies, Mapping: km, Timestamp: fixedTS})
	t2, _ := New(Config{Kind: Companies, Mapping: back.Companies, Timestamp: fixedTS})
	_, p1 := mustBuild(t, t1, cols, row...)
	_, p2 := mustBuild(t, t2, cols, row...)
	if p1 != p2 {
		t.Errorf("init mapping differs from inference:\n%s\n%s\n%s", p1, p2, text)
	}
}

// A rejected row still says which key it was about when its ids could be
// read (a bad date, a bad deleted flag); not when an id is missing or bad.
func TestRejectedRowKey(t *testing.T) {
	cols := []string{"group_id", "user_id", "joined", "deleted"}
	tr := fixture{kind: Memberships, cols: cols, mapping: `
groupId: group_id
userId: user_id
deleted: deleted
relationshipAttributes:
  joinedAt: {column: joined, type: timestamp}
`}.transformer(t)
	b := tr.NewBuilder()
	build := func(vals ...record.Value) (Out, *RowError) {
		_, out, rerr := b.Append(nil, &record.Row{Line: 2, Num: 1, Schema: record.NewSchema(cols), Values: vals})
		return out, rerr
	}
	good, rerr := build(str("a1"), str("u1"), str("2024-01-02"), str("false"))
	if rerr != nil || !good.Keyed {
		t.Fatalf("good row: %v, keyed %v", rerr, good.Keyed)
	}
	for _, c := range []struct {
		name  string
		vals  []record.Value
		keyed bool
	}{
		{"bad date", []record.Value{str("a1"), str("u1"), str("not a date"), str("false")}, true},
		{"bad deleted flag", []record.Value{str("a1"), str("u1"), str("2024-01-02"), str("perhaps")}, true},
		{"no groupId", []record.Value{str(""), str("u1"), str("2024-01-02"), str("false")}, false},
		{"no person", []record.Value{str("a1"), str(""), str("2024-01-02"), str("false")}, false},
		{"JSON id", []record.Value{js(`{"a":1}`), str("u1"), str("2024-01-02"), str("false")}, false},
	} {
		out, rerr := build(c.vals...)
		if rerr == nil {
			t.Fatalf("%s: not rejected", c.name)
		}
		if out.Keyed != c.keyed || (c.keyed && (out.Key != good.Key || !out.Relationship)) {
			t.Errorf("%s: keyed %v (key same as the good row's: %v), want keyed %v", c.name, out.Keyed, out.Key == good.Key, c.keyed)
		}
	}
}
