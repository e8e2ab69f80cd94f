package transform

import (
	"fmt"

	"github.com/groupimport/groupimport/internal/suggest"
)

// sectionKeys are the keys of a mapping section (parseSectionKey), for
// the "did you mean" of an unknown one.
var sectionKeys = []string{"format", "delimiter", "encoding", "timezone", "binary_as_string", "nulls", "decimal", "thousands",
	"groupId", "userId", "anonymousId", "objectTypeId", "timestamp", "traits", "relationshipAttributes", "custom", "drop", "empty",
	"include_object_traits", "deleted", "events", "deleteAnonymousId", "limits"}

// fieldKeys are the keys of a field given as an object (parseFieldKey).
var fieldKeys = []string{"column", "value", "type", "empty", "format", "unit", "timezone"}

// didYouMean is ` (did you mean "x"?)` naming the known name nearest to
// name, or "" when none is near.
func didYouMean(name string, known []string) string {
	if s := suggest.Closest(name, known); s != "" {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	return ""
}

// missingColumn describes a column the mapping names that the input
// lacks: its name, the mapping's line, and the nearest column there is.
func missingColumn(name string, line int, columns []string) string {
	note := ""
	if line > 0 {
		note = fmt.Sprintf("line %d", line)
	}
	if s := suggest.Closest(name, columns); s != "" {
		if note != "" {
			note += "; "
		}
		note += fmt.Sprintf("did you mean %q?", s)
	}
	if note == "" {
		return fmt.Sprintf("%q", name)
	}
	return fmt.Sprintf("%q (%s)", name, note)
}
