package report

import (
	"fmt"
	"strings"
)

// The review's Markdown sections beyond the counts: the checks, the
// values of each field, the dates, the sample payloads and their shapes.

type mdWriter func(format string, args ...any)

// checksMarkdown writes the referential and identity checks.
func (c *Checks) markdown(w mdWriter) {
	if c == nil {
		return
	}
	w("\n## Checks\n\n")
	if o := c.Orphans; o != nil {
		bound := ""
		if o.LowerBound {
			bound = "at least "
		}
		w("- memberships whose object is %s: **%s%s** (%s object(s))\n", o.nowhere(), bound, comma(o.Count), comma(o.Objects))
		for _, r := range o.First {
			w("  - `%s` groupId %s (objectTypeId %s)\n", r.where(), mdCode(r.GroupID), r.ObjectTypeID)
		}
	} else {
		w("- memberships whose object is missing: not checked (the run has neither a companies input nor a state)\n")
	}
	if c.Unreferenced != nil {
		w("- objects of the companies input without any membership in this run: %s\n", comma(*c.Unreferenced))
	}
	if p := c.Persons; p != nil {
		w("- persons with more than %s memberships: %d", comma(p.Threshold), len(p.Over))
		if len(p.Top) > 0 {
			w("; most: %s", personList(p.Top, p.Exact, 5))
		}
		w("\n")
	}
	for _, x := range []struct {
		what   string
		checks []IDCheck
	}{{"groupIds that look like names", c.NameLike}, {"groupIds with white space around them", c.Spaced}} {
		if len(x.checks) == 0 {
			w("- %s: none\n", x.what)
		}
		for _, n := range x.checks {
			w("- %s (%s): **%s**\n", x.what, n.Kind, comma(n.Count))
			for _, r := range n.First {
				w("  - `%s` %s\n", r.where(), mdCode(r.GroupID))
			}
		}
	}
	if v := c.CaseVariants; v != nil {
		w("- groups of company ids that differ only by case or Unicode normalisation: **%d**", v.Groups)
		if v.NotCompared > 0 {
			w(" (%s ids with capitals or non-ASCII letters past the first 10,000 were not compared)", comma(v.NotCompared))
		}
		w("\n")
		for _, g := range v.First {
			var ids []string
			for _, r := range g {
				ids = append(ids, fmt.Sprintf("%s (%s)", mdCode(r.shown()), r.where()))
			}
			w("  - %s\n", strings.Join(ids, " · "))
		}
	}
}

func personList(ps []ValueCount, exact bool, n int) string {
	var out []string
	for i, p := range ps {
		if i == n {
			break
		}
		c := comma(p.Count)
		if !exact {
			c = "≥" + c
		}
		out = append(out, fmt.Sprintf("%s ×%s", mdCode(p.Value), c))
	}
	return strings.Join(out, ", ")
}

// mdCode quotes a value as inline code (backticks in it doubled around).
func mdCode(s string) string {
	s = mdCell(s)
	if strings.Contains(s, "`") {
		return "`` " + s + " ``"
	}
	return "`" + s + "`"
}

// valuesMarkdown writes the values of a kind's fields and their dates.
func (kr *KindReview) valuesMarkdown(w mdWriter) {
	if !kr.hasValues() {
		return
	}
	w("\nValues (distinct: exact, or ≈ a HyperLogLog estimate; top values: ≥ marks lower bounds, ≈ estimates from a sample of one row in 8 after a file's first 65,536, as are their numbers; text lengths in bytes, min / median / max):\n\n")
	w("| field | distinct | top values | numbers | text length |\n|---|---:|---|---|---|\n")
	for _, f := range kr.Fields {
		w("| %s | %s | %s | %s | %s |\n", f.Name, f.distinctText(), mdCell(f.topText(5)), f.numText(), f.lenText())
	}
	for _, f := range kr.Fields {
		if len(f.Dates) == 0 {
			continue
		}
		w("\nDates of %s:\n\n```\n", f.Name)
		most := maxCount(f.Dates, func(d DateCount) int64 { return d.Count })
		for _, d := range f.Dates {
			w("%-11s %-20s %s\n", d.Period, bar(d.Count, most, 20), comma(d.Count))
		}
		w("```\n")
	}
}

// samplesMarkdown writes a kind's first payloads and its shapes.
func (kr *KindReview) samplesMarkdown(w mdWriter) {
	if len(kr.Samples) == 0 {
		return
	}
	w("\n## Sample payloads of %s\n\nThe first %d payload(s), as they would be sent:\n", kr.Kind, len(kr.Samples))
	for _, s := range kr.Samples {
		w("\n```json\n%s\n```\n", pretty(s))
	}
	sh := kr.Shapes
	if sh == nil {
		return
	}
	more := ""
	if sh.More {
		more = " or more"
	}
	w("\nShapes (the sets of fields a payload carries): %d%s\n\n| payloads | fields | lacks |\n|---:|---|---|\n", sh.Distinct, more)
	for _, s := range sh.Top {
		w("| %s | %d | %s |\n", comma(s.Count), len(s.Fields), mdCell(strings.Join(s.Missing, ", ")))
	}
	if sh.OtherPayloads > 0 {
		w("| %s | (other shapes) | |\n", comma(sh.OtherPayloads))
	}
	if len(sh.Top) > 1 {
		for i, s := range sh.Top {
			w("\n<details><summary>shape %d: %s payload(s)</summary>\n\n```json\n%s\n```\n\n</details>\n", i+1, comma(s.Count), pretty(s.Example))
		}
	}
}
