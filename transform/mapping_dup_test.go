package transform

import (
	"strings"
	"testing"
)

// A key or a section given twice is a mistake the YAML library would
// resolve silently (the last wins: groupId switches column): it is a
// mapping error naming both lines.
func TestMappingDuplicateKeys(t *testing.T) {
	for _, c := range []struct{ name, yaml, want string }{
		{"key twice", "companies:\n  groupId: a\n  traits:\n    name: b\n  groupId: c\n",
			`line 5: "groupId" is given twice in companies (lines 2 and 5)`},
		{"key under two spellings", "companies:\n  groupId: a\n  group_id: c\n",
			`line 3: "group_id" is given twice in companies (lines 2 and 3; group_id is another spelling of groupId)`},
		{"section twice", "companies:\n  groupId: a\nmemberships:\n  userId: u\ncompanies:\n  groupId: c\n",
			`line 5: section "companies" is given twice (lines 1 and 5)`},
		{"section under two names", "companies:\n  groupId: a\nobjects:\n  groupId: c\n",
			`line 3: section "objects" is given twice (lines 1 and 3; objects is another name of companies)`},
		{"trait twice", "companies:\n  groupId: a\n  traits:\n    name: b\n    plan: p\n    name: c\n",
			`line 6: trait "name" is given twice (lines 4 and 6)`},
		{"field option twice", "companies:\n  groupId: {column: a, column: b}\n",
			`line 2: "column" is given twice (lines 2 and 2)`},
		{"event twice", "companies:\n  groupId: a\n  events:\n    objectDeleted: X\n    objectDeleted: Y\n",
			`line 5: "objectDeleted" is given twice in events (lines 4 and 5)`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseMapping([]byte(c.yaml), "")
			var ce *ConfigError
			if err == nil || !errorsAs(err, &ce) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want a ConfigError with %q", err, c.want)
			}
		})
	}
}

// YAML syntax errors name the bad line (the library names the line where
// the enclosing block starts, often the line before).
func TestMappingYAMLErrorLine(t *testing.T) {
	for _, c := range []struct {
		yaml string
		line int
	}{
		{"companies:\n  groupId: a\n\tobjectTypeId: 1\n", 3},
		{"companies:\n  groupId: a\n  - b\n", 3},
		{"companies:\n  groupId: a\n  traits:\n    name: b\n    plan c\n    x: 1\n", 5},
		{"companies:\n  groupId: a\n  traits: [\n", 3},
		{"companies:\n  groupId: a\n   objectTypeId: 1\n", 3},
		{"companies:\n  groupId: a\n  traits:\n    name: \"b\n", 4},
	} {
		_, err := ParseMapping([]byte(c.yaml), "")
		var ce *ConfigError
		if err == nil || !errorsAs(err, &ce) || ce.Line != c.line {
			t.Errorf("%q: err = %v, want line %d", c.yaml, err, c.line)
		}
	}
}

// ParseMapping reads no file: the caller names the data, and errors give
// that name and the line, the YAML library's own errors included.
func TestParseMappingNamesTheFile(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"companies:\n  groupId: a\n  groupid: b\n", `mapping conf/m.yaml:3: unknown key "groupid"`},
		{"companies:\n  groupId: a\n  traits: [\n", "mapping conf/m.yaml:3: "},
		{"- a\n", "mapping conf/m.yaml:1: expected a mapping with companies: and/or memberships:"},
	} {
		_, err := ParseMapping([]byte(c.yaml), "conf/m.yaml")
		var ce *ConfigError
		if err == nil || !errorsAs(err, &ce) || ce.File != "conf/m.yaml" || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%q: err = %v, want a ConfigError starting %q", c.yaml, err, c.want)
		}
	}
	if m, err := ParseMapping([]byte("companies:\n  groupId: a\n"), "m.yaml"); err != nil || m.Companies == nil {
		t.Fatalf("a good mapping: %v, %v", m, err)
	}
}
