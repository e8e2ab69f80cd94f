package runner

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strings"

	"github.com/groupimport/groupimport/importer"
	"github.com/groupimport/groupimport/internal/atomicfile"
	"github.com/groupimport/groupimport/transform"
)

// InitOptions configure init.
type InitOptions struct {
	Companies, Memberships, Paths []string
	Output                        string // "" or "-" for standard output
	Force                         bool
	Format, Encoding, Delim       string
	Stdout                        io.Writer
}

// Init writes a starter mapping for a person to edit: the mapping a run
// would infer, in full, and where no column name gives an identifier, the
// column its values suggest, with the reason. Each file is read whole.
func Init(o InitOptions) (int, error) {
	err := initMappingFile(o)
	return ExitCode(err), err
}

func initMappingFile(o InitOptions) error {
	if o.Stdout == nil {
		o.Stdout = os.Stdout
	}
	streams := importer.NewStreams("")
	defer streams.Close()
	ro, err := reading{Format: o.Format, Encoding: o.Encoding, Delimiter: o.Delim}.options(nil, streams)
	if err != nil {
		return err
	}
	in := &initRun{ro: ro, profiles: map[string]*profile{}}
	byKind, err := in.kinds(o)
	if err != nil {
		return err
	}
	m := &transform.Mapping{}
	for _, kind := range []transform.Kind{transform.Companies, transform.Memberships} {
		if len(byKind[kind]) == 0 {
			continue
		}
		full, err := in.mapping(kind, byKind[kind])
		if err != nil {
			return err
		}
		if kind == transform.Companies {
			m.Companies = full
		} else {
			m.Memberships = full
		}
	}
	return writeMapping(o, m.String())
}

// initRun is one init: how it reads, and the profiles of the files read.
type initRun struct {
	ro       importer.Options
	profiles map[string]*profile
}

// profile reads a file whole, once.
func (in *initRun) profile(path string) (*profile, error) {
	if p := in.profiles[path]; p != nil {
		return p, nil
	}
	p, err := profileFile(path, in.ro)
	if err == nil && p.err != nil {
		err = p.err
	}
	if err != nil {
		return nil, err
	}
	in.profiles[path] = p
	return p, nil
}

// kinds sorts init's inputs by kind: --companies, --memberships, and each
// loose path by what its first file looks like (guessKind).
func (in *initRun) kinds(o InitOptions) (map[transform.Kind][]string, error) {
	byKind := map[transform.Kind][]string{transform.Companies: o.Companies, transform.Memberships: o.Memberships}
	for _, path := range o.Paths {
		files, err := importer.Expand([]string{path})
		if err != nil {
			return nil, &UsageError{Msg: err.Error()}
		}
		p, err := in.profile(files[0])
		if err != nil {
			return nil, err
		}
		k := guessKind(p).kind
		byKind[k] = append(byKind[k], path)
	}
	if len(byKind[transform.Companies])+len(byKind[transform.Memberships]) == 0 {
		return nil, usagef("init needs input files: groupimport init companies.csv [memberships.csv]")
	}
	return byKind, nil
}

// mapping writes out a kind's mapping, in full, from its first file.
func (in *initRun) mapping(kind transform.Kind, patterns []string) (*transform.KindMapping, error) {
	files, err := importer.Expand(patterns)
	if err != nil {
		return nil, &UsageError{Msg: err.Error()}
	}
	p, err := in.profile(files[0])
	if err != nil {
		return nil, err
	}
	sample := p.across.Rows()
	km, err := transform.Infer(kind, nil, p.cols, sample)
	if err != nil {
		km, err = transform.InferGuessing(kind, p.cols, sample, identifierGuesses(kind, p))
	}
	var open []string
	if err != nil {
		// no column can serve: the section says what to fill in
		km, open = &transform.KindMapping{Custom: transform.Custom{Mode: "rest"}, Inferred: true}, openIdentifiers(kind, p)
	}
	unfit := uncheckedTypes(km, p)
	full, err := transform.ForInit(kind, km, p.cols)
	if err != nil {
		return nil, err
	}
	notes := []string{fmt.Sprintf("inferred from %s (%s rows, read whole) by groupimport init; edit freely", files[0], thousands(p.rows))}
	notes = append(notes, open...)
	notes = append(notes, full.Notes...)
	notes = append(notes, nameFromObjectColumn(kind, full, p)...)
	full.Notes = append(notes, unfit...)
	if n := unlisted(kind, full, p.cols); n != "" {
		full.Notes = append(full.Notes, n)
	}
	if n := otherShapes(kind, full, files, in.ro); n != "" {
		full.Notes = append(full.Notes, n)
	}
	return full, nil
}

// otherShapes names the files of a kind that the mapping made from the
// first does not fit (they lack a column it names; an NDJSON file, in its
// first lines): a run with the mapping stops at them.
func otherShapes(kind transform.Kind, km *transform.KindMapping, files []string, ro importer.Options) string {
	t, err := transform.New(transform.Config{Kind: kind, Mapping: km})
	if err != nil {
		return ""
	}
	var other []string
	for _, f := range files[1:] {
		s := probeFile(f, ro)
		if s.err == nil && s.shaped() && t.Check(s.cols) != nil {
			other = append(other, f)
		}
	}
	if len(other) == 0 {
		return ""
	}
	verb := "lacks a column it names"
	if len(other) > 1 {
		verb = "lack a column it names"
	}
	return fmt.Sprintf("made from the columns of %s; %s %s: a run with this mapping stops there (without a mapping, each file is mapped by its own columns)",
		files[0], fileList(other), verb)
}

// identifierGuesses chooses, from the values, the identifiers no column
// name gives.
func identifierGuesses(kind transform.Kind, p *profile) []transform.Guess {
	if kind == transform.Memberships {
		return membershipGuesses(p, guessKind(p))
	}
	taken := map[string]bool{}
	for _, c := range transform.NamedIdentifiers(kind, p.cols) {
		taken[c] = true
	}
	if g, ok := groupIDGuess(p, taken); ok {
		return []transform.Guess{g}
	}
	return nil
}

// openIdentifiers says which identifiers a person must name, and why no
// column could serve.
func openIdentifiers(kind transform.Kind, p *profile) []string {
	named := transform.NamedIdentifiers(kind, p.cols)
	var out []string
	switch {
	case named["groupId"] != "":
	case kind == transform.Memberships:
		out = append(out, "groupId: name the column of the object's id (groupId: COLUMN): no column is named like one (company_id, account_id, company, account, organization, group, …)")
	default:
		out = append(out, "groupId: name the column of the object's id (groupId: COLUMN): no column is named like one, and none has a value in every row, all different")
	}
	if kind == transform.Memberships && named["userId"] == "" && named["anonymousId"] == "" {
		out = append(out, "userId: name the column of the person's id (userId: COLUMN): no column is named like one (user_id, email, …)")
	}
	return out
}

// nameFromObjectColumn makes the column that names the objects of a
// companies file (company, account: text named for the object, not its id)
// the trait name, when no column is named like a name.
func nameFromObjectColumn(kind transform.Kind, km *transform.KindMapping, p *profile) []string {
	if kind != transform.Companies {
		return nil
	}
	for _, nf := range km.Traits {
		if nf.Name == "name" {
			return nil
		}
	}
	for i := range km.Traits {
		nf := &km.Traits[i]
		st := p.stats[nf.Field.Column]
		if _, object := nameRole(nf.Field.Column); !object || nf.Name != nf.Field.Column || st == nil || st.ints == st.filled {
			continue
		}
		nf.Name = "name"
		return []string{fmt.Sprintf("name ← column %q: no column is named like a name (name, company_name, …), and its name says it names the object", nf.Field.Column)}
	}
	return nil
}

// uncheckedTypes leaves as read each type inferred from the sampled rows
// that a value of the whole file does not fit (the sample did not hold
// it): written into the mapping, the type would reject that row.
func uncheckedTypes(km *transform.KindMapping, p *profile) []string {
	types := km.InferredTypes()
	cols := make([]string, 0, len(types))
	for c := range types {
		cols = append(cols, c)
	}
	sort.Strings(cols)
	var unfit []string
	for _, c := range cols {
		st := p.stats[c]
		if st == nil || st.fitsText(types[c]) {
			continue
		}
		km.ForgetInferredType(c)
		unfit = append(unfit, fmt.Sprintf("%s (%s of %s values are not %s)", c, thousands(st.texts-fitting(st, types[c])), thousands(st.texts), article(types[c])))
	}
	if len(unfit) == 0 {
		return nil
	}
	return []string{"left as read, though the sampled values looked typed: " + strings.Join(unfit, ", ")}
}

func fitting(st *colProfile, typ string) int64 {
	n := st.textType[typ]
	if typ == transform.TypeFloat {
		n += st.textType[transform.TypeInteger]
	}
	return n
}

func article(typ string) string {
	if typ == transform.TypeInteger {
		return "an integer"
	}
	return "a " + typ
}

// unlisted names the columns the mapping sends nothing from (used by no
// field, and not dropped), so that every column of the file is in it.
func unlisted(kind transform.Kind, km *transform.KindMapping, cols []string) string {
	uses, err := transform.ColumnUses(kind, km, cols)
	if err != nil {
		return ""
	}
	var out []string
	for _, u := range uses {
		if u.Output == "" && !contains(km.Drop, u.Column) {
			out = append(out, u.Column)
		}
	}
	if len(out) == 0 {
		return ""
	}
	return "columns sent nowhere (map them above, or list them in drop:): " + strings.Join(out, ", ")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// writeMapping writes the mapping's text to --output or standard output.
// The file is written whole or not at all (a temporary file renamed into
// place), and without --force never over an existing file, not even one
// created while init ran.
func writeMapping(o InitOptions, text string) error {
	if o.Output == "" || o.Output == "-" {
		_, err := io.WriteString(o.Stdout, text)
		return err
	}
	exists := func() error { return usagef("%s exists; pass --force to replace it", o.Output) }
	if o.Force {
		return atomicfile.WriteFile(o.Output, []byte(text))
	}
	if _, err := os.Lstat(o.Output); err == nil {
		return exists()
	}
	f, err := atomicfile.Create(o.Output)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := io.WriteString(f, text); err != nil {
		return err
	}
	if err := f.CommitNew(); errors.Is(err, fs.ErrExist) {
		return exists()
	} else if err != nil {
		return err
	}
	return nil
}
