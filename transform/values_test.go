package transform

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/groupimport/groupimport/record"
)

// buildAll builds rows with one builder and returns the payloads (decoded
// as buildOne does), the rejections' codes and the builder's warnings.
func buildAll(t *testing.T, tr *Transformer, cols []string, rows ...[]record.Value) ([]map[string]any, []*RowError, map[string]int64) {
	t.Helper()
	b := tr.NewBuilder()
	var out []map[string]any
	var errs []*RowError
	schema := record.NewSchema(cols)
	for i, vals := range rows {
		row := &record.Row{Line: int64(i + 2), Num: int64(i + 1), Schema: schema, Values: vals}
		p, _, rerr := b.Append(nil, row)
		if rerr != nil {
			errs = append(errs, rerr)
			continue
		}
		m, _ := decode(t, p)
		out = append(out, m)
	}
	return out, errs, b.Warnings
}

// Padded ids are trimmed (" c-ws " and "c-ws" would be two objects in
// Customer.io), counted, and warned with the first padded value; a blank
// id is still an empty one.
func TestIdentifiersTrimmed(t *testing.T) {
	cols := []string{"company_id", "name", "object_type_id"}
	tr := fixture{kind: Companies, cols: cols}.transformer(t)
	got, errs, warns := buildAll(t, tr, cols,
		[]record.Value{str(" c-ws "), str("A"), str(" 3 ")},
		[]record.Value{str("c-2\t"), str("B"), str("2")},
		[]record.Value{str("\u00a0c-3"), str("C"), str("1")},
		[]record.Value{str("  "), str("D"), str("1")})
	var ids []any
	for _, m := range got {
		ids = append(ids, m["groupId"], traits(m)["objectTypeId"])
	}
	if want := []any{"c-ws", jsonNum("3"), "c-2", jsonNum("2"), "c-3", jsonNum("1")}; !reflect.DeepEqual(ids, want) {
		t.Errorf("ids %v, want %v", ids, want)
	}
	if len(errs) != 1 || errs[0].Code != CodeMissingGroupID {
		t.Errorf("errors %v, want one %s", errs, CodeMissingGroupID)
	}
	want := map[string]int64{
		`companies: groupId values had surrounding whitespace, trimmed; e.g. " c-ws "`:   3,
		`companies: objectTypeId values had surrounding whitespace, trimmed; e.g. " 3 "`: 1,
	}
	if !reflect.DeepEqual(warns, want) {
		t.Errorf("warnings %v, want %v", warns, want)
	}

	mcols := []string{"company_id", "user_id", "anonymous_id"}
	mtr := fixture{kind: Memberships, cols: mcols}.transformer(t)
	got, errs, warns = buildAll(t, mtr, mcols,
		[]record.Value{str(" c-ws "), str("u-ws "), null()},
		[]record.Value{str("c-1"), str(""), str(" a-1")})
	if len(errs) != 0 || len(got) != 2 {
		t.Fatalf("errors %v", errs)
	}
	if got[0]["groupId"] != "c-ws" || got[0]["userId"] != "u-ws" || got[1]["anonymousId"] != "a-1" {
		t.Errorf("payloads %v", got)
	}
	want = map[string]int64{
		`memberships: groupId values had surrounding whitespace, trimmed; e.g. " c-ws "`:   1,
		`memberships: userId values had surrounding whitespace, trimmed; e.g. "u-ws "`:     1,
		`memberships: anonymousId values had surrounding whitespace, trimmed; e.g. " a-1"`: 1,
	}
	if !reflect.DeepEqual(warns, want) {
		t.Errorf("warnings %v, want %v", warns, want)
	}
}

// Person ids get the 150-byte limit of object ids: rejected, or counted
// with limits: warn.
func TestPersonIDLimit(t *testing.T) {
	cols := []string{"gid", "uid", "aid"}
	long := strings.Repeat("u", 151)
	for _, limits := range []string{"", "limits: warn\n"} {
		tr := fixture{kind: Memberships, cols: cols, mapping: "groupId: gid\nuserId: uid\nanonymousId: aid\n" + limits}.transformer(t)
		got, errs, warns := buildAll(t, tr, cols,
			[]record.Value{str("g"), str(long), null()},
			[]record.Value{str("g"), null(), str(long + " ")},
			[]record.Value{str("g"), str(strings.Repeat("u", 150)), null()})
		if limits == "" {
			if len(got) != 1 || len(errs) != 2 {
				t.Fatalf("%d built, errors %v", len(got), errs)
			}
			for _, e := range errs {
				if e.Code != CodePersonIDTooLong {
					t.Errorf("code %s", e.Code)
				}
			}
			if want := `column "uid": userId is 151 bytes, over Journeys' 150-byte limit for ids`; errs[0].Error() != want {
				t.Errorf("error %q, want %q", errs[0].Error(), want)
			}
			continue
		}
		if len(got) != 3 || warns["userId over Journeys' 150-byte limit"] != 1 || warns["anonymousId over Journeys' 150-byte limit"] != 1 {
			t.Errorf("%d built, warnings %v", len(got), warns)
		}
	}
}

// decode decodes one payload line, numbers kept as json.Number.
func decode(t *testing.T, p []byte) (map[string]any, string) {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(p))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatalf("payload is not JSON: %v\n%s", err, p)
	}
	return m, strings.TrimSuffix(string(p), "\n")
}

func jsonNum(s string) json.Number { return json.Number(s) }

// A compact date (YYYYMMDD) is a date wherever dates are read: createdAt,
// a typed timestamp field and the event timestamp, as text (CSV) or as a
// number (NDJSON, a Parquet INT32).
func TestCompactDates(t *testing.T) {
	cols := []string{"company_id", "created", "since", "updated"}
	tr := fixture{kind: Companies, cols: cols, mapping: "groupId: company_id\ntimestamp: updated\ntraits:\n  createdAt: created\n  since: {column: since, type: timestamp}\n"}.transformer(t)
	for _, v := range []record.Value{str("20190301"), num("20190301")} {
		m, s := mustBuild(t, tr, cols, str("c1"), v, v, v)
		tr := traits(m)
		if tr["createdAt"] != "2019-03-01T00:00:00.000Z" || tr["since"] != "2019-03-01T00:00:00.000Z" || m["timestamp"] != "2019-03-01T00:00:00.000Z" {
			t.Errorf("%s %s: %s", v.Kind, v.Bytes, s)
		}
	}
	// an impossible date is Unix seconds, as before
	m, _ := mustBuild(t, tr, cols, str("c1"), num("20190230"), str(""), str(""))
	if got := traits(m)["createdAt"]; got != "1970-08-22T16:23:50.000Z" {
		t.Errorf("20190230 → %v", got)
	}
}

// More than a few dates of a field before 1990 or after next year are a
// warning naming the field, its column and the first such value — in every
// run, not only in a dry run's review.
func TestOddDatesWarned(t *testing.T) {
	cols := []string{"company_id", "created", "updated"}
	tr := fixture{kind: Companies, cols: cols, mapping: "groupId: company_id\ntimestamp: updated\ntraits:\n  createdAt: created\n"}.transformer(t)
	next := strconv.Itoa(time.Now().Year() + 1)
	row := func(created, updated string) []record.Value {
		return []record.Value{str("c1"), str(created), str(updated)}
	}
	// three odd createdAt values: a few, no warning
	_, _, warns := buildAll(t, tr, cols, row("86400", "2024-01-01"), row("1985-06-01", "2024-01-01"), row("2019-03-01", "2024-01-01"), row("1989-12-31", "2024-01-01"))
	if len(warns) != 0 {
		t.Errorf("warnings for three odd dates: %v", warns)
	}
	// the same rows built again (a run's second pass) are still a few
	_, _, warns = buildAll(t, tr, cols, row("86400", "2024-01-01"), row("1985-06-01", "2024-01-01"), row("2019-03-01", "2024-01-01"), row("1989-12-31", "2024-01-01"))
	if len(warns) != 0 {
		t.Errorf("warnings for three odd dates read twice: %v", warns)
	}
	// a fourth (with a new builder: the run counts across builders)
	_, _, warns = buildAll(t, tr, cols, row("1970-01-01", "2999-01-01"), row("2000-01-01", "2999-01-01"), row("2000-01-01", "2999-01-01"), row("2000-01-01", "2999-01-01"), row("2000-01-01", "2999-01-01"))
	want := map[string]int64{
		`companies traits.createdAt (column "created"): dates before 1990 or after ` + next + `, e.g. "86400" read as 1970-01-02T00:00:00.000Z; check how the column's dates are read (format:, unit: in the mapping)`: 4,
		`companies timestamp (column "updated"): dates before 1990 or after ` + next + `, e.g. "2999-01-01" read as 2999-01-01T00:00:00.000Z; check how the column's dates are read (format:, unit: in the mapping)`:   5,
	}
	if !reflect.DeepEqual(warns, want) {
		t.Errorf("warnings\n got %v\nwant %v", warns, want)
	}
}

// Without a timestamp of the row's own, the run's start is no part of the
// messageId: re-running the same export at another time gives the same ids
// (the API de-duplicates the re-run). A timestamp column, or a given
// --timestamp, still counts.
func TestMessageIDWithoutClock(t *testing.T) {
	ids := func(cols []string, cfg Config, vals ...record.Value) string {
		t.Helper()
		km, err := Infer(cfg.Kind, nil, cols, nil)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Mapping = km
		tr, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		m, _ := mustBuild(t, tr, cols, vals...)
		return m["messageId"].(string)
	}
	later := fixedTS.Add(26 * time.Hour)
	cols := []string{"company_id", "name"}
	a := ids(cols, Config{Kind: Companies, Timestamp: fixedTS, ClockTimestamp: true}, str("c1"), str("Acme"))
	b := ids(cols, Config{Kind: Companies, Timestamp: later, ClockTimestamp: true}, str("c1"), str("Acme"))
	if a != b {
		t.Errorf("the run's start changed the messageId: %s, %s", a, b)
	}
	if c := ids(cols, Config{Kind: Companies, Timestamp: later, ClockTimestamp: true}, str("c1"), str("Acme Inc")); c == a {
		t.Errorf("other content, same messageId %s", c)
	}
	// a given --timestamp counts
	if a, b := ids(cols, Config{Kind: Companies, Timestamp: fixedTS}, str("c1"), str("Acme")),
		ids(cols, Config{Kind: Companies, Timestamp: later}, str("c1"), str("Acme")); a == b {
		t.Errorf("two --timestamp values, one messageId %s", a)
	}
	// and so does a timestamp column, whatever the clock
	cols = []string{"company_id", "name", "updated_at"}
	a = ids(cols, Config{Kind: Companies, Timestamp: fixedTS, ClockTimestamp: true}, str("c1"), str("Acme"), str("2024-01-01"))
	b = ids(cols, Config{Kind: Companies, Timestamp: later, ClockTimestamp: true}, str("c1"), str("Acme"), str("2024-01-01"))
	c := ids(cols, Config{Kind: Companies, Timestamp: later, ClockTimestamp: true}, str("c1"), str("Acme"), str("2024-01-02"))
	if a != b || a == c {
		t.Errorf("with a timestamp column: %s %s %s", a, b, c)
	}
	// an empty timestamp cell takes the run's start, which is no part of the id
	a = ids(cols, Config{Kind: Companies, Timestamp: fixedTS, ClockTimestamp: true}, str("c1"), str("Acme"), str(""))
	b = ids(cols, Config{Kind: Companies, Timestamp: later, ClockTimestamp: true}, str("c1"), str("Acme"), str(""))
	if a != b {
		t.Errorf("an empty timestamp cell: %s, %s", a, b)
	}
}

// Coercion never rounds or overflows silently: the reasons say why.
func TestNumbersAtTheEdges(t *testing.T) {
	cols := []string{"id", "n", "x"}
	tr := fixture{kind: Companies, cols: cols, mapping: "groupId: id\ntraits:\n  n: {column: n, type: integer}\n  x: x\n"}.transformer(t)
	for _, c := range []struct {
		n, x record.Value
		want string
	}{
		{str("1.000000000000000005"), null(), `invalid_integer: column "n": "1.000000000000000005" is not a whole number (an integer field takes no fraction; nothing is rounded)`},
		{str("1e-999"), null(), `invalid_integer: column "n": "1e-999" is not a whole number (an integer field takes no fraction; nothing is rounded)`},
		{str("1e400"), null(), `number_out_of_range: column "n": "1e400" is out of the range of a double (±1.8e308, and not below 4.9e-324 unless 0): it would arrive as infinity or 0`},
		{null(), num("1e400"), `number_out_of_range: column "x": 1e400 is out of the range of a double (±1.8e308, and not below 4.9e-324 unless 0): it would arrive as infinity or 0`},
		{null(), num("-2e-400"), `number_out_of_range: column "x": -2e-400 is out of the range of a double (±1.8e308, and not below 4.9e-324 unless 0): it would arrive as infinity or 0`},
	} {
		_, _, rerr := buildOne(t, tr, cols, str("g"), c.n, c.x)
		if rerr == nil {
			t.Errorf("%s %s built", c.n.Bytes, c.x.Bytes)
			continue
		}
		if got := rerr.Code + ": " + rerr.Error(); got != c.want {
			t.Errorf("got  %s\nwant %s", got, c.want)
		}
	}
	// exact numbers go through digit for digit
	_, s := mustBuild(t, tr, cols, str("g"), num("12.000"), num("1.000000000000000005"))
	if !strings.Contains(s, `"n":12,"x":1.000000000000000005}`) {
		t.Errorf("payload %s", s)
	}
}

// decimal: "," and thousands: "." read European numbers, in typed fields
// and in columns whose type is inferred from the sample.
func TestDecimalComma(t *testing.T) {
	cols := []string{"id", "revenue", "price", "seats", "employees", "note"}
	sample := [][]record.Value{
		{str("c1"), str("1.234,50"), str("3,5"), str("1.234"), str("12.500"), str("a")},
		{str("c2"), str("-0,75"), str("10"), str("7"), str("9"), str("b")},
	}
	tr := fixture{kind: Companies, cols: cols, sample: sample, mapping: "groupId: id\ndecimal: \",\"\nthousands: \".\"\n" +
		"traits:\n  price: {column: price, type: float}\n  seats: {column: seats, type: integer}\n"}.transformer(t)
	_, s := mustBuild(t, tr, cols, sample[0]...)
	if want := `"traits":{"objectTypeId":1,"price":3.5,"seats":1234,"revenue":1234.50,"employees":12500,"note":"a"}`; !strings.Contains(s, want) {
		t.Errorf("payload %s\nwant %s", s, want)
	}
	_, s = mustBuild(t, tr, cols, sample[1]...)
	if want := `"traits":{"objectTypeId":1,"price":10,"seats":7,"revenue":-0.75,"employees":9,"note":"b"}`; !strings.Contains(s, want) {
		t.Errorf("payload %s\nwant %s", s, want)
	}
	// grouping is checked: 1.2345 is no number in this format
	if _, _, rerr := buildOne(t, tr, cols, str("c3"), str(""), str("1.2345"), str(""), str(""), str("")); rerr == nil || rerr.Code != CodeInvalidNumber {
		t.Errorf("1.2345: %v", rerr)
	}
}

// Without decimal: ",", a column whose sample is all decimal-comma
// numbers is sent as text with a warning that gives the fix; a typed
// field's rejection says the same.
func TestDecimalCommaWarned(t *testing.T) {
	cols := []string{"id", "revenue", "ratio", "thousand", "price"}
	sample := [][]record.Value{
		{str("c1"), str("1.234,50"), str("3,5"), str("1,234"), str("2,5")},
		{str("c2"), str("99,95"), str("0,25"), str("12,500"), str("1")},
	}
	tr := fixture{kind: Companies, cols: cols, sample: sample, mapping: "groupId: id\ntraits:\n  price: {column: price, type: float}\n"}.transformer(t)
	got, errs, warns := buildAll(t, tr, cols, sample[0], sample[1])
	if len(got) != 1 || len(errs) != 1 {
		t.Fatalf("%d built, errors %v", len(got), errs)
	}
	if want := `price: "2,5" is not a number (written with a decimal comma? say so with decimal: "," in the companies section of the mapping)`; errs[0].Column+": "+errs[0].Reason != want {
		t.Errorf("error %q\nwant %q", errs[0].Column+": "+errs[0].Reason, want)
	}
	if tr := traits(got[0]); tr["revenue"] != "99,95" || tr["ratio"] != "0,25" || tr["thousand"] != "12,500" {
		t.Errorf("traits %v", tr)
	}
	want := map[string]int64{
		`companies column "revenue": values look like numbers written with a decimal comma (e.g. "1.234,50") and are sent as text; add decimal: "," and thousands: "." to the companies section of the mapping`: 1,
		`companies column "ratio": values look like numbers written with a decimal comma (e.g. "3,5") and are sent as text; add decimal: "," to the companies section of the mapping`:                           1,
	}
	if !reflect.DeepEqual(warns, want) {
		t.Errorf("warnings\n got %v\nwant %v", warns, want)
	}
}

// decimal: and thousands: are checked, and init's writer writes them back.
func TestDecimalKeysRoundTrip(t *testing.T) {
	for _, c := range []struct{ decimal, thousands string }{{",", "."}, {",", " "}, {".", "'"}, {".", ","}, {",", ""}} {
		src := "companies:\n  groupId: id\n  decimal: \"" + c.decimal + "\"\n  thousands: \"" + c.thousands + "\"\n"
		m, err := ParseMapping([]byte(src), "")
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		back, err := ParseMapping([]byte(m.String()), "")
		if err != nil {
			t.Fatalf("%s: %v", m.String(), err)
		}
		if got := back.Companies; got.Decimal != c.decimal || got.Thousands != c.thousands {
			t.Errorf("%q %q written as\n%s", c.decimal, c.thousands, m.String())
		}
	}
	for _, c := range []struct{ body, want string }{
		{"decimal: \";\"", `mapping: line 3: decimal must be "." or ","`},
		{"thousands: \"x\"", `mapping: line 3: thousands must be ".", ",", "'" or " " (or "" for none)`},
		{"thousands: \".\"", `mapping: line 3: thousands: "." is the decimal separator too: they must differ (for numbers such as 1.234,50 add decimal: ",")`},
		{"decimal: \",\"\n  thousands: \",\"", `mapping: line 4: thousands: "," is the decimal separator too: they must differ`},
	} {
		_, err := ParseMapping([]byte("companies:\n  groupId: id\n  "+c.body+"\n"), "")
		if err == nil || err.Error() != c.want {
			t.Errorf("%s: %v, want %s", c.body, err, c.want)
		}
	}
}

// Reserved traits keep their meaning: employees a number (or numeric
// text), createdAt a date, the others text; a boolean, an array or an
// object is a row error, never sent as the reserved trait.
func TestReservedTraitsKeepTheirMeaning(t *testing.T) {
	cols := []string{"id", "employees", "name", "createdAt", "phone"}
	tr := fixture{kind: Companies, cols: cols}.transformer(t)
	bool_ := func(s string) record.Value { return record.Value{Kind: record.Bool, Bytes: []byte(s)} }
	for _, c := range []struct {
		vals []record.Value
		want string
	}{
		{[]record.Value{bool_("true"), null(), null(), null()}, `reserved_trait_type: column "employees": traits.employees is a reserved trait, a number (or numeric text): not the boolean true`},
		{[]record.Value{js("[]"), null(), null(), null()}, `reserved_trait_type: column "employees": traits.employees is a reserved trait, a number (or numeric text): not JSON []`},
		{[]record.Value{js("{}"), null(), null(), null()}, `reserved_trait_type: column "employees": traits.employees is a reserved trait, a number (or numeric text): not JSON {}`},
		{[]record.Value{null(), js(`{"first":"Acme"}`), null(), null()}, `reserved_trait_type: column "name": traits.name is a reserved trait, text: not JSON {"first":"Acme"}`},
		{[]record.Value{null(), null(), bool_("false"), null()}, `reserved_trait_type: column "createdAt": traits.createdAt is a reserved trait, a date: not the boolean false`},
		{[]record.Value{null(), null(), null(), js(`["555"]`)}, `reserved_trait_type: column "phone": traits.phone is a reserved trait, text: not JSON ["555"]`},
	} {
		_, s, rerr := buildOne(t, tr, cols, append([]record.Value{str("c1")}, c.vals...)...)
		if rerr == nil {
			t.Errorf("built %s, want %s", s, c.want)
			continue
		}
		if got := rerr.Code + ": " + rerr.Error(); got != c.want {
			t.Errorf("got  %s\nwant %s", got, c.want)
		}
	}
	_, s := mustBuild(t, tr, cols, str("c1"), num("329"), num("42"), num("20190301"), num("4155551234"))
	if want := `"traits":{"objectTypeId":1,"employees":329,"name":"42","createdAt":"2019-03-01T00:00:00.000Z","phone":"4155551234"}`; !strings.Contains(s, want) {
		t.Errorf("payload %s\nwant %s", s, want)
	}
	// a declared type cannot make a reserved trait a boolean either
	tr = fixture{kind: Companies, cols: cols, mapping: "groupId: id\ntraits:\n  plan: {column: name, type: boolean}\n"}.transformer(t)
	if _, _, rerr := buildOne(t, tr, cols, str("c1"), null(), str("yes"), null(), null()); rerr == nil || rerr.Code != CodeReservedTraitType {
		t.Errorf("plan typed boolean: %v", rerr)
	}
	// nor a constant
	m, _ := ParseMapping([]byte("companies:\n  groupId: id\n  traits:\n    plan: {value: true}\n"), "m.yaml")
	tc, _ := New(Config{Kind: Companies, Mapping: m.Companies})
	if err := tc.Check(cols); err == nil || err.Error() != "mapping: line 4: plan is a reserved trait, text: not true" {
		t.Errorf("constant: %v", err)
	}
}

// The seed's own relationship example (reference/group-call.md): a
// memberships column relationshipAttributes holding the object fills
// traits.relationshipAttributes, never relationshipAttributes.relationshipAttributes.
func TestRelationshipAttributesObject(t *testing.T) {
	seed := `{"role":"sponsor","dateJoined":"2021-01-01","isPrimaryContact":true}`
	want := `"traits":{"objectTypeId":2,"relationshipAttributes":{"role":"sponsor","dateJoined":"2021-01-01","isPrimaryContact":true}}`
	for _, c := range []struct {
		column string
		v      record.Value
	}{
		{"relationshipAttributes", js(seed)},  // NDJSON object, Parquet struct
		{"relationship_attributes", js(seed)}, // snake_case
		{"RelationshipAttributes", str(` { "role": "sponsor", "dateJoined": "2021-01-01", "isPrimaryContact": true } `)}, // JSON text in CSV
	} {
		cols := []string{"userId", "groupId", "objectTypeId", c.column}
		tr := fixture{kind: Memberships, cols: cols}.transformer(t)
		_, s := mustBuild(t, tr, cols, str("wileecoyote"), str("0e8c78ea"), num("2"), c.v)
		if !strings.HasPrefix(s, `{"type":"group","groupId":"0e8c78ea","userId":"wileecoyote",`+want+`,"timestamp"`) {
			t.Errorf("%s: %s\nwant …%s…", c.column, s, want)
		}
	}
	// merged with the mapped attributes (after them); a name from both is a row error
	cols := []string{"groupId", "userId", "team", "relationshipAttributes"}
	tr := fixture{kind: Memberships, cols: cols}.transformer(t)
	if read, err := tr.Columns(cols); err != nil || !reflect.DeepEqual(read, cols) {
		t.Errorf("columns read: %v %v", read, err) // a Parquet reader decodes only these
	}
	if d, _ := Describe(Memberships, tr.cfg.Mapping, cols); d[len(d)-1] != `traits.relationshipAttributes.* ← "relationshipAttributes" (an object: its keys, beside the attributes above)` {
		t.Errorf("described as %q", d)
	}
	_, s := mustBuild(t, tr, cols, str("g"), str("u"), str("red"), js(seed))
	if !strings.Contains(s, `"relationshipAttributes":{"team":"red","role":"sponsor","dateJoined":"2021-01-01","isPrimaryContact":true}}`) {
		t.Errorf("merged: %s", s)
	}
	_, s = mustBuild(t, tr, cols, str("g"), str("u"), str("red"), null())
	if !strings.Contains(s, `"relationshipAttributes":{"team":"red"}}`) {
		t.Errorf("no object: %s", s)
	}
	for _, c := range []struct {
		v    record.Value
		want string
	}{
		{js(`{"team":"blue"}`), `relationship_attribute_conflict: column "relationshipAttributes": relationship attribute "team" comes both from the mapping and from the relationshipAttributes object; drop or rename one`},
		{js(`{"a":1,"a":2}`), `relationship_attribute_conflict: column "relationshipAttributes": relationship attribute "a" is given twice in the relationshipAttributes object`},
		{js(`["sponsor"]`), `invalid_relationship_attributes: column "relationshipAttributes": relationshipAttributes must be an object of attributes, not JSON ["sponsor"]`},
		{str(`sponsor`), `invalid_relationship_attributes: column "relationshipAttributes": relationshipAttributes must be an object of attributes, not string "sponsor"`},
		{js(`{"n":1e400}`), `number_out_of_range: column "relationshipAttributes": 1e400 is out of the range of a double (±1.8e308, and not below 4.9e-324 unless 0): it would arrive as infinity or 0`},
	} {
		_, _, rerr := buildOne(t, tr, cols, str("g"), str("u"), str("red"), c.v)
		if rerr == nil || rerr.Code+": "+rerr.Error() != c.want {
			t.Errorf("%s: %v\nwant %s", c.v.Bytes, rerr, c.want)
		}
	}
	// a flat column relationshipAttributes.role is the attribute role
	cols = []string{"groupId", "userId", "relationshipAttributes.role"}
	tr = fixture{kind: Memberships, cols: cols}.transformer(t)
	if _, s := mustBuild(t, tr, cols, str("g"), str("u"), str("sponsor")); !strings.Contains(s, `"relationshipAttributes":{"role":"sponsor"}}`) {
		t.Errorf("flat: %s", s)
	}
}

// In companies such a column is a mapping error that says where it
// belongs, before any row is built.
func TestRelationshipAttributesInCompanies(t *testing.T) {
	for _, col := range []string{"relationshipAttributes", "relationship_attributes", "relationshipAttributes.role"} {
		cols := []string{"company_id", "name", col}
		km, err := Infer(Companies, nil, cols, nil)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := New(Config{Kind: Companies, Mapping: km})
		if err != nil {
			t.Fatal(err)
		}
		want := `mapping: companies: column "` + col + `" holds relationship attributes, which belong in the memberships input (they describe a person's relationship to the object, and a companies row names no person); move it there, or leave it out with drop: [` + yamlString(col) + `] in the companies section`
		if err := tr.Check(cols); err == nil || err.Error() != want {
			t.Errorf("got  %v\nwant %s", err, want)
		}
		// dropped, the rest maps
		km.Drop = []string{col}
		tr, _ = New(Config{Kind: Companies, Mapping: km})
		if err := tr.Check(cols); err != nil {
			t.Errorf("dropped: %v", err)
		}
	}
}
