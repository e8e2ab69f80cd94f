package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"sort"
	"strings"
)

// Review is the part of the report a person reads before a backfill is
// sent: per kind, what each field received, the dates, the sizes, and what
// looks wrong.
type Review struct {
	Kinds    []*KindReview `json:"kinds"`
	Findings []string      `json:"findings"`
	// Checks are the referential and identity checks.
	Checks *Checks `json:"checks,omitempty"`
}

// KindReview describes the payloads of one kind.
type KindReview struct {
	Kind     string        `json:"kind"`
	Messages int64         `json:"messages"`
	Deletes  int64         `json:"deletes"`
	Fields   []FieldReview `json:"fields"`
	Sizes    []SizeBucket  `json:"sizes"`
	MaxSize  int           `json:"max_size"`
	// Samples are the first payloads, Shapes the sets of fields the
	// payloads carry (most frequent first, at most ten).
	Samples []json.RawMessage `json:"samples,omitempty"`
	Shapes  *ShapesReview     `json:"shapes,omitempty"`
}

// FieldReview describes one output field.
type FieldReview struct {
	Name       string           `json:"name"`
	Source     string           `json:"source,omitempty"`
	FillPct    float64          `json:"fill_pct"`
	Types      map[string]int64 `json:"types"`
	Examples   []string         `json:"examples"`
	MinDate    string           `json:"min_date,omitempty"`
	MaxDate    string           `json:"max_date,omitempty"`
	Before1990 int64            `json:"before_1990,omitempty"`
	Future     int64            `json:"future,omitempty"`
	FieldValues
}

// SizeBucket is a count of messages of a size range.
type SizeBucket struct {
	Range string `json:"range"`
	Count int64  `json:"count"`
}

// KindStats are the payload statistics of one kind: the input of
// BuildReview.
type KindStats struct {
	Kind     string
	Messages int64
	Deletes  int64
	// Fields in the order the review lists them.
	Fields []FieldStats
	// Sizes counts the messages by size range, smallest first.
	Sizes   []SizeBucket
	MaxSize int
	KindSamples
}

// FieldStats describes the values one output field received.
type FieldStats struct {
	Name   string // "traits.name", "timestamp", …
	Source string // the column
	Filled int64  // messages that carry the field
	// Types counts the values by JSON type name (JSONTypes), TypeExamples
	// holds the first value of each.
	Types        map[string]int64
	TypeExamples map[string]string
	// Examples are up to three distinct values, shortened.
	Examples []string
	// Dates: the range seen, and how many fall before 1990, in the future,
	// or on 1970-01-01.
	MinDate, MaxDate                 string
	Before1990, Future, UnixEpochDay int64
	FieldValues
}

// JSONTypes are the JSON type names of FieldStats.Types, in the order the
// review lists them.
var JSONTypes = []string{"string", "number", "boolean", "object", "array", "null"}

// BuildReview turns payload statistics into the review, with findings.
func BuildReview(rep *Report, stats []KindStats) *Review {
	rv := &Review{Findings: []string{}}
	sorted := append([]KindStats(nil), stats...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Kind < sorted[j].Kind })
	for _, st := range sorted {
		kr := &KindReview{Kind: st.Kind, Messages: st.Messages, Deletes: st.Deletes, MaxSize: st.MaxSize,
			Sizes: append([]SizeBucket(nil), st.Sizes...), Samples: st.samples(), Shapes: st.shapes()}
		upserts := st.Messages - st.Deletes
		for _, f := range st.Fields {
			if f.Filled == 0 && (f.Name == "userId" || f.Name == "anonymousId") {
				continue
			}
			fr := reviewField(f, st.Messages, upserts)
			kr.Fields = append(kr.Fields, fr)
			rv.Findings = append(rv.Findings, fieldFindings(st.Kind, f, fr, upserts)...)
		}
		rv.Kinds = append(rv.Kinds, kr)
	}
	if rep.Totals.Superseded > 0 {
		rv.Findings = append(rv.Findings, fmt.Sprintf("%d row(s) repeat a key of a later row: only the last row of each key is sent", rep.Totals.Superseded))
	}
	for _, w := range rep.Warnings {
		rv.Findings = append(rv.Findings, fmt.Sprintf("%s (%d×)", w.Message, w.Count))
	}
	return rv
}

// reviewField describes one field: its fill rate among the calls that
// carry it (identifiers and the timestamp: every call; traits: upserts).
func reviewField(f FieldStats, messages, upserts int64) FieldReview {
	fr := FieldReview{Name: f.Name, Source: f.Source, Types: map[string]int64{}, Examples: f.Examples,
		MinDate: f.MinDate, MaxDate: f.MaxDate, Before1990: f.Before1990, Future: f.Future, FieldValues: f.FieldValues}
	base := upserts
	if f.Name == "groupId" || f.Name == "timestamp" || f.Name == "userId" || f.Name == "anonymousId" {
		base = messages
	}
	if base > 0 {
		fr.FillPct = round1(100 * float64(f.Filled) / float64(base))
	}
	for t, n := range f.Types {
		if n > 0 {
			fr.Types[t] = n
		}
	}
	if fr.Examples == nil {
		fr.Examples = []string{}
	}
	return fr
}

// fieldFindings says what looks wrong with one field of kind.
func fieldFindings(kind string, f FieldStats, fr FieldReview, upserts int64) []string {
	var out, present []string
	for t, n := range f.Types {
		if n > 0 && t != "null" {
			present = append(present, fmt.Sprintf("%.1f%% %s (e.g. %s)", 100*float64(n)/float64(f.Filled), t, f.TypeExamples[t]))
		}
	}
	if len(present) > 1 {
		sort.Strings(present)
		out = append(out, fmt.Sprintf("%s %s (column %q) has mixed types: %s", kind, f.Name, f.Source, strings.Join(present, ", ")))
	}
	if strings.HasPrefix(f.Name, "traits.") && upserts >= 20 && f.Filled*50 < upserts {
		out = append(out, fmt.Sprintf("%s %s (column %q) is empty in %.1f%% of the calls", kind, f.Name, f.Source, 100-fr.FillPct))
	}
	if f.UnixEpochDay > 0 {
		out = append(out, fmt.Sprintf("%s %s: %d value(s) fall on 1970-01-01 — a zero or an empty date read as Unix time?", kind, f.Name, f.UnixEpochDay))
	}
	if n := f.Before1990 - f.UnixEpochDay; n > 0 {
		out = append(out, fmt.Sprintf("%s %s: %d value(s) before 1990 (earliest %s)", kind, f.Name, n, f.MinDate))
	}
	if f.Future > 0 {
		out = append(out, fmt.Sprintf("%s %s: %d value(s) in the future (latest %s)", kind, f.Name, f.Future, f.MaxDate))
	}
	if f.Name == "timestamp" && f.Source != "" && f.Filled > 0 {
		out = append(out, fmt.Sprintf("%s timestamps run from %s to %s: Customer.io ignores an update older than the object's latest change (and still answers 200)", kind, f.MinDate, f.MaxDate))
	}
	return out
}

func round1(x float64) float64 { return float64(int64(x*10+0.5)) / 10 }

// Markdown renders the review report: the run, the plan, the mapping, the
// fields, the sizes, the rejections and the findings.
func (r *Report) Markdown() []byte {
	var b bytes.Buffer
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	title := "groupimport review"
	if r.DryRun {
		title += " (dry run: nothing was sent)"
	}
	w("# %s\n\n", title)
	w("- status: **%s** (exit code %d)\n", r.Status, r.ExitCode)
	w("- started %s, %.1f s, %s rows/s\n", r.StartedAt, float64(r.DurationMS)/1000, comma(int64(r.RowsPerSecond)))
	w("- default event time (rows without their own): %s\n", r.DefaultTimestamp)
	if r.Output.Destination != "" {
		w("- payloads: %s message(s), %s bytes → %s\n", comma(r.Output.Messages), comma(r.Output.Bytes), r.Output.Destination)
		if o := r.Output; o.Payloads != "" {
			w("  (--payloads %s: %s emitted payloads not written; the review covers every row)\n", o.Payloads, comma(o.NotWritten))
		}
	}
	w("\n## Rows\n\n| kind | read | emitted | rejected | superseded | unchanged | deletes |\n|---|---:|---:|---:|---:|---:|---:|\n")
	for _, k := range sortedKinds(r.Kinds) {
		c := r.Kinds[k]
		w("| %s | %s | %s | %s | %s | %s | %s |\n", k, comma(c.Read), comma(c.Emitted), comma(c.Rejected), comma(c.Superseded), comma(c.SkippedUnchanged), comma(c.Deleted))
	}
	t := r.Totals
	w("| **all** | **%s** | **%s** | **%s** | **%s** | **%s** | **%s** |\n\n", comma(t.Read), comma(t.Emitted), comma(t.Rejected), comma(t.Superseded), comma(t.SkippedUnchanged), comma(t.Deleted))
	w("Every row is accounted for: read = emitted + rejected + superseded + unchanged.\n")
	if len(r.Files) > 0 {
		w("\n| file | kind | format | read | emitted | rejected | error |\n|---|---|---|---:|---:|---:|---|\n")
		for _, f := range r.Files {
			w("| %s | %s | %s | %s | %s | %s | %s |\n", mdCell(f.Path), f.Kind, strings.TrimSpace(f.Format+" "+f.Compression),
				comma(f.Read), comma(f.Emitted), comma(f.Rejected), mdCell(f.Error))
		}
	}
	if p := r.Plan; p != nil {
		w("\n## Plan (compared with the state)\n\n| new | changed | unchanged | deletes in the export | deletes of missing keys | requests | time at the rate limit |\n|---:|---:|---:|---:|---:|---:|---:|\n")
		w("| %s | %s | %s | %s | %s | %s | %.1f s |\n", comma(p.Creates), comma(p.Updates), comma(p.Unchanged), comma(p.Deletes),
			comma(p.VanishedObjects+p.VanishedRelationships), comma(p.Requests), p.SecondsAtRateLimit)
		p.keysMarkdown(w)
	}
	if rv := r.Review; rv != nil {
		w("\n## Findings\n\n")
		if len(rv.Findings) == 0 {
			w("Nothing looks wrong.\n")
		}
		for _, f := range rv.Findings {
			w("- %s\n", mdCell(f))
		}
		rv.Checks.markdown(w)
	}
	if len(r.RejectReasons) > 0 {
		w("\n## Rejections\n\n| count | code | column | first reason |\n|---:|---|---|---|\n")
		for _, rc := range r.RejectReasons {
			w("| %s | %s | %s | %s |\n", comma(rc.Count), rc.Code, mdCell(rc.Column), mdCell(rc.Example))
		}
		w("\nFirst rejected rows (all of them are in %s):\n\n", r.RejectsFile)
		for _, x := range r.FirstRejections {
			loc := fmt.Sprintf("%s row %d", x.File, x.Row)
			if x.Line > 0 {
				loc = fmt.Sprintf("%s:%d", x.File, x.Line)
			}
			col := ""
			if x.Column != "" {
				col = fmt.Sprintf(" column `%s`:", x.Column)
			}
			w("- `%s`%s %s\n", loc, col, mdCell(x.Reason))
		}
	}
	if len(r.Mapping) > 0 {
		w("\n## Mapping\n")
		for _, k := range sortedKinds(r.Mapping) {
			m := r.Mapping[k]
			w("\n**%s** — %s\n", k, m.Source)
			shapes := m.Shapes
			if len(shapes) == 0 {
				shapes = []MappingShape{{Notes: m.Notes, Fields: m.Fields}}
			}
			for _, sh := range shapes {
				if len(m.Shapes) > 0 {
					w("\n*%s:*\n", mdCell(strings.Join(sh.Files, ", ")))
				}
				w("\n")
				for _, f := range sh.Fields {
					w("- `%s`\n", f)
				}
				for _, n := range sh.Notes {
					w("- note: %s\n", n)
				}
			}
		}
	}
	if rv := r.Review; rv != nil {
		for _, kr := range rv.Kinds {
			w("\n## Fields of %s (%s calls)\n\n| field | column | filled | types | examples | dates |\n|---|---|---:|---|---|---|\n", kr.Kind, comma(kr.Messages))
			for _, f := range kr.Fields {
				dates := ""
				if f.MinDate != "" {
					dates = f.MinDate + " … " + f.MaxDate
				}
				w("| %s | %s | %.1f%% | %s | %s | %s |\n", f.Name, mdCell(f.Source), f.FillPct, typeList(f.Types), mdCell(strings.Join(f.Examples, ", ")), dates)
			}
			kr.valuesMarkdown(w)
			w("\nMessage sizes (largest %s bytes; the API's limit is 32,000):\n\n| size | calls |\n|---|---:|\n", comma(int64(kr.MaxSize)))
			for _, sb := range kr.Sizes {
				if sb.Count > 0 {
					w("| %s | %s |\n", sb.Range, comma(sb.Count))
				}
			}
			kr.samplesMarkdown(w)
		}
	}
	if len(r.Errors) > 0 {
		w("\n## Errors\n\n")
		for _, e := range r.Errors {
			w("- %s\n", mdCell(e))
		}
	}
	return b.Bytes()
}

// typeList lists a field's value types, in the order of JSONTypes (any
// other name after them, by name).
func typeList(types map[string]int64) string {
	var parts, others []string
	known := map[string]bool{}
	for _, name := range JSONTypes {
		known[name] = true
		if n := types[name]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %s", name, comma(n)))
		}
	}
	for name, n := range types {
		if !known[name] && n > 0 {
			others = append(others, fmt.Sprintf("%s %s", name, comma(n)))
		}
	}
	sort.Strings(others)
	return strings.Join(append(parts, others...), ", ")
}

// mdCell keeps text inside one Markdown table cell.
func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}

// HTML renders the review as one self-contained page (no network needed).
func (r *Report) HTML() []byte {
	var b bytes.Buffer
	if err := reviewPage.Execute(&b, r); err != nil {
		fmt.Fprintf(&b, "<p>rendering failed: %s</p>", template.HTMLEscapeString(err.Error()))
	}
	return b.Bytes()
}

var reviewPage = template.Must(template.New("review").Funcs(template.FuncMap{
	"comma":    comma,
	"typeList": typeList,
	"join":     strings.Join,
	"secs":     func(ms int64) string { return fmt.Sprintf("%.1f", float64(ms)/1000) },
	"pct": func(n, total int64) float64 {
		if total == 0 {
			return 0
		}
		return float64(int64(1000*float64(n)/float64(total))) / 10
	},
	"kinds": sortedKinds[*Counts],
	"i64":   func(n int) int64 { return int64(n) },
}).Funcs(reviewFuncs).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>groupimport review</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:72rem;color:#1d2330;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem} h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #dde2ea;padding-bottom:.3rem}
.status{display:inline-block;padding:.1rem .6rem;border-radius:1rem;font-weight:600}
.ok{background:#dcf5e3;color:#145c2a}.rejected_rows{background:#fff1cc;color:#6b4b00}.failed,.interrupted{background:#fde0e0;color:#7d1414}
table{border-collapse:collapse;margin:.6rem 0;width:100%} th,td{border-bottom:1px solid #e7eaf0;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f4f6f9;font-weight:600} td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
code{background:#f4f6f9;padding:0 .25rem;border-radius:3px} .muted{color:#6b7385}
ul.findings li{margin:.25rem 0} .bar{background:#5b7cfa;height:.8rem;border-radius:2px}
.fill{background:#e7eaf0;width:6rem;height:.6rem;border-radius:2px;display:inline-block;margin-right:.4rem;vertical-align:middle}
.fill>span{display:block;height:100%;background:#3aa76d;border-radius:2px}
.tops{min-width:14rem}.top{position:relative;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;max-width:22rem;padding:0 .2rem;margin:1px 0}
.top>code{background:none;position:relative;z-index:1}.top>.muted{position:relative;z-index:1}
.tbar{position:absolute;left:0;top:0;bottom:0;background:#e3e9ff;border-radius:2px}
svg.hist rect{fill:#5b7cfa} svg.hist text{font-size:10px;fill:#6b7385}
pre{background:#f6f8fb;border:1px solid #e7eaf0;border-radius:4px;padding:.6rem .8rem;overflow:auto;font-size:12.5px;line-height:1.35;max-height:30rem}
details{margin:.4rem 0} summary{cursor:pointer;color:#34406b}
.checks td:first-child{width:22rem}.bad{color:#7d1414;font-weight:600}.good{color:#145c2a}
</style></head><body>
<h1>groupimport review{{if .DryRun}} <span class="muted">— dry run: nothing was sent</span>{{end}}</h1>
<p><span class="status {{.Status}}">{{.Status}}</span> exit code {{.ExitCode}} · started {{.StartedAt}} · {{secs .DurationMS}} s ·
default event time {{.DefaultTimestamp}}{{if .Output.Destination}} · {{comma .Output.Messages}} payloads → <code>{{.Output.Destination}}</code>{{with .Output.Payloads}} (--payloads {{.}}: {{comma $.Output.NotWritten}} not written){{end}}{{end}}</p>

<h2>Rows</h2>
<table><tr><th>kind</th><th class="n">read</th><th class="n">emitted</th><th class="n">rejected</th><th class="n">superseded</th><th class="n">unchanged</th><th class="n">deletes</th></tr>
{{range $k := kinds .Kinds}}{{with index $.Kinds $k}}<tr><td>{{$k}}</td><td class="n">{{comma .Read}}</td><td class="n">{{comma .Emitted}}</td><td class="n">{{comma .Rejected}}</td><td class="n">{{comma .Superseded}}</td><td class="n">{{comma .SkippedUnchanged}}</td><td class="n">{{comma .Deleted}}</td></tr>{{end}}{{end}}
<tr><th>all</th><th class="n">{{comma .Totals.Read}}</th><th class="n">{{comma .Totals.Emitted}}</th><th class="n">{{comma .Totals.Rejected}}</th><th class="n">{{comma .Totals.Superseded}}</th><th class="n">{{comma .Totals.SkippedUnchanged}}</th><th class="n">{{comma .Totals.Deleted}}</th></tr></table>
<table><tr><th>file</th><th>kind</th><th>format</th><th class="n">read</th><th class="n">emitted</th><th class="n">rejected</th><th>error</th></tr>
{{range .Files}}<tr><td><code>{{.Path}}</code></td><td>{{.Kind}}</td><td>{{.Format}} {{.Compression}}</td><td class="n">{{comma .Read}}</td><td class="n">{{comma .Emitted}}</td><td class="n">{{comma .Rejected}}</td><td>{{.Error}}</td></tr>{{end}}</table>

{{with .Plan}}<h2>Plan (compared with the state)</h2>
<table><tr><th class="n">new</th><th class="n">changed</th><th class="n">unchanged</th><th class="n">deletes in the export</th><th class="n">objects missing, to delete</th><th class="n">relationships missing, to delete</th><th class="n">requests</th><th class="n">time at the rate limit</th></tr>
<tr><td class="n">{{comma .Creates}}</td><td class="n">{{comma .Updates}}</td><td class="n">{{comma .Unchanged}}</td><td class="n">{{comma .Deletes}}</td><td class="n">{{comma .VanishedObjects}}</td><td class="n">{{comma .VanishedRelationships}}</td><td class="n">{{comma .Requests}}</td><td class="n">{{printf "%.1f" .SecondsAtRateLimit}} s</td></tr></table>
{{planKeys .}}{{end}}

{{with .Review}}<h2>Findings</h2>
{{if .Findings}}<ul class="findings">{{range .Findings}}<li>{{.}}</li>{{end}}</ul>{{else}}<p>Nothing looks wrong.</p>{{end}}
{{with .Checks}}<h2>Checks</h2>
<table class="checks">
<tr><td>memberships whose object is missing</td><td>{{with .Orphans}}<span class="{{if .Count}}bad{{else}}good{{end}}">{{if .LowerBound}}at least {{end}}{{comma .Count}}</span> ({{comma .Objects}} objects {{nowhere .}}){{if .First}}<ul>{{range .First}}<li><code>{{where .}}</code> groupId <code>{{.GroupID}}</code> (objectTypeId {{.ObjectTypeID}})</li>{{end}}</ul>{{end}}{{else}}<span class="muted">not checked: the run has neither a companies input nor a state</span>{{end}}</td></tr>
{{with .Unreferenced}}<tr><td>objects without any membership in this run</td><td>{{comma .}} <span class="muted">(informational)</span></td></tr>{{end}}
{{with .Persons}}{{$pc := .}}<tr><td>persons with more than {{comma .Threshold}} memberships</td><td><span class="{{if .Over}}bad{{else}}good{{end}}">{{len .Over}}</span>{{if .Top}} · most: {{range $i, $p := .Top}}{{if lt $i 5}}<code>{{$p.Value}}</code> ×{{ge $pc.Exact}}{{comma $p.Count}} {{end}}{{end}}{{end}}</td></tr>{{end}}
<tr><td>groupIds that look like names</td><td>{{range .NameLike}}<span class="bad">{{comma .Count}}</span> in {{.Kind}}<ul>{{range .First}}<li><code>{{where .}}</code> <code>{{.GroupID}}</code></li>{{end}}</ul>{{else}}<span class="good">none</span>{{end}}</td></tr>
<tr><td>groupIds with white space around them</td><td>{{range .Spaced}}<span class="bad">{{comma .Count}}</span> in {{.Kind}}<ul>{{range .First}}<li><code>{{where .}}</code> <code>"{{.GroupID}}"</code></li>{{end}}</ul>{{else}}<span class="good">none</span>{{end}}</td></tr>
{{with .CaseVariants}}<tr><td>company ids that differ only by case or Unicode normalisation</td><td><span class="{{if .Groups}}bad{{else}}good{{end}}">{{.Groups}} group(s)</span>{{if .NotCompared}} <span class="muted">({{comma .NotCompared}} ids past the first 10,000 not compared)</span>{{end}}<ul>{{range .First}}<li>{{range $i, $r := .}}{{if $i}} · {{end}}<code>{{shown $r}}</code> <span class="muted">{{where $r}}</span>{{end}}</li>{{end}}</ul></td></tr>{{end}}
</table>{{end}}{{end}}

{{if .RejectReasons}}<h2>Rejections</h2>
<table><tr><th class="n">count</th><th>code</th><th>column</th><th>first reason</th></tr>{{range .RejectReasons}}<tr><td class="n">{{comma .Count}}</td><td><code>{{.Code}}</code></td><td>{{.Column}}</td><td>{{.Example}}</td></tr>{{end}}</table>
<p class="muted">First rejected rows (all of them are in <code>{{.RejectsFile}}</code>):</p>
<table><tr><th>where</th><th>column</th><th>reason</th></tr>{{range .FirstRejections}}<tr><td><code>{{.File}}{{if .Line}}:{{.Line}}{{else}} row {{.Row}}{{end}}</code></td><td>{{.Column}}</td><td>{{.Reason}}</td></tr>{{end}}</table>{{end}}

<h2>Mapping</h2>
{{range $k, $m := .Mapping}}<p><b>{{$k}}</b> — {{$m.Source}}</p>{{if $m.Shapes}}{{range $m.Shapes}}<p><i>{{join .Files ", "}}:</i></p><ul>{{range .Fields}}<li><code>{{.}}</code></li>{{end}}{{range .Notes}}<li class="muted">{{.}}</li>{{end}}</ul>{{end}}{{else}}<ul>{{range $m.Fields}}<li><code>{{.}}</code></li>{{end}}{{range $m.Notes}}<li class="muted">{{.}}</li>{{end}}</ul>{{end}}{{end}}

{{with .Review}}{{range .Kinds}}{{$kr := .}}<h2>Fields of {{.Kind}} <span class="muted">({{comma .Messages}} calls)</span></h2>
<table><tr><th>field</th><th>column</th><th>filled</th><th>types</th><th>examples</th><th>dates</th></tr>
{{range .Fields}}<tr><td><code>{{.Name}}</code></td><td>{{.Source}}</td><td style="white-space:nowrap"><span class="fill"><span style="width:{{.FillPct}}%"></span></span>{{.FillPct}}%</td><td>{{typeList .Types}}</td><td><code>{{join .Examples ", "}}</code></td><td>{{if .MinDate}}{{.MinDate}} … {{.MaxDate}}{{end}}</td></tr>{{end}}</table>
{{if hasValues .}}<p class="muted">Values: distinct (≈ a HyperLogLog estimate), the most frequent (≥: lower bounds; ≈: estimated, with the numbers, from one row in 8 after a file's first 65,536), numbers (min … max, mean), text lengths in bytes (min / median / max), dates by month or year.</p>
<table><tr><th>field</th><th class="n">distinct</th><th>top values</th><th>numbers</th><th>text length</th><th>dates</th></tr>
{{range .Fields}}<tr><td><code>{{.Name}}</code></td><td class="n">{{distinct .}}</td><td>{{topBars . $kr.Messages}}</td><td>{{numText .}}</td><td>{{lenText .}}</td><td>{{dateSVG .}}</td></tr>{{end}}</table>{{end}}
<p class="muted">Message sizes (largest {{comma (i64 .MaxSize)}} bytes; the API's limit is 32,000):</p>
<table>{{range .Sizes}}{{if .Count}}<tr><td style="width:9rem">{{.Range}}</td><td class="n" style="width:7rem">{{comma .Count}}</td><td><div class="bar" style="width:{{pct .Count $kr.Messages}}%"></div></td></tr>{{end}}{{end}}</table>
{{if .Samples}}<h2>Sample payloads of {{.Kind}}</h2>
<p class="muted">The first {{len .Samples}} payload(s), as they would be sent:</p>
{{range $i, $p := .Samples}}<details{{if not $i}} open{{end}}><summary>payload {{inc $i}}</summary><pre>{{pretty $p}}</pre></details>{{end}}
{{with .Shapes}}<p class="muted">Shapes (the sets of fields a payload carries): {{.Distinct}}{{if .More}} or more{{end}}</p>
<table><tr><th class="n">payloads</th><th class="n">fields</th><th>lacks</th><th>first payload of the shape</th></tr>
{{range .Top}}<tr><td class="n">{{comma .Count}}</td><td class="n">{{len .Fields}}</td><td>{{joinShort .Missing}}</td><td><details><summary>show</summary><pre>{{pretty .Example}}</pre></details></td></tr>{{end}}
{{if .OtherPayloads}}<tr><td class="n">{{comma .OtherPayloads}}</td><td colspan="3" class="muted">other shapes</td></tr>{{end}}</table>{{end}}{{end}}
{{end}}{{end}}

{{if .Errors}}<h2>Errors</h2><ul>{{range .Errors}}<li>{{.}}</li>{{end}}</ul>{{end}}
<p class="muted">{{.Tool.Name}} {{.Tool.Version}} · report schema {{.Schema}}</p>
</body></html>
`))
