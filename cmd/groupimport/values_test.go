package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/groupimport/groupimport/internal/speccheck"
)

// Issue 14: every value arrives as the export meant it, or is refused with
// a reason; what is fixed on the way is warned in report.json.

// write puts text in dir/name and returns the path.
func write(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// runOut runs the CLI into a fresh --out and returns the payloads, the
// report's warnings and the rejects' reasons.
func runOut(t *testing.T, wantCode int, args ...string) (payloads []string, warnings map[string]int64, rejects []string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out")
	code, _, stderr := gi(t, append([]string{"run", "--out", out, "-q"}, args...)...)
	if code != wantCode {
		t.Fatalf("exit %d, want %d\n%s", code, wantCode, stderr)
	}
	readReport(t, filepath.Join(out, "report.json")) // read = emitted + rejected + skipped
	payloads = readLines(t, filepath.Join(out, "payloads-00001.ndjson"))
	for _, l := range readLines(t, filepath.Join(out, "rejects.ndjson")) {
		var r struct{ Column, Reason string }
		json.Unmarshal([]byte(l), &r)
		rejects = append(rejects, r.Column+": "+r.Reason)
	}
	return payloads, reportWarnings(t, filepath.Join(out, "report.json")), rejects
}

func decodeLine(t *testing.T, line string) map[string]any {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(line))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatalf("%v: %s", err, line)
	}
	return m
}

// YYYYMMDD date keys are dates, in CSV text and as a Parquet INT32/INT64;
// a column of dates before 1990 is a warning in report.json of a real run.
func TestCompactDatesThroughTheCLI(t *testing.T) {
	dir := t.TempDir()
	csv := write(t, dir, "companies.csv", "company_id,name,created_date,updated_at\nc1,Acme,20190301,20240501\n")
	pq := filepath.Join(dir, "companies.parquet")
	writeParquet(t, pq, parquet.Group{"company_id": parquet.String(), "created": parquet.Leaf(parquet.Int32Type), "updated_at": parquet.Leaf(parquet.Int64Type)},
		[]parquet.Row{{parquet.ByteArrayValue([]byte("c1")).Level(0, 0, 0), parquet.Int32Value(20190301).Level(0, 0, 1), parquet.Int64Value(20240501).Level(0, 0, 2)}})
	for _, in := range []string{csv, pq} {
		payloads, warnings, _ := runOut(t, 0, "--companies", in)
		if len(payloads) != 1 || !strings.Contains(payloads[0], `"createdAt":"2019-03-01T00:00:00.000Z"`) ||
			!strings.Contains(payloads[0], `"timestamp":"2024-05-01T00:00:00.000Z"`) {
			t.Errorf("%s: %v", filepath.Base(in), payloads)
		}
		if len(warnings) != 0 {
			t.Errorf("%s: warnings %v", filepath.Base(in), warnings)
		}
	}
	odd := write(t, dir, "odd.csv", "company_id,created_at\nc1,0\nc2,86400\nc3,19700105\nc4,1985-02-01\nc5,2019-01-01\n")
	_, warnings, _ := runOut(t, 0, "--companies", odd, "--timestamp", "2024-06-01T00:00:00Z")
	next := strconv.Itoa(time.Now().Year() + 1)
	want := map[string]int64{`companies traits.createdAt (column "created_at"): dates before 1990 or after ` + next +
		`, e.g. "0" read as 1970-01-01T00:00:00.000Z; check how the column's dates are read (format:, unit: in the mapping)`: 4}
	if !reflect.DeepEqual(warnings, want) {
		t.Errorf("warnings\n got %v\nwant %v", warnings, want)
	}
}

// Padded ids are trimmed and warned, in companies and memberships.
func TestPaddedIDsThroughTheCLI(t *testing.T) {
	dir := t.TempDir()
	co := write(t, dir, "companies.csv", "company_id,name\n\" c-ws \",Acme\n")
	mem := write(t, dir, "memberships.csv", "company_id,user_id\n\" c-ws \",\"u-ws \"\n")
	payloads, warnings, _ := runOut(t, 0, "--companies", co, "--memberships", mem, "--timestamp", "2024-06-01T00:00:00Z")
	if len(payloads) != 2 || !strings.HasPrefix(payloads[0], `{"type":"group","groupId":"c-ws","traits"`) ||
		!strings.HasPrefix(payloads[1], `{"type":"group","groupId":"c-ws","userId":"u-ws","traits"`) {
		t.Errorf("payloads %v", payloads)
	}
	want := map[string]int64{
		`companies: groupId values had surrounding whitespace, trimmed; e.g. " c-ws "`:   1,
		`memberships: groupId values had surrounding whitespace, trimmed; e.g. " c-ws "`: 1,
		`memberships: userId values had surrounding whitespace, trimmed; e.g. "u-ws "`:   1,
	}
	if !reflect.DeepEqual(warnings, want) {
		t.Errorf("warnings\n got %v\nwant %v", warnings, want)
	}
}

// Ids that are JSON numbers written as decimals (13.0: pandas' float ids)
// are the integers they mean, for groupId and userId alike, warned once per
// kind and field; other numbers keep their digits.
func TestNumericIDsThroughTheCLI(t *testing.T) {
	dir := t.TempDir()
	co := write(t, dir, "companies.ndjson", `{"company_id":13.0,"name":"A"}`+"\n"+`{"company_id":1.4e1,"name":"B"}`+"\n"+
		`{"company_id":-2.0,"name":"C"}`+"\n"+`{"company_id":15.5,"name":"D"}`+"\n"+`{"company_id":16,"name":"E"}`+"\n")
	mem := write(t, dir, "memberships.ndjson", `{"company_id":13.0,"user_id":7.0}`+"\n")
	payloads, warnings, _ := runOut(t, 0, "--companies", co, "--memberships", mem, "--timestamp", "2024-06-01T00:00:00Z")
	var got []string
	for _, p := range payloads {
		var m struct{ GroupID, UserID string }
		if err := json.Unmarshal([]byte(p), &m); err != nil {
			t.Fatal(err)
		}
		got = append(got, m.GroupID+"/"+m.UserID)
	}
	if want := []string{"13/", "14/", "-2/", "15.5/", "16/", "13/7"}; !reflect.DeepEqual(got, want) {
		t.Errorf("ids %v, want %v", got, want)
	}
	want := map[string]int64{
		"companies: groupId values were whole numbers written as decimals, sent as integers; e.g. 13.0 sent as 13":   3,
		"memberships: groupId values were whole numbers written as decimals, sent as integers; e.g. 13.0 sent as 13": 1,
		"memberships: userId values were whole numbers written as decimals, sent as integers; e.g. 7.0 sent as 7":    1,
	}
	if !reflect.DeepEqual(warnings, want) {
		t.Errorf("warnings\n got %v\nwant %v", warnings, want)
	}
}

// The seed's relationship example, end to end: the membership payload's
// traits are the example's, exactly (the object's traits joined in from
// the companies input). As a Parquet struct the same.
func TestSeedRelationshipAttributesThroughTheCLI(t *testing.T) {
	dir := t.TempDir()
	co := write(t, dir, "companies.ndjson", `{"groupId":"0e8c78ea","objectTypeId":2,"name":"Acme","industry":"Technology","employees":329}`+"\n")
	mem := write(t, dir, "memberships.ndjson", `{"userId":"wileecoyote","groupId":"0e8c78ea","objectTypeId":2,"relationshipAttributes":{"role":"sponsor","dateJoined":"2021-01-01","isPrimaryContact":true}}`+"\n")
	mapping := write(t, dir, "m.yaml", "memberships:\n  groupId: groupId\n  userId: userId\n  objectTypeId: {column: objectTypeId}\n  include_object_traits: true\n")
	payloads, warnings, _ := runOut(t, 0, "--companies", co, "--memberships", mem, "--mapping", mapping, "--timestamp", "2024-06-01T00:00:00Z")
	specCheck(t, payloads, speccheck.Options{})
	const seed = `"traits":{"objectTypeId":2,"name":"Acme","industry":"Technology","employees":329,"relationshipAttributes":{"role":"sponsor","dateJoined":"2021-01-01","isPrimaryContact":true}}`
	if len(payloads) != 2 || !strings.HasPrefix(payloads[1], `{"type":"group","groupId":"0e8c78ea","userId":"wileecoyote",`+seed+`,"timestamp"`) {
		t.Errorf("membership payload %v\nwant …%s…", payloads, seed)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings %v", warnings)
	}

	pq := filepath.Join(dir, "memberships.parquet")
	writeParquet(t, pq, parquet.Group{"groupId": parquet.String(), "userId": parquet.String(),
		"relationshipAttributes": parquet.Group{"role": parquet.String(), "dateJoined": parquet.String(), "isPrimaryContact": parquet.Leaf(parquet.BooleanType)}},
		[]parquet.Row{{parquet.ByteArrayValue([]byte("0e8c78ea")).Level(0, 0, 0), parquet.ByteArrayValue([]byte("2021-01-01")).Level(0, 0, 1),
			parquet.BooleanValue(true).Level(0, 0, 2), parquet.ByteArrayValue([]byte("sponsor")).Level(0, 0, 3), parquet.ByteArrayValue([]byte("wileecoyote")).Level(0, 0, 4)}})
	payloads, _, _ = runOut(t, 0, "--memberships", pq, "--timestamp", "2024-06-01T00:00:00Z")
	if len(payloads) != 1 || !strings.Contains(payloads[0], `"traits":{"objectTypeId":1,"relationshipAttributes":{"dateJoined":"2021-01-01","isPrimaryContact":true,"role":"sponsor"}}`) {
		t.Errorf("parquet struct: %v", payloads)
	}

	// in companies the column is refused before anything is sent, saying where it belongs
	bad := write(t, dir, "bad.csv", "company_id,name,relationshipAttributes\nc1,A,\"{\"\"role\"\":\"\"x\"\"}\"\n")
	code, _, stderr := gi(t, "run", "--companies", bad, "--out", filepath.Join(dir, "out-bad"))
	if want := `companies: column "relationshipAttributes" holds relationship attributes, which belong in the memberships input`; code != 2 || !strings.Contains(stderr, want) {
		t.Errorf("exit %d, want 2 with %q\n%s", code, want, stderr)
	}
}

// Decimal commas: without decimal: "," a warning with the fix; with it,
// numbers.
func TestDecimalCommaThroughTheCLI(t *testing.T) {
	dir := t.TempDir()
	csv := write(t, dir, "companies.csv", "company_id;name;revenue\nc1;Acme;1.234,50\nc2;Beta;99,95\n")
	payloads, warnings, _ := runOut(t, 0, "--companies", csv, "--timestamp", "2024-06-01T00:00:00Z")
	if len(payloads) != 2 || !strings.Contains(payloads[0], `"revenue":"1.234,50"`) {
		t.Errorf("payloads %v", payloads)
	}
	want := map[string]int64{`companies column "revenue": values look like numbers written with a decimal comma (e.g. "1.234,50") and are sent as text; add decimal: "," and thousands: "." to the companies section of the mapping`: 2}
	if !reflect.DeepEqual(warnings, want) {
		t.Errorf("warnings\n got %v\nwant %v", warnings, want)
	}
	mapping := write(t, dir, "m.yaml", "companies:\n  groupId: company_id\n  decimal: \",\"\n  thousands: \".\"\n")
	payloads, warnings, _ = runOut(t, 0, "--companies", csv, "--mapping", mapping, "--timestamp", "2024-06-01T00:00:00Z")
	if len(payloads) != 2 || !strings.Contains(payloads[0], `"revenue":1234.50}`) || !strings.Contains(payloads[1], `"revenue":99.95}`) || len(warnings) != 0 {
		t.Errorf("payloads %v, warnings %v", payloads, warnings)
	}
}

// Numbers at the edges and reserved traits: refused with a reason, never
// rounded, overflowed or sent with another meaning.
func TestNumbersAndReservedTraitsThroughTheCLI(t *testing.T) {
	dir := t.TempDir()
	co := write(t, dir, "companies.ndjson", strings.Join([]string{
		`{"id":"c1","employees":true}`,
		`{"id":"c2","employees":[]}`,
		`{"id":"c3","employees":{}}`,
		`{"id":"c4","seats":"1.000000000000000005"}`,
		`{"id":"c5","seats":"1e-999"}`,
		`{"id":"c6","score":1e400}`,
		`{"id":"c7","employees":329,"seats":"12.0","score":0.1000000000000000055511151231257827}`,
	}, "\n")+"\n")
	mapping := write(t, dir, "m.yaml", "companies:\n  groupId: id\n  traits:\n    seats: {column: seats, type: integer}\n")
	payloads, _, rejects := runOut(t, 3, "--companies", co, "--mapping", mapping, "--timestamp", "2024-06-01T00:00:00Z")
	if len(payloads) != 1 || !strings.Contains(payloads[0], `"traits":{"objectTypeId":1,"seats":12,"employees":329,"score":0.1000000000000000055511151231257827}`) {
		t.Errorf("payloads %v", payloads)
	}
	want := []string{
		`employees: traits.employees is a reserved trait, a number (or numeric text): not the boolean true`,
		`employees: traits.employees is a reserved trait, a number (or numeric text): not JSON []`,
		`employees: traits.employees is a reserved trait, a number (or numeric text): not JSON {}`,
		`seats: "1.000000000000000005" is not a whole number (an integer field takes no fraction; nothing is rounded)`,
		`seats: "1e-999" is not a whole number (an integer field takes no fraction; nothing is rounded)`,
		`score: 1e400 is out of the range of a double (±1.8e308, and not below 4.9e-324 unless 0): it would arrive as infinity or 0`,
	}
	if !reflect.DeepEqual(rejects, want) {
		t.Errorf("rejects\n got %q\nwant %q", rejects, want)
	}
}

// Without a timestamp column or --timestamp, two runs at different times
// give the same messageIds (the API de-duplicates a re-run); a timestamp
// column still counts.
func TestMessageIDsOfReRunsThroughTheCLI(t *testing.T) {
	dir := t.TempDir()
	co := write(t, dir, "companies.csv", "company_id,name\nc1,Acme\nc2,Beta\n")
	ids := func(in string) (string, []string) {
		out := filepath.Join(t.TempDir(), "out")
		if code, _, stderr := gi(t, "run", "--companies", in, "--out", out, "-q"); code != 0 {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		var r struct {
			DefaultTimestamp string `json:"default_timestamp"`
		}
		data, _ := os.ReadFile(filepath.Join(out, "report.json"))
		json.Unmarshal(data, &r)
		var got []string
		for _, l := range readLines(t, filepath.Join(out, "payloads-00001.ndjson")) {
			got = append(got, decodeLine(t, l)["messageId"].(string))
		}
		return r.DefaultTimestamp, got
	}
	ts1, a := ids(co)
	time.Sleep(5 * time.Millisecond)
	ts2, b := ids(co)
	if ts1 == ts2 {
		t.Fatalf("both runs started at %s", ts1)
	}
	if !reflect.DeepEqual(a, b) || len(a) != 2 || a[0] == a[1] {
		t.Errorf("messageIds of two runs: %v, %v", a, b)
	}
	// with a timestamp column the ids follow its values
	one := write(t, dir, "one.csv", "company_id,name,updated_at\nc1,Acme,2024-01-01\n")
	two := write(t, dir, "two.csv", "company_id,name,updated_at\nc1,Acme,2024-01-02\n")
	if _, a := ids(one); !reflect.DeepEqual(a, func() []string { _, b := ids(one); return b }()) {
		t.Errorf("same timestamp column, other ids")
	} else if _, c := ids(two); reflect.DeepEqual(a, c) {
		t.Errorf("another timestamp, same ids %v", a)
	}
}

// A membership whose objectTypeId differs from the companies input's for
// its groupId is warned in report.json, and in the review's findings.
func TestObjectTypeMismatchThroughTheCLI(t *testing.T) {
	dir := t.TempDir()
	co := write(t, dir, "companies.csv", "company_id,object_type_id,name\nc-1,1,Acme\n")
	mem := write(t, dir, "memberships.csv", "company_id,user_id,object_type_id\nc-1,u1,1\nc-1,u2,2\nc-9,u3,3\n")
	out := filepath.Join(dir, "out")
	code, _, stderr := gi(t, "run", "--companies", co, "--memberships", mem, "--out", out, "--review", "-q", "--timestamp", "2024-06-01T00:00:00Z")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	const msg = `memberships: objectTypeId differs from the companies input's for the same groupId (e.g. groupId "c-1": objectTypeId 2 here, 1 in companies): such a membership relates the person to another object of that id, one the companies input does not fill`
	if w := reportWarnings(t, filepath.Join(out, "report.json")); !reflect.DeepEqual(w, map[string]int64{msg: 1}) {
		t.Errorf("warnings %v", w)
	}
	review, err := os.ReadFile(filepath.Join(out, "review.md"))
	if err != nil || !bytes.Contains(review, []byte(msg)) {
		t.Errorf("review.md lacks the warning (%v)", err)
	}
}
