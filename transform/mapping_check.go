package transform

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// keySet finds a key given twice in one YAML mapping: the YAML library
// keeps the last silently (a groupId given twice would switch column
// without a word), so the mapping refuses it, naming both lines.
type keySet struct {
	where string            // " in companies", or ""
	lines map[string]int    // canonical key → line of its first use
	names map[string]string // canonical key → spelling of its first use
}

func newKeySet(where string) *keySet {
	return &keySet{where: where, lines: map[string]int{}, names: map[string]string{}}
}

// add records key k under its canonical name (another spelling of the same
// setting counts as the same key); what says what a key is ("section",
// "trait", or "" for a plain key).
func (s *keySet) add(k *yaml.Node, canonical, what string) error {
	first, dup := s.lines[canonical]
	if !dup {
		s.lines[canonical], s.names[canonical] = k.Line, k.Value
		return nil
	}
	label := strconv.Quote(k.Value)
	if what != "" {
		label = what + " " + label
	}
	also := ""
	if prev := s.names[canonical]; prev != k.Value {
		rel := "spelling"
		if what == "section" {
			rel = "name"
		}
		also = fmt.Sprintf("; %s is another %s of %s", k.Value, rel, prev)
	}
	return &ConfigError{Line: k.Line, Msg: fmt.Sprintf("%s is given twice%s (lines %d and %d%s): keep one", label, s.where, first, k.Line, also)}
}

// kindKeyAliases maps the other spellings of a section's keys to the one
// parseKindMapping names first.
var kindKeyAliases = map[string]string{
	"group_id": "groupId", "user_id": "userId", "anonymous_id": "anonymousId", "object_type_id": "objectTypeId",
	"relationship_attributes": "relationshipAttributes", "includeObjectTraits": "include_object_traits",
	"delete_anonymous_id": "deleteAnonymousId",
}

// sectionName is the canonical name of a top-level section ("" when unknown).
func sectionName(k string) string {
	switch strings.ToLower(k) {
	case "companies", "objects", "groups":
		return "companies"
	case "memberships", "relationships":
		return "memberships"
	}
	return ""
}

var yamlLineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): `)

// yamlError turns a YAML syntax error into a ConfigError on the line that
// holds the mistake. The YAML library names the line where the enclosing
// block starts (often the line before the bad one), so the document is
// parsed again line by line: the first beginning of it that fails with the
// same complaint ends on the bad line.
func yamlError(data []byte, err error) *ConfigError {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = msg[len(m[0]):]
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	if len(lines) > 5000 {
		return &ConfigError{Line: line, Msg: msg}
	}
	var prefix []byte
	for i, l := range lines {
		prefix = append(prefix, l...)
		var n yaml.Node
		perr := yaml.Unmarshal(prefix, &n)
		if perr == nil {
			continue
		}
		pmsg := strings.TrimPrefix(perr.Error(), "yaml: ")
		if m := yamlLineRE.FindStringSubmatch(pmsg); m != nil {
			pmsg = pmsg[len(m[0]):]
		}
		if pmsg == msg {
			return &ConfigError{Line: i + 1, Msg: msg}
		}
	}
	return &ConfigError{Line: line, Msg: msg}
}
