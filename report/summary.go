package report

import (
	"fmt"
	"io"
	"strings"
)

// Written is a file a run wrote, named by the summary.
type Written struct {
	// What it is: payloads, report, rejects, review, metrics.
	What string
	Path string
	// Note says more, as "2 part files" or "5 rows" ("" for nothing).
	Note string
}

// Summary writes the summary people read at the end of a run: the counts
// (with what was delivered, and "nothing was delivered" when nothing
// was), per kind, the delivery to the API, why rows were rejected, the
// warnings and errors, and every file the run wrote.
func (r *Report) Summary(w io.Writer, wrote []Written) {
	t := r.Totals
	secs := float64(r.DurationMS) / 1000
	cmd := r.Command
	if r.DryRun {
		cmd += " (dry run)"
	}
	fmt.Fprintf(w, "groupimport %s: %s rows read from %s in %.1fs: %s", cmd, comma(t.Read), files(len(r.Files)), secs, r.countsText(&t))
	if t.SkippedUnchanged > 0 {
		fmt.Fprintf(w, ", %s unchanged", comma(t.SkippedUnchanged))
	}
	if t.SkippedOtherShard > 0 {
		fmt.Fprintf(w, ", %s of other shards' objects", comma(t.SkippedOtherShard))
	}
	if t.Superseded > 0 {
		fmt.Fprintf(w, ", %s superseded by a later row of the same key", comma(t.Superseded))
	}
	if t.Deleted > 0 {
		fmt.Fprintf(w, " (%s of the emitted are deletes)", comma(t.Deleted))
	}
	if note := r.NothingDelivered(); note != "" {
		fmt.Fprintf(w, "; %s", note)
	}
	fmt.Fprintln(w)
	if len(r.Kinds) > 1 {
		for _, k := range sortedKinds(r.Kinds) {
			c := r.Kinds[k]
			fmt.Fprintf(w, "  %-21s %s read, %s", k+":", comma(c.Read), r.countsText(c))
			if c.Superseded > 0 {
				fmt.Fprintf(w, ", %s superseded", comma(c.Superseded))
			}
			if c.Deleted > 0 {
				fmt.Fprintf(w, ", %s deletes", comma(c.Deleted))
			}
			fmt.Fprintln(w)
		}
	}
	if h := r.HTTP; h != nil {
		fmt.Fprintf(w, "  delivery: %s to %s, %s acknowledged, %s\n", requests(h.Requests, h.Retries.Total()), h.Endpoint,
			comma(h.Messages), countOf(h.Refused, "refused"))
	}
	if r.Plan != nil {
		r.Plan.writeKeys(w)
	}
	r.rejections(w)
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
	for _, f := range wrote {
		if f.Note != "" {
			fmt.Fprintf(w, "  %s: %s (%s)\n", f.What, f.Path, f.Note)
		} else {
			fmt.Fprintf(w, "  %s: %s\n", f.What, f.Path)
		}
	}
}

// FailureLine is the one line --quiet adds to a failed run's errors: its
// exit code, what was delivered, and where the report is ("" for none).
func (r *Report) FailureLine(reportPath string) string {
	t := r.Totals
	line := fmt.Sprintf("failed (exit %d): %s of %s emitted rows delivered", r.ExitCode, comma(t.DeliveredOr(0)), comma(t.Emitted))
	if note := r.NothingDelivered(); note != "" {
		line += "; " + note
	}
	if reportPath != "" {
		line += "; report: " + reportPath
	}
	return line
}

// countsText says emitted (valid, for validate), delivered, undelivered
// and rejected, as the summary shows them.
func (r *Report) countsText(c *Counts) string {
	if r.Command == "validate" {
		return fmt.Sprintf("%s valid, %s rejected", comma(c.Emitted), comma(c.Rejected))
	}
	s := comma(c.Emitted) + " emitted"
	if c.Delivered != nil && !r.DryRun {
		s += ", " + comma(*c.Delivered) + " delivered"
		if c.Undelivered != nil && *c.Undelivered > 0 {
			s += ", " + comma(*c.Undelivered) + " undelivered"
		}
	}
	s += ", " + comma(c.Rejected) + " rejected"
	if c.Refused > 0 {
		s += fmt.Sprintf(" (%s refused by the API)", comma(c.Refused))
	}
	return s
}

// NothingDelivered says "nothing was delivered" when a run that had
// something to deliver delivered nothing ("" otherwise, and for
// validate).
func (r *Report) NothingDelivered() string {
	t := r.Totals
	switch {
	case r.Command == "validate" || t.DeliveredOr(0) > 0:
		return ""
	case r.DryRun:
		return "nothing was delivered (dry run)"
	case t.Emitted > 0 || r.ExitCode == 1:
		return "nothing was delivered"
	}
	return ""
}

// rejections writes why rows were rejected, with the first examples.
func (r *Report) rejections(w io.Writer) {
	if r.Totals.Rejected == 0 {
		return
	}
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
}

// Total is the number of retried requests, whatever the cause.
func (r Retries) Total() int64 {
	return r.TooManyRequests + r.ServerError + r.Timeout + r.Connection + r.Unexpected
}

// files says "1 file" or "n files".
func files(n int) string {
	if n == 1 {
		return "1 file"
	}
	return fmt.Sprintf("%d files", n)
}

// requests says "12 requests (3 retried)".
func requests(n, retried int64) string {
	s := countOf(n, "request")
	if n != 1 {
		s += "s"
	}
	if retried > 0 {
		s += fmt.Sprintf(" (%s retried)", comma(retried))
	}
	return s
}

// countOf says "n what" with thousands separators.
func countOf(n int64, what string) string { return strings.TrimSpace(comma(n) + " " + what) }
