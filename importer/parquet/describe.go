package parquet

import (
	"fmt"
	"strconv"
	"strings"
)

// Describe reports the file's layout and schema for inspect.
func (r *Reader) Describe() []string {
	m := r.meta
	var out []string
	by := m.CreatedBy
	if by == "" {
		by = "(unknown writer)"
	}
	out = append(out, fmt.Sprintf("parquet:      written by %s, format version %d", by, m.Version))
	codecs := map[string]bool{}
	var names []string
	for _, rg := range m.RowGroups {
		for _, c := range rg.Columns {
			if s := c.MetaData.Codec.String(); !codecs[s] {
				codecs[s] = true
				names = append(names, s)
			}
		}
	}
	line := fmt.Sprintf("row groups:   %d, %d rows in the footer", len(m.RowGroups), m.NumRows)
	if r.rowsNote {
		var n int64
		for _, rg := range m.RowGroups {
			n += rg.NumRows
		}
		line = fmt.Sprintf("row groups:   %d, %d rows (the footer's total says 0)", len(m.RowGroups), n)
	}
	if len(m.RowGroups) > 1 && len(m.RowGroups) <= 8 {
		var sizes []string
		for _, rg := range m.RowGroups {
			sizes = append(sizes, strconv.FormatInt(rg.NumRows, 10))
		}
		line += " (" + strings.Join(sizes, " + ") + ")"
	}
	if len(names) > 0 {
		line += "; compression " + strings.Join(names, ", ")
	}
	out = append(out, line)
	out = append(out, "schema:       column, repetition, Parquet type → read as")
	for _, n := range r.sch.top {
		out = describeNode(out, n, "  ")
	}
	for _, p := range r.parts {
		v := strconv.Quote(p.Value)
		if p.Null {
			v = "null"
		}
		out = append(out, fmt.Sprintf("partition:    %s = %s (from the folder name) → string", p.Name, v))
	}
	for _, k := range r.ignored {
		out = append(out, fmt.Sprintf("partition:    %s ignored: the file has a column of that name", k))
	}
	return out
}

// describeNode writes the schema tree for Describe.
func describeNode(out []string, n *pqNode, indent string) []string {
	return describeNodeIn(out, nil, n, indent)
}

func describeNodeIn(out []string, parent, n *pqNode, indent string) []string {
	rep := strings.ToLower(n.repType.String())
	var what string
	switch {
	case parent != nil && parent.kind == pqMap && parent.repeated == n:
		what = "map entries"
	case parent != nil && parent.kind == pqList && parent.repeated == n:
		what = "list elements"
	case parent != nil && parent.vMeta == n:
		what = "VARIANT metadata"
	case parent != nil && parent.vValue == n:
		what = "VARIANT-encoded value"
	case n.kind == pqPrimitive && n.leaf.desc != "":
		what = n.leaf.desc
	case n.kind == pqPrimitive:
		what = convNames[n.leaf.conv]
		if n.leaf.timeDesc != "" {
			what += ", " + n.leaf.timeDesc
		}
	case n.kind == pqStruct:
		what = "JSON object"
	case n.kind == pqList:
		what = "JSON array"
	case n.kind == pqMap:
		what = "JSON object (map)"
	case n.kind == pqVariant:
		what = "JSON (VARIANT)"
	case n.kind == pqShred:
		what = "shredded VARIANT value"
	}
	if n.kind == pqList && n.repeated == n.elem || n.kind == pqList && n.el == n.repeated.el {
		// an unannotated repeated field, shown once
		rep = "repeated"
	}
	out = append(out, fmt.Sprintf("%s%-*s %-9s %-34s → %s", indent, max(1, 28-len(indent)), n.name, rep, typeText(n.el), what))
	var kids []*pqNode
	switch {
	case n.kind == pqList && n.el == n.repeated.el:
		// unannotated repeated field: show the element's own children
		kids = n.elem.children
	default:
		kids = n.children
	}
	for _, c := range kids {
		out = describeNodeIn(out, n, c, indent+"  ")
	}
	return out
}
