package report

import (
	"encoding/json"
	"fmt"
	"html/template"
	"strings"
)

// Helpers of the HTML review's new sections: inline SVG and CSS only, so
// the page stays one self-contained file.

var reviewFuncs = template.FuncMap{
	"distinct": func(f FieldReview) string { return f.distinctText() },
	"numText":  func(f FieldReview) string { return f.numText() },
	"lenText":  func(f FieldReview) string { return f.lenText() },
	"pretty":   func(raw json.RawMessage) string { return pretty(raw) },
	"dateSVG":  dateSVG,
	"topBars":  topBars,
	"where":    func(r IDRow) string { return r.where() },
	"shown":    func(r IDRow) string { return r.shown() },
	"nowhere":  func(o *OrphanCheck) string { return o.nowhere() },
	"hasValues": func(kr *KindReview) bool {
		return kr.hasValues()
	},
	"inc":       func(i int) int { return i + 1 },
	"planKeys":  func(p *Plan) template.HTML { return p.keysHTML() },
	"joinShort": func(xs []string) string { return strings.Join(xs, ", ") },
	"ge": func(exact bool) string {
		if exact {
			return ""
		}
		return "≥"
	},
}

// dateSVG draws a field's dates as a small bar chart, labelled with the
// first and last period (each bar's title gives its period and count).
func dateSVG(f FieldReview) template.HTML {
	if len(f.Dates) == 0 {
		return ""
	}
	const w, h = 220, 44
	most := maxCount(f.Dates, func(d DateCount) int64 { return d.Count })
	bw := float64(w) / float64(len(f.Dates))
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="hist" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="dates of %s">`,
		w, h+14, w, h+14, template.HTMLEscapeString(f.Name))
	for i, d := range f.Dates {
		bh := float64(h) * float64(d.Count) / float64(most)
		if d.Count > 0 && bh < 1 {
			bh = 1
		}
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s: %s</title></rect>`,
			float64(i)*bw+0.5, float64(h)-bh, max(bw-1, 0.5), bh, template.HTMLEscapeString(d.Period), comma(d.Count))
	}
	first, last := f.Dates[0].Period, f.Dates[len(f.Dates)-1].Period
	fmt.Fprintf(&b, `<text x="0" y="%d">%s</text>`, h+12, template.HTMLEscapeString(first))
	if last != first {
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">%s</text>`, w, h+12, template.HTMLEscapeString(last))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// topBars lists a field's most frequent values with bars relative to the
// calls that carry the field.
func topBars(f FieldReview, calls int64) template.HTML {
	if len(f.TopValues) == 0 {
		return ""
	}
	if f.TopValues[0].Count < 2 {
		return `<span class="muted">no value repeats</span>`
	}
	var b strings.Builder
	b.WriteString(`<div class="tops">`)
	for i, tv := range f.TopValues {
		if i == 5 || tv.Count < 2 {
			break
		}
		pct := 0.0
		if calls > 0 {
			pct = 100 * float64(tv.Count) / float64(calls)
		}
		ge := f.countMark()
		fmt.Fprintf(&b, `<div class="top"><code>%s</code> <span class="muted">%s%s</span><span class="tbar" style="width:%.1f%%"></span></div>`,
			template.HTMLEscapeString(tv.Value), ge, comma(tv.Count), min(pct, 100))
	}
	b.WriteString(`</div>`)
	return template.HTML(b.String())
}
