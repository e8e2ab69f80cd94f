package runner

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/groupimport/groupimport/importer"
	"github.com/groupimport/groupimport/transform"
)

func TestNameWordsAndRoles(t *testing.T) {
	for name, want := range map[string]string{
		"userEmail": "user email", "company_id": "company id", "Contact-Person": "contact person", "employees": "employees", "HQ City": "hq city",
	} {
		if got := strings.Join(nameWords(name), " "); got != want {
			t.Errorf("nameWords(%q) = %q, want %q", name, got, want)
		}
	}
	for name, want := range map[string][2]bool{
		"email": {true, false}, "contact_email": {true, false}, "company": {false, true}, "account_id": {false, true},
		"company_name": {false, false}, "employees": {false, false}, "users": {false, false}, "group_type": {false, false},
	} {
		p, o := nameRole(name)
		if [2]bool{p, o} != want {
			t.Errorf("nameRole(%q) = %v %v, want %v", name, p, o, want)
		}
	}
}

func profileOf(t *testing.T, text string) *profile {
	t.Helper()
	path := filepath.Join(t.TempDir(), "f.csv")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := profileFile(path, importer.Options{})
	if err != nil || p.err != nil {
		t.Fatal(err, p.err)
	}
	return p
}

// The kind a file looks like: names first, then rows per object.
func TestGuessKind(t *testing.T) {
	for _, tc := range []struct {
		text string
		want transform.Kind
		why  string
	}{
		{"company_id,user_id\nc1,u1\n", transform.Memberships, `"user_id" is named like a person id and "company_id" like an object id (1 row for 1 object)`},
		{"email,company\na@x,C1\nb@x,C1\nc@x,C2\nd@x,C2\n", transform.Memberships, `"email" names a person and "company" an object, with many rows per object (4 rows for 2 objects: 2.0 per object)`},
		{"company,contact_email\nC1,a@x\nC2,b@x\nC3,a@x\n", transform.Companies, `"contact_email" names a person and "company" an object, but with about one row per object (3 rows for 3 objects), as in an export of objects`},
		{"email,role\na@x,admin\n", transform.Companies, `"email" names a person, but no column names an object (company_id, account_id, company, account, organization, group, team, …)`},
		{"company,rank\nC1,1\n", transform.Companies, "no column names a person (user_id, anonymous_id, email, user, person, contact, member, …)"},
	} {
		g := guessKind(profileOf(t, tc.text))
		if g.kind != tc.want || g.why != tc.why {
			t.Errorf("%q: %s: %s\nwant %s: %s", tc.text, g.kind, g.why, tc.want, tc.why)
		}
	}
}

// Candidates for groupId: filled and different in every row, not dates,
// decimals or measures named as reserved traits; keys and object names
// first, text before numbers, no spaces before spaces, short before long.
func TestIDCandidates(t *testing.T) {
	p := profileOf(t, "name,code,rank,created_at,price,employees,tag,notes\n"+
		"Acme Corp,AC-1,1,2020-01-01,1.5,10,x,long text one\n"+
		"Globex Inc,GX-22,2,2020-01-02,2.5,20,x,long text two\n"+
		"Initech,IN-3,3,2020-01-03,3.5,30,y,\n")
	var got []string
	for _, c := range idCandidates(p, map[string]bool{}) {
		got = append(got, c.column)
	}
	if strings.Join(got, ",") != "code,name,rank" {
		t.Errorf("candidates %v, want code, name, rank", got)
	}
	if _, ok := groupIDGuess(profileOf(t, "a,b\nx,1\nx,2\n"), map[string]bool{"b": true}); ok {
		t.Error("a guess where no untaken column is unique")
	}
}
