// Package report owns the run report's schema, groupimport.report/v1 (a
// contract with the schedulers and scripts that read report.json,
// documented in README.md): its types and their JSON, built from a run's
// figures given in the report's own terms (Result, KindStats), and the
// renderings people read — the summary at the end of a run, the review
// (Markdown, HTML) and the Prometheus metrics. It depends on no other part
// of the program but record; the runner converts the pipeline's and the
// sinks' results into its types, so an edit to those cannot change the
// contract unseen.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// Prometheus renders the run's figures in the Prometheus text format, for
// node_exporter's textfile collector (a cron import can be alerted on).
func (r *Report) Prometheus() []byte {
	var b strings.Builder
	metric := func(name, help, typ string) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
	}
	metric("groupimport_rows", "Rows of the last run, by kind and outcome.", "gauge")
	for _, k := range sortedKinds(r.Kinds) {
		c := r.Kinds[k]
		for _, o := range []struct {
			name string
			n    int64
		}{{"read", c.Read}, {"emitted", c.Emitted}, {"rejected", c.Rejected}, {"superseded", c.Superseded},
			{"unchanged", c.SkippedUnchanged}, {"deleted", c.Deleted}} {
			fmt.Fprintf(&b, "groupimport_rows{kind=%q,outcome=%q} %d\n", k, o.name, o.n)
		}
	}
	metric("groupimport_last_run_exit_code", "Exit code of the last run (0 ok, 1 failed, 2 usage, 3 rejected rows).", "gauge")
	fmt.Fprintf(&b, "groupimport_last_run_exit_code %d\n", r.ExitCode)
	metric("groupimport_last_run_success", "1 when the last run delivered every row.", "gauge")
	ok := 0
	if r.ExitCode == 0 {
		ok = 1
	}
	fmt.Fprintf(&b, "groupimport_last_run_success %d\n", ok)
	metric("groupimport_last_run_duration_seconds", "Duration of the last run.", "gauge")
	fmt.Fprintf(&b, "groupimport_last_run_duration_seconds %.3f\n", float64(r.DurationMS)/1000)
	if t, err := time.Parse(time.RFC3339Nano, r.FinishedAt); err == nil {
		metric("groupimport_last_run_finished_timestamp_seconds", "When the last run finished (Unix time).", "gauge")
		fmt.Fprintf(&b, "groupimport_last_run_finished_timestamp_seconds %d\n", t.Unix())
	}
	metric("groupimport_file_errors", "Input files of the last run that could not be read completely.", "gauge")
	fmt.Fprintf(&b, "groupimport_file_errors %d\n", len(r.Errors))
	return []byte(b.String())
}

// Plan is an incremental run's comparison of the export with the state.
type Plan struct {
	Creates               int64   `json:"creates"`
	Updates               int64   `json:"updates"`
	Unchanged             int64   `json:"unchanged"`
	Deletes               int64   `json:"deletes"`
	Superseded            int64   `json:"superseded"`
	VanishedObjects       int64   `json:"deletes_of_missing_objects"`
	VanishedRelationships int64   `json:"deletes_of_missing_relationships"`
	KnownObjects          int64   `json:"known_objects"`
	KnownRelationships    int64   `json:"known_relationships"`
	DeleteMissing         bool    `json:"delete_missing"`
	Full                  bool    `json:"full"`
	Requests              int64   `json:"estimated_requests"`
	SecondsAtRateLimit    float64 `json:"estimated_seconds_at_rate_limit"`
	// RejectedKept counts the keys this export holds only in rejected rows
	// (one bad date, say): nothing is sent for them, their state stays as
	// it was, and they are never deleted as missing.
	RejectedKept int64 `json:"rejected_keys_kept"`
	// DeletesWithheld says why the deletes of missing keys were not sent:
	// the export is not known to be whole.
	DeletesWithheld string `json:"deletes_of_missing_withheld,omitempty"`
	// FirstCreated, FirstChanged and FirstDeleted name the first keys
	// (up to 20 of each) the run creates, changes and deletes, in the
	// order they are sent: filled as they are, so a run that ended before
	// sending lists only the keys missing from the export, which the state
	// names. FirstDeleted holds the deletes of the export, then those of
	// keys missing from it (with --delete-missing).
	FirstCreated []PlanKey `json:"first_created,omitempty"`
	FirstChanged []PlanKey `json:"first_changed,omitempty"`
	FirstDeleted []PlanKey `json:"first_deleted,omitempty"`
}

// Write prints the plan for people.
func (p *Plan) Write(w io.Writer) {
	fmt.Fprintf(w, "groupimport plan (compared with the state): %s new, %s changed, %s unchanged (skipped), %s deletes in the export",
		comma(p.Creates), comma(p.Updates), comma(p.Unchanged), comma(p.Deletes))
	if p.Superseded > 0 {
		fmt.Fprintf(w, ", %s superseded", comma(p.Superseded))
	}
	fmt.Fprintln(w)
	if p.RejectedKept > 0 {
		fmt.Fprintf(w, "  %s keys only in rejected rows: kept as they were (not sent, not deleted)\n", comma(p.RejectedKept))
	}
	switch {
	case p.DeleteMissing && p.DeletesWithheld != "":
		fmt.Fprintf(w, "  deletes of missing keys withheld: %s\n", p.DeletesWithheld)
	case p.DeleteMissing:
		fmt.Fprintf(w, "  missing from the export, to delete: %s of %s known objects, %s of %s known relationships\n",
			comma(p.VanishedObjects), comma(p.KnownObjects), comma(p.VanishedRelationships), comma(p.KnownRelationships))
	}
	if p.Full {
		fmt.Fprintln(w, "  --full: everything is sent again")
	}
	fmt.Fprintf(w, "  about %s API requests, %.1fs at the API's rate limit\n", comma(p.Requests), p.SecondsAtRateLimit)
}

// JSON renders the report.
func (r *Report) JSON() []byte {
	b, _ := json.MarshalIndent(r, "", "  ")
	return append(b, '\n')
}

// Summary writes the human summary.
func (r *Report) Summary(w io.Writer) {
	t := r.Totals
	secs := float64(r.DurationMS) / 1000
	verb := "emitted"
	if r.Command == "validate" {
		verb = "valid"
	}
	fmt.Fprintf(w, "groupimport %s: %s rows read from %d file(s) in %.1fs: %s %s, %s rejected",
		r.Command, comma(t.Read), len(r.Files), secs, comma(t.Emitted), verb, comma(t.Rejected))
	if t.SkippedUnchanged > 0 {
		fmt.Fprintf(w, ", %s unchanged", comma(t.SkippedUnchanged))
	}
	if t.Superseded > 0 {
		fmt.Fprintf(w, ", %s superseded by a later row of the same key", comma(t.Superseded))
	}
	if t.Deleted > 0 {
		fmt.Fprintf(w, " (%s of the emitted are deletes)", comma(t.Deleted))
	}
	fmt.Fprintln(w)
	if len(r.Kinds) > 1 {
		for _, k := range sortedKinds(r.Kinds) {
			c := r.Kinds[k]
			fmt.Fprintf(w, "  %-21s %s read, %s %s, %s rejected", k+":", comma(c.Read), comma(c.Emitted), verb, comma(c.Rejected))
			if c.Superseded > 0 {
				fmt.Fprintf(w, ", %s superseded", comma(c.Superseded))
			}
			if c.Deleted > 0 {
				fmt.Fprintf(w, ", %s deletes", comma(c.Deleted))
			}
			fmt.Fprintln(w)
		}
	}
	if len(r.Output.Files) > 0 {
		fmt.Fprintf(w, "  payloads: %d part file(s) in %s\n", len(r.Output.Files), r.Output.Destination)
	}
	if r.Plan != nil {
		r.Plan.writeKeys(w)
	}
	if t.Rejected > 0 {
		for i, rc := range r.RejectReasons {
			if i == 5 {
				fmt.Fprintf(w, "  … %d more reasons\n", len(r.RejectReasons)-5)
				break
			}
			fmt.Fprintf(w, "  rejected %s× %s\n", comma(rc.Count), rc.describe())
		}
		for i, x := range r.FirstRejections {
			if i == 3 {
				break
			}
			loc := fmt.Sprintf("%s row %d", x.File, x.Row)
			if x.Line > 0 {
				loc = fmt.Sprintf("%s:%d", x.File, x.Line)
			}
			col := ""
			if x.Column != "" {
				col = fmt.Sprintf(" column %q:", x.Column)
			}
			fmt.Fprintf(w, "    e.g. %s:%s %s\n", loc, col, x.Reason)
		}
		if r.RejectsFile != "" {
			fmt.Fprintf(w, "  every rejected row: %s\n", r.RejectsFile)
		}
	}
	for i, wn := range r.Warnings {
		if i == 5 {
			fmt.Fprintf(w, "  … %d more warnings in the report\n", len(r.Warnings)-5)
			break
		}
		fmt.Fprintf(w, "  warning (%s×): %s\n", comma(wn.Count), wn.Message)
	}
	for _, e := range r.Errors {
		fmt.Fprintf(w, "  error: %s\n", e)
	}
	for _, f := range r.ReviewFiles {
		if strings.HasSuffix(f, ".html") {
			fmt.Fprintf(w, "  review: %s\n", f)
		}
	}
}

// describe says a reason for people: its code, its column, and the first
// rejected row's reason ("e.g." when it stands for several).
func (rc ReasonCount) describe() string {
	s := rc.Code
	if rc.Column != "" {
		s += fmt.Sprintf(" (column %q)", rc.Column)
	}
	if rc.Count > 1 {
		return s + ", e.g. " + rc.Example
	}
	return s + ": " + rc.Example
}

// sortedKinds lists the kinds of a count map in name order.
func sortedKinds[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// comma formats n with thousands separators.
func comma(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
