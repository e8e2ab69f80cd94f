package transform

import (
	"slices"
	"testing"
)

// TestColumnsAMappingReads: Columns lists the input columns payloads read
// (identifiers, timestamp, deleted flag, traits, address parts, nested
// paths by their top-level column), every column but the dropped ones with
// custom: rest, and refuses what Check refuses.
func TestColumnsAMappingReads(t *testing.T) {
	cols := []string{"id", "name", "city", "meta", "updated", "gone", "x1", "x2", "secret"}
	cases := []struct {
		mapping string
		want    []string
	}{
		{"groupId: id\ntraits:\n  name: name\n  address.city: city\n  tier: meta.tier\n  source: {value: crm}\ntimestamp: updated\ndeleted: gone\ncustom: none",
			[]string{"id", "name", "city", "meta", "updated", "gone"}},
		{"groupId: id\ncustom: [x2]", []string{"id", "x2"}},
		{"groupId: id\ndrop: [secret, x1]", []string{"id", "name", "city", "meta", "updated", "gone", "x2"}},
	}
	for _, tc := range cases {
		tr := fixture{kind: Companies, mapping: tc.mapping, cols: cols}.transformer(t)
		got, err := tr.Columns(cols)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("mapping\n%s\ncolumns %v (%v), want %v", tc.mapping, got, err, tc.want)
		}
	}
	tr := fixture{kind: Companies, mapping: "groupId: id\ncustom: none", cols: cols}.transformer(t)
	if _, err := tr.Columns([]string{"name"}); err == nil {
		t.Error("a file without the groupId column: no error")
	}
}

func TestBinaryAsStringKey(t *testing.T) {
	m, err := ParseMapping([]byte("companies:\n  groupId: id\n  binary_as_string: true\nmemberships:\n  userId: u\n  groupId: g\n"), "mapping.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !m.Companies.BinaryAsString || m.Memberships.BinaryAsString {
		t.Errorf("binary_as_string: companies %v, memberships %v", m.Companies.BinaryAsString, m.Memberships.BinaryAsString)
	}
	back, err := ParseMapping([]byte(m.String()), "mapping.yaml")
	if err != nil || !back.Companies.BinaryAsString {
		t.Errorf("written and read back: %v %v", err, back)
	}
	for _, bad := range []string{"yes please", "1", "[true]"} {
		if _, err := ParseMapping([]byte("companies:\n  groupId: id\n  binary_as_string: "+bad+"\n"), "mapping.yaml"); err == nil {
			t.Errorf("binary_as_string: %s accepted", bad)
		}
	}
}
