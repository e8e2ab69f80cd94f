package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/groupimport/groupimport/runner"
	"github.com/groupimport/groupimport/transform"
)

// Issue 14: init writes a starter mapping whatever the column names, and
// inspect says what a run would do.

// A Fortune-1000-like export: no column is named like an id.
const fortuneCSV = `company,rank,revenue,profits,employees,sector,city,state,website,ceo
Walmart,1,514405,6670,2200000,Retailing,Bentonville,AR,www.walmart.com,C. Douglas McMillon
Exxon Mobil,2,290212,20840,71000,Energy,Irving,TX,www.exxonmobil.com,Darren W. Woods
Apple,3,265595,59531,132000,Technology,Cupertino,CA,www.apple.com,Timothy D. Cook
Berkshire Hathaway,4,247837,4021,389000,Financials,Omaha,NE,www.berkshirehathaway.com,Warren E. Buffett
Amazon.com,5,232887,10073,647500,Retailing,Seattle,WA,www.amazon.com,Jeffrey P. Bezos
UnitedHealth Group,6,226247,11986,300000,Health Care,Minnetonka,MN,www.unitedhealthgroup.com,David S. Wichmann
McKesson,7,208357,34,70000,Health Care,San Francisco,CA,www.mckesson.com,John H. Hammergren
CVS Health,8,194579,-594,295000,Health Care,Woonsocket,RI,www.cvshealth.com,Larry J. Merlo
`

// Memberships keyed by email: person and object not named like ids, many
// rows per object.
const membersCSV = `email,company,role,joined
ann@acme.example,Acme,admin,2021-01-04
bob@acme.example,Acme,member,2021-03-15
cy@acme.example,Acme,member,2022-07-01
dee@globex.example,Globex,owner,2019-11-30
ed@globex.example,Globex,member,2020-02-02
ann@acme.example,Globex,advisor,2023-05-05
fay@initech.example,Initech,owner,2018-08-08
gus@initech.example,Initech,member,2024-01-09
`

// initRead runs init on args into a fresh file, checks exit 0, and returns
// the text, parsed back as a mapping.
func initRead(t *testing.T, args ...string) (string, string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "mapping.yaml")
	code, stdout, stderr := gi(t, append([]string{"init", "-o", out}, args...)...)
	if code != runner.ExitOK {
		t.Fatalf("init: exit %d, want 0\n%s%s", code, stdout, stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := transform.ParseMapping(data, out); err != nil {
		t.Fatalf("the mapping init wrote does not parse: %v\n%s", err, data)
	}
	entries, _ := os.ReadDir(filepath.Dir(out))
	if len(entries) != 1 {
		t.Errorf("init left %d files (a temporary file?): %v", len(entries), entries)
	}
	return out, string(data)
}

func TestInitWithoutIDNames(t *testing.T) {
	dir := t.TempDir()
	fortune := write(t, dir, "fortune.csv", fortuneCSV)
	// a run cannot infer a mapping: a usage error that points to init
	code, _, stderr := gi(t, "run", "--companies", fortune, "--out", filepath.Join(dir, "x"))
	if code != runner.ExitUsage || !strings.Contains(stderr, "which groupimport init writes to start from") {
		t.Fatalf("run without a mapping: exit %d\n%s", code, stderr)
	}
	path, text := initRead(t, fortune)
	for _, want := range []string{
		"  # groupId ← column \"website\": no column is named like an id (company_id, account_id, id, …); chosen from the values: " +
			"each of the 8 rows has one, all different, up to 25 characters without spaces, and the name says it holds keys; " +
			"others that could serve: company, ceo, rank, profits, revenue. Keep a column whose value never changes for an object: it is the object's id in Customer.io\n",
		"  # name ← column \"company\": no column is named like a name (name, company_name, …), and its name says it names the object\n",
		"  groupId: website\n",
		"    name: company\n",
		"    rank: {column: rank, type: integer}\n",
		"    revenue: {column: revenue, type: integer}\n",
		"    profits: {column: profits, type: integer}\n",
		"    employees: employees\n",
		"    sector: sector\n",
		"    address.city: city\n",
		"    address.state: state\n",
		"    ceo: ceo\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the mapping lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "memberships:") || strings.Contains(text, "sent nowhere") {
		t.Errorf("unexpected section or unlisted columns:\n%s", text)
	}
	payloads, _, _ := runOut(t, runner.ExitOK, "--mapping", path, "--companies", fortune, "--timestamp", "2024-06-01T00:00:00Z")
	if len(payloads) != 8 {
		t.Fatalf("%d payloads", len(payloads))
	}
	want := `{"type":"group","groupId":"www.cvshealth.com","traits":{"objectTypeId":1,"name":"CVS Health","rank":8,"revenue":194579,"profits":-594,` +
		`"employees":295000,"sector":"Health Care","address":{"city":"Woonsocket","state":"RI"},"ceo":"Larry J. Merlo"},"timestamp":"2024-06-01T00:00:00.000Z"`
	if !strings.HasPrefix(payloads[7], want) {
		t.Errorf("payload\n got %s\nwant %s…", payloads[7], want)
	}
}

func TestInitMembershipsKeyedByEmail(t *testing.T) {
	dir := t.TempDir()
	members := write(t, dir, "members.csv", membersCSV)
	// a loose path: init tells the kind from the file
	path, text := initRead(t, members)
	for _, want := range []string{
		"memberships:\n",
		"  # groupId ← column \"company\": no column is named like an object id (company_id, account_id, …); its name says it names an object, and its values repeat (2.7 rows per object)",
		"  # userId ← column \"email\": no column is named like a person id (user_id, customer_id, …); its name says it names a person: people identified by their email address",
		"  groupId: company\n  userId: email\n",
		"  relationshipAttributes:\n    role: role\n    joined: joined\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the mapping lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "companies:") {
		t.Errorf("a companies section for a memberships file:\n%s", text)
	}
	payloads, _, _ := runOut(t, runner.ExitOK, "--mapping", path, "--memberships", members, "--timestamp", "2024-06-01T00:00:00Z")
	want := []string{
		`{"type":"group","groupId":"Acme","userId":"ann@acme.example","traits":{"objectTypeId":1,"relationshipAttributes":{"role":"admin","joined":"2021-01-04"}}`,
		`{"type":"group","groupId":"Globex","userId":"ann@acme.example","traits":{"objectTypeId":1,"relationshipAttributes":{"role":"advisor","joined":"2023-05-05"}}`,
	}
	if len(payloads) != 8 || !strings.HasPrefix(payloads[0], want[0]) || !strings.HasPrefix(payloads[5], want[1]) {
		t.Errorf("%d payloads:\n%s", len(payloads), strings.Join(payloads, "\n"))
	}
	// with --force the file is replaced, whole
	if code, _, stderr := gi(t, "init", "--force", "-o", path, members); code != runner.ExitOK {
		t.Errorf("init --force: exit %d\n%s", code, stderr)
	}
}

// A file with no column that could serve still gets a mapping, which says
// what to fill in; a run with it says groupId is missing (exit 2).
func TestInitNothingCouldServe(t *testing.T) {
	dir := t.TempDir()
	f := write(t, dir, "colors.csv", "color,size\nred,1\nred,2\nblue,2\n")
	path, text := initRead(t, f)
	want := "  # groupId: name the column of the object's id (groupId: COLUMN): no column is named like one, and none has a value in every row, all different\n"
	if !strings.Contains(text, want) || !strings.Contains(text, "    color: color\n    size: size\n") {
		t.Errorf("mapping:\n%s", text)
	}
	code, _, stderr := gi(t, "run", "--mapping", path, "--companies", f, "--out", filepath.Join(dir, "out"))
	if code != runner.ExitUsage || !strings.Contains(stderr, "no column for groupId") {
		t.Errorf("run: exit %d\n%s", code, stderr)
	}
}

// inspect: the types a run writes (not "string" for every CSV column),
// examples and rows from across the file, the kind and why, and what a run
// would do with every row.
func TestInspectAcrossTheFile(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("company_id,seats,score,active,batch\n")
	for i := range 3000 {
		batch := "early"
		if i >= 1500 {
			batch = "late"
		}
		seats := fmt.Sprint(i % 50)
		if i == 2999 {
			seats = "many" // after the first 1,000 rows a run infers from
		}
		fmt.Fprintf(&b, "c%d,%s,%d.5,%v,%s\n", i, seats, i, i%2 == 0, batch)
	}
	f := write(t, dir, "big.csv", b.String())
	code, stdout, stderr := gi(t, "inspect", f)
	if code != runner.ExitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, want := range []string{
		"  rows:         3000\n",
		"  kind:         companies: no column names a person (user_id, anonymous_id, email, user, person, contact, member, …)\n",
		"seats",
		"integer (inferred) → traits.seats",
		"float (inferred) → traits.score",
		"boolean (inferred) → traits.active",
		"string → groupId",
		"  a run with this mapping: 3000 rows: 3000 calls, 0 rejected\n",
		"    warning: column \"seats\": not every value is an integer; those are sent as read (1)\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("inspect lacks %q:\n%s", want, stdout)
		}
	}
	var batchLine string
	for _, line := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "batch ") {
			batchLine = line
		}
	}
	if !strings.Contains(batchLine, `e.g. "early", "late"`) {
		t.Errorf("examples of batch are not from across the file: %q", batchLine)
	}
	if !strings.Contains(stdout, "sample rows (across the file):") || !strings.Contains(stdout, ",late\n") {
		t.Errorf("sample rows are not from across the file:\n%s", stdout)
	}
	// init types from rows sampled across the file, but writes no type
	// that a value of the file does not fit (it would reject that row)
	_, text := initRead(t, f)
	for _, want := range []string{
		"  # left as read, though the sampled values looked typed: seats (1 of 3,000 values are not an integer)\n",
		"    seats: seats\n", "    score: {column: score, type: float}\n", "    active: {column: active, type: boolean}\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the mapping lacks %q:\n%s", want, text)
		}
	}
}

func TestInspectKindEncodingDecimal(t *testing.T) {
	dir := t.TempDir()
	members := write(t, dir, "members.csv", membersCSV)
	latin := write(t, dir, "latin1.csv", "company_id,name,revenue\nc1,Caf\xe9 M\xfcller,\"1.234,50\"\nc2,Acme,\"99,95\"\n")
	code, stdout, _ := gi(t, "inspect", members, latin)
	if code != runner.ExitFailure {
		t.Errorf("exit %d, want 1 (a file that is not UTF-8)", code)
	}
	for _, want := range []string{
		"  kind:         memberships: \"email\" names a person and \"company\" an object, with many rows per object (8 rows for 3 objects: 2.7 per object)\n",
		"string → userId",
		"string → groupId",
		"  mapping:      a run infers none (exit 2): memberships: no column for groupId",
		"  a run with the starter mapping: 8 rows: 8 calls, 0 rejected\n",
		"  encoding:     read below with --encoding windows-1252, the encoding it looks like\n",
		`"Café Müller"`,
		"    --encoding windows-1252: the file is not UTF-8; its bytes that are not UTF-8 stand alone between plain letters",
		"    decimal: \",\" and thousands: \".\" in the companies section of a mapping: column \"revenue\" holds numbers written with a decimal comma (e.g. \"1.234,50\")",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("inspect lacks %q:\n%s", want, stdout)
		}
	}
	// a file that is UTF-8 but for a row: the row's bytes say which encoding
	mixed := write(t, dir, "mixed.csv", "company_id,name\nc1,Zo\xc3\xab\nc2,Caf\xe9\n")
	code, stdout, _ = gi(t, "inspect", "--encoding", "utf-8", mixed)
	if code != runner.ExitOK || !strings.Contains(stdout, "    --encoding windows-1252: a row is not UTF-8 (line 3: c2,Caf\ufffd);") {
		t.Errorf("exit %d:\n%s", code, stdout)
	}
}
