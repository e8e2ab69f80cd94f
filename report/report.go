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
)

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
	// RetriedRefusals counts the new and changed rows whose key the API
	// refused on an earlier run (the state keeps refused keys);
	// RetriedUnchanged those of them whose content is the one refused.
	RetriedRefusals  int64 `json:"retries_of_earlier_refusals,omitempty"`
	RetriedUnchanged int64 `json:"retries_of_earlier_refusals_unchanged,omitempty"`
	// MappingChanged says that most rows the state knows changed and the
	// mapping differs from the last run's: the mapping is the likely cause.
	MappingChanged bool `json:"mapping_changed,omitempty"`
}

// Write prints the plan for people.
func (p *Plan) Write(w io.Writer) {
	fmt.Fprintf(w, "groupimport plan (compared with the state): %s new, %s changed, %s unchanged (skipped), %s deletes in the export",
		comma(p.Creates), comma(p.Updates), comma(p.Unchanged), comma(p.Deletes))
	if p.Superseded > 0 {
		fmt.Fprintf(w, ", %s superseded", comma(p.Superseded))
	}
	fmt.Fprintln(w)
	if p.RetriedRefusals > 0 {
		fmt.Fprintf(w, "  %s of the new and changed are a retry of earlier refusals (the API refused these keys before", comma(p.RetriedRefusals))
		if p.RetriedUnchanged > 0 {
			fmt.Fprintf(w, "; %s unchanged since: expect the same refusal", comma(p.RetriedUnchanged))
		}
		fmt.Fprintln(w, ")")
	}
	if p.MappingChanged {
		fmt.Fprintf(w, "  the mapping changed since the last run: %s of %s rows changed\n", comma(p.Updates), comma(p.Updates+p.Unchanged))
	}
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
