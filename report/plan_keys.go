package report

import (
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
)

// The plan's first keys: which objects and relationships an incremental
// run creates, changes and deletes (the first few of each, in the order
// of the input), and for a changed key which traits changed.

// PlanKey is one object or relationship of the plan.
type PlanKey struct {
	// Kind is "object" or "relationship".
	Kind         string `json:"kind"`
	ObjectTypeID string `json:"object_type_id,omitempty"`
	GroupID      string `json:"group_id,omitempty"`
	UserID       string `json:"user_id,omitempty"`
	AnonymousID  string `json:"anonymous_id,omitempty"`
	// File, Line and Row are the input row (none for a key missing from
	// the export).
	File string `json:"file,omitempty"`
	Line int64  `json:"line,omitempty"`
	Row  int64  `json:"row,omitempty"`
	// Missing marks the delete of a key the state knows and the export
	// lacks (--delete-missing).
	Missing bool `json:"missing,omitempty"`
	// ChangedTraits (first_changed) are the traits sent whose value differs
	// from the one delivered last, or that were not sent then;
	// DroppedTraits those sent then that the payload no longer carries
	// (the destination keeps their values). TraitsUnknown says why they
	// cannot be told.
	ChangedTraits []string `json:"changed_traits,omitempty"`
	DroppedTraits []string `json:"dropped_traits,omitempty"`
	TraitsUnknown string   `json:"traits_unknown,omitempty"`
}

// ID names the key for people: the object (objectTypeId:groupId) and, for
// a relationship, the person.
func (k *PlanKey) ID() string {
	s := k.GroupID
	if k.ObjectTypeID != "" && k.ObjectTypeID != "1" {
		s = k.ObjectTypeID + ":" + s
	}
	if s == "" {
		s = "?"
	}
	switch {
	case k.UserID != "":
		s += " ← user " + k.UserID
	case k.AnonymousID != "":
		s += " ← anonymous " + k.AnonymousID
	}
	return s
}

// Where is the input row, or where the key comes from.
func (k *PlanKey) Where() string {
	switch {
	case k.Missing:
		return "missing from the export (known to the state)"
	case k.File == "":
		return ""
	case k.Line > 0:
		return fmt.Sprintf("%s:%d", k.File, k.Line)
	}
	return fmt.Sprintf("%s row %d", k.File, k.Row)
}

// TraitsText says what changed of a changed key.
func (k *PlanKey) TraitsText() string {
	var parts []string
	if len(k.ChangedTraits) > 0 {
		parts = append(parts, strings.Join(k.ChangedTraits, ", "))
	}
	if len(k.DroppedTraits) > 0 {
		parts = append(parts, "no longer sent (the destination keeps the value it has): "+strings.Join(k.DroppedTraits, ", "))
	}
	switch {
	case k.TraitsUnknown != "":
		parts = append(parts, "traits unknown: "+k.TraitsUnknown)
	case len(parts) == 0:
		parts = append(parts, "no trait's value changed (the payload's form did)")
	}
	return strings.Join(parts, "; ")
}

// keyList is one of the plan's lists of keys: its title, the keys, and
// how many more there are.
type keyList struct {
	title string
	keys  []PlanKey
	more  int64
}

// count says how many keys the list shows.
func (l keyList) count() string {
	if l.more > 0 {
		return fmt.Sprintf("the first %d of %s", len(l.keys), comma(l.more+int64(len(l.keys))))
	}
	return strconv.Itoa(len(l.keys))
}

// planLists are the plan's lists of keys.
func (p *Plan) planLists() []keyList {
	missing := p.VanishedObjects + p.VanishedRelationships
	return []keyList{
		{"new", p.FirstCreated, p.Creates - int64(len(p.FirstCreated))},
		{"changed", p.FirstChanged, p.Updates - int64(len(p.FirstChanged))},
		{"deleted", p.FirstDeleted, p.Deletes + missing - int64(len(p.FirstDeleted))},
	}
}

// writeKeys prints a few keys of each list, one line each (the printed
// plan: keys only; report.json and the review have the rest).
func (p *Plan) writeKeys(w io.Writer) {
	const few = 5
	for _, l := range p.planLists() {
		if len(l.keys) == 0 {
			continue
		}
		ids := make([]string, 0, few)
		for i, k := range l.keys {
			if i == few {
				break
			}
			id := k.ID()
			if k.Missing {
				id += " (missing)"
			}
			ids = append(ids, id)
		}
		more := l.more + int64(len(l.keys)-len(ids))
		tail := ""
		if more > 0 {
			tail = fmt.Sprintf(" and %s more", comma(more))
		}
		fmt.Fprintf(w, "  plan, %s: %s%s\n", l.title, strings.Join(ids, ", "), tail)
	}
}

// keysMarkdown writes the lists of keys of the review.
func (p *Plan) keysMarkdown(w mdWriter) {
	for _, l := range p.planLists() {
		if len(l.keys) == 0 {
			continue
		}
		w("\n%s (%s):\n\n", upperFirst(l.title), l.count())
		for _, k := range l.keys {
			w("- %s", mdCode(k.ID()))
			switch where := k.Where(); {
			case k.Missing:
				w(" — %s", where)
			case where != "":
				w(" — `%s`", mdCell(where))
			}
			if l.title == "changed" {
				w(": %s", mdCell(k.TraitsText()))
			}
			w("\n")
		}
	}
}

// keysHTML renders the lists of keys of the review.
func (p *Plan) keysHTML() template.HTML {
	var b strings.Builder
	esc := template.HTMLEscapeString
	for _, l := range p.planLists() {
		if len(l.keys) == 0 {
			continue
		}
		fmt.Fprintf(&b, `<p class="muted">%s (%s):</p>`, esc(upperFirst(l.title)), esc(l.count()))
		b.WriteString(`<table class="plankeys"><tr><th>key</th><th>where</th>`)
		if l.title == "changed" {
			b.WriteString(`<th>traits changed</th>`)
		}
		b.WriteString(`</tr>`)
		for _, k := range l.keys {
			fmt.Fprintf(&b, `<tr><td><code>%s</code></td><td><code>%s</code></td>`, esc(k.ID()), esc(k.Where()))
			if l.title == "changed" {
				fmt.Fprintf(&b, `<td>%s</td>`, esc(k.TraitsText()))
			}
			b.WriteString(`</tr>`)
		}
		b.WriteString(`</table>`)
	}
	return template.HTML(b.String())
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
