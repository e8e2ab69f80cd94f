package runner

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode"

	"github.com/groupimport/groupimport/record"
	"github.com/groupimport/groupimport/transform"
)

// Words in column names that say what the column names, for files whose
// columns are not named like identifiers (email, company).
var (
	personWords = []string{"email", "mail", "user", "username", "person", "people", "contact", "member", "customer", "login", "subscriber", "student", "learner"}
	objectWords = []string{"company", "account", "organization", "organisation", "org", "group", "team", "workspace", "tenant", "school",
		"course", "object", "business", "firm", "project"}
	// idWords say a column holds keys
	idWords = []string{"id", "key", "code", "uuid", "guid", "slug", "domain", "website", "url", "handle", "ref", "number", "no", "sku", "ticker", "symbol"}
	// describing words say a column describes an object rather than names it
	describingWords = []string{"name", "title", "description", "desc", "label", "type", "count", "size", "role", "status"}
)

// nameWords splits a column name into lower-case words: at anything but
// letters and digits, and where a lower-case letter meets an upper-case
// one (userEmail: user, email).
func nameWords(name string) []string {
	var words []string
	var cur []rune
	prevLower := false
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	for _, r := range name {
		switch {
		case unicode.IsUpper(r) && prevLower:
			flush()
			cur = append(cur, r)
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			cur = append(cur, r)
		default:
			flush()
		}
		prevLower = unicode.IsLower(r)
	}
	flush()
	return words
}

func hasWord(words, list []string) bool {
	for _, w := range words {
		if slices.Contains(list, w) {
			return true
		}
	}
	return false
}

// nameRole says whether a column's name says it names a person or an
// object (a column that describes one, company_name, names neither).
func nameRole(column string) (person, object bool) {
	w := nameWords(column)
	if hasWord(w, describingWords) {
		return false, false
	}
	return hasWord(w, personWords), hasWord(w, objectWords)
}

// kindGuess is the kind a file looks like, why, and the columns that name
// the object and the person in it ("" when none does).
type kindGuess struct {
	kind           transform.Kind
	why            string
	object, person string
	byName         bool // both are named like identifiers (company_id, user_id)
}

// guessKind says whether a file looks like memberships — a column naming
// a person and one naming an object, with many rows per object — or
// companies, and why.
func guessKind(p *profile) kindGuess {
	named := transform.NamedIdentifiers(transform.Memberships, p.cols)
	g := kindGuess{kind: transform.Companies, object: named["groupId"], person: named["userId"]}
	if g.person == "" {
		g.person = named["anonymousId"]
	}
	g.byName = g.object != "" && g.person != ""
	if g.person == "" {
		g.person = firstColumn(p.cols, func(c string) bool { person, _ := nameRole(c); return person && c != g.object })
	}
	if g.object == "" {
		g.object = firstColumn(p.cols, func(c string) bool { _, object := nameRole(c); return object && c != g.person })
	}
	switch {
	case g.person == "":
		g.why = "no column names a person (user_id, anonymous_id, email, user, person, contact, member, …)"
		return g
	case g.object == "":
		g.why = fmt.Sprintf("%q names a person, but no column names an object (company_id, account_id, company, account, organization, group, team, …)", g.person)
		return g
	}
	d := &p.stats[g.object].counted
	per := d.rowsPer()
	repeats := fmt.Sprintf("%s for %s", counted(d.offered, "row"), counted(int64(len(d.seen)), "object"))
	if d.full {
		repeats = fmt.Sprintf("%s for the first %s", counted(d.offered, "row"), counted(int64(len(d.seen)), "object"))
	}
	switch {
	case g.byName:
		g.kind = transform.Memberships
		g.why = fmt.Sprintf("%q is named like a person id and %q like an object id (%s)", g.person, g.object, repeats)
	case per >= 1.5:
		g.kind = transform.Memberships
		g.why = fmt.Sprintf("%q names a person and %q an object, with many rows per object (%s: %.1f per object)", g.person, g.object, repeats, per)
	default:
		g.why = fmt.Sprintf("%q names a person and %q an object, but with about one row per object (%s), as in an export of objects", g.person, g.object, repeats)
	}
	return g
}

func firstColumn(cols []string, ok func(string) bool) string {
	for _, c := range cols {
		if ok(c) {
			return c
		}
	}
	return ""
}

// idCandidate is a column that could serve as an object's id.
type idCandidate struct {
	column string
	hint   bool    // its name says it holds keys or names an object
	number bool    // its values are whole numbers (ranks, counts and measures are too)
	spaced bool    // some values have spaces inside (names do, keys seldom)
	avg    float64 // the average length of its values
	max    int
}

// idCandidates lists the columns whose every value is filled and different
// (among the first distinctCap), at most 150 bytes (Customer.io's limit of
// an id) and not a date, a decimal or a boolean, best first: named like a
// key or an object, text before numbers, without spaces before with, short
// before long. taken columns are left out.
func idCandidates(p *profile, taken map[string]bool) []idCandidate {
	var out []idCandidate
	for _, c := range p.cols {
		st := p.stats[c]
		if taken[c] || !uniqueColumn(p, st) || st.maxLen > 150 || st.decs+st.dates+st.bools > 0 {
			continue
		}
		switch transform.TraitOf(c) {
		case "createdAt", "employees", "phone", "plan", "industry", "description", "avatar":
			continue
		}
		if strings.HasPrefix(transform.TraitOf(c), "address") {
			continue
		}
		w := nameWords(c)
		_, object := nameRole(c)
		out = append(out, idCandidate{column: c, hint: hasWord(w, idWords) || object, number: st.ints == st.filled,
			spaced: st.spaced > 0, avg: float64(st.lenSum) / float64(st.filled), max: st.maxLen})
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		switch {
		case a.hint != b.hint:
			return a.hint
		case a.number != b.number:
			return !a.number
		case a.spaced != b.spaced:
			return !a.spaced
		}
		return a.avg < b.avg
	})
	return out
}

// uniqueColumn says whether every row that could be read has a value in
// the column, all different.
func uniqueColumn(p *profile, st *colProfile) bool {
	d := &st.counted
	return p.good() > 0 && st.filled == p.good() && d.dups == 0 && !d.off && st.kinds[record.JSON] == 0
}

// groupIDGuess chooses a companies file's groupId when no column name
// gives one: the best of idCandidates, with why, and which others could
// serve. ok is false when no column is filled and different in every row.
func groupIDGuess(p *profile, taken map[string]bool) (transform.Guess, bool) {
	cands := idCandidates(p, taken)
	if len(cands) == 0 {
		return transform.Guess{}, false
	}
	best := cands[0]
	var b strings.Builder
	fmt.Fprintf(&b, "no column is named like an id (company_id, account_id, id, …); chosen from the values: each of the %s rows has one, all different", thousands(p.good()))
	if best.spaced {
		fmt.Fprintf(&b, ", up to %d characters", best.max)
	} else {
		fmt.Fprintf(&b, ", up to %d characters without spaces", best.max)
	}
	if best.hint {
		b.WriteString(", and the name says it holds keys")
	}
	if best.number {
		b.WriteString("; whole numbers, which ranks and measures are too: check it names the object")
	}
	if len(cands) > 1 {
		var others []string
		for _, c := range cands[1:min(len(cands), 6)] {
			others = append(others, c.column)
		}
		fmt.Fprintf(&b, "; others that could serve: %s", strings.Join(others, ", "))
	}
	b.WriteString(". Keep a column whose value never changes for an object: it is the object's id in Customer.io")
	return transform.Guess{Field: "groupId", Column: best.column, Why: b.String()}, true
}

// membershipGuesses chooses a memberships file's groupId and userId from
// what the names of its columns say when they are not named like
// identifiers (email, company).
func membershipGuesses(p *profile, g kindGuess) []transform.Guess {
	var out []transform.Guess
	if g.object != "" {
		d := &p.stats[g.object].counted
		out = append(out, transform.Guess{Field: "groupId", Column: g.object, Why: fmt.Sprintf(
			"no column is named like an object id (company_id, account_id, …); its name says it names an object, and its values repeat (%.1f rows per object): it must hold the object's id in Customer.io (the groupId of the companies input)",
			d.rowsPer())})
	}
	if g.person != "" {
		why := "no column is named like a person id (user_id, customer_id, …); its name says it names a person"
		if hasWord(nameWords(g.person), []string{"email", "mail"}) {
			why += ": people identified by their email address, as a workspace that identifies people by email does; if yours uses another id, map the column that holds it"
		}
		out = append(out, transform.Guess{Field: "userId", Column: g.person, Why: why})
	}
	return out
}

// thousands writes n with thousands separators (1,234,567).
func thousands(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// counted writes n and a word, plural unless n is 1 (3 rows, 1 object).
func counted(n int64, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return thousands(n) + " " + word + "s"
}
