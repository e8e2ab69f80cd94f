package transform

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/groupimport/groupimport/record"
)

// traitsOf builds rows with trait hashes on and returns each payload's
// Out (its TraitHashes copied).
func traitsOf(t *testing.T, tr *Transformer, on bool, cols []string, rows ...[]record.Value) []Out {
	t.Helper()
	b := tr.NewBuilder()
	b.TraitHashes = on
	var outs []Out
	for _, vals := range rows {
		_, out, rerr := b.Append(nil, &record.Row{Line: 2, Num: 1, Schema: record.NewSchema(cols), Values: vals})
		if rerr != nil {
			t.Fatal(rerr)
		}
		out.TraitHashes = bytes.Clone(out.TraitHashes)
		outs = append(outs, out)
	}
	return outs
}

// hashAt is the 2-byte value hash of trait i.
func hashAt(o Out, i int) []byte { return o.TraitHashes[2*i : 2*i+2] }

func TestTraitHashesCompanies(t *testing.T) {
	m, err := ParseMapping([]byte(`companies:
  groupId: id
  traits:
    name: name
    plan: plan
    address.city: city
    source: {value: crm}
  custom: none
`), "")
	if err != nil {
		t.Fatal(err)
	}
	cols := []string{"id", "name", "plan", "city"}
	row := func(plan, city string) []record.Value {
		return []record.Value{str("c-1"), str("Acme"), str(plan), str(city)}
	}
	tr, err := New(Config{Kind: Companies, Mapping: m.For(Companies), Timestamp: fixedTS, ContentHash: true})
	if err != nil {
		t.Fatal(err)
	}
	outs := traitsOf(t, tr, true, cols, row("pro", "Paris"), row("free", "Paris"), row("", "Paris"), row("pro", "Lyon"))
	a, b, c, d := outs[0], outs[1], outs[2], outs[3]
	names, ok := tr.TraitNames(a.Shape)
	if !ok || !reflect.DeepEqual(names, []string{"name", "plan", "address", "source"}) {
		t.Fatalf("names %v (%v)", names, ok)
	}
	if a.Shape == 0 || a.Shape != b.Shape || a.Shape != d.Shape || len(a.TraitHashes) != 2*len(names) {
		t.Fatalf("shapes %x %x %x, hashes %x", a.Shape, b.Shape, d.Shape, a.TraitHashes)
	}
	for i, differs := range []bool{false, true, false, false} { // b: plan
		if !bytes.Equal(hashAt(a, i), hashAt(b, i)) != differs {
			t.Errorf("trait %s: %x vs %x", names[i], hashAt(a, i), hashAt(b, i))
		}
	}
	if bytes.Equal(hashAt(a, 2), hashAt(d, 2)) || !bytes.Equal(hashAt(a, 1), hashAt(d, 1)) {
		t.Errorf("another city: %x vs %x", a.TraitHashes, d.TraitHashes)
	}
	if cn, _ := tr.TraitNames(c.Shape); c.Shape == a.Shape || !reflect.DeepEqual(cn, []string{"name", "address", "source"}) {
		t.Errorf("without a plan: shape %x, names %v", c.Shape, cn)
	}
	// off unless asked (the first pass of a run), and without ContentHash
	if off := traitsOf(t, tr, false, cols, row("pro", "Paris"))[0]; off.Shape != 0 || off.TraitHashes != nil || off.Hash != a.Hash {
		t.Errorf("trait hashes not asked for: %+v", off)
	}
	plain, _ := New(Config{Kind: Companies, Mapping: m.For(Companies), Timestamp: fixedTS})
	if o := traitsOf(t, plain, true, cols, row("pro", "Paris"))[0]; o.Shape != 0 {
		t.Errorf("trait hashes without ContentHash: %+v", o)
	}
}

// Memberships: the object's traits joined in, the relationship attributes
// mapped and those of a relationshipAttributes object, each a trait of its
// own.
func TestTraitHashesMemberships(t *testing.T) {
	m, err := ParseMapping([]byte(`memberships:
  groupId: company
  userId: user
  include_object_traits: true
  relationshipAttributes:
    role: role
`), "")
	if err != nil {
		t.Fatal(err)
	}
	cols := []string{"company", "user", "role", "relationshipAttributes"}
	joined := `,"name":"Acme","plan":"pro"`
	tr, err := New(Config{Kind: Memberships, Mapping: m.For(Memberships), Timestamp: fixedTS, ContentHash: true,
		ObjectTraits: func(dst []byte, _ [16]byte) ([]byte, bool) { return append(dst, joined...), true }})
	if err != nil {
		t.Fatal(err)
	}
	row := func(role, attrs string) []record.Value {
		return []record.Value{str("c-1"), str("u-1"), str(role), str(attrs)}
	}
	outs := traitsOf(t, tr, true, cols, row("admin", `{"seat":1}`), row("admin", `{"seat":2}`))
	joined = `,"name":"Acme Corp","plan":"pro"`
	outs = append(outs, traitsOf(t, tr, true, cols, row("admin", `{"seat":1}`))...)
	names, _ := tr.TraitNames(outs[0].Shape)
	want := []string{"name", "plan", "relationshipAttributes.role", "relationshipAttributes.seat"}
	if !reflect.DeepEqual(names, want) || outs[1].Shape != outs[0].Shape || outs[2].Shape != outs[0].Shape {
		t.Fatalf("names %v, shapes %x %x %x", names, outs[0].Shape, outs[1].Shape, outs[2].Shape)
	}
	for i := range want {
		seat, name := !bytes.Equal(hashAt(outs[0], i), hashAt(outs[1], i)), !bytes.Equal(hashAt(outs[0], i), hashAt(outs[2], i))
		if seat != (i == 3) || name != (i == 0) {
			t.Errorf("%s: differs with another seat %v, with another name %v", want[i], seat, name)
		}
	}
}
