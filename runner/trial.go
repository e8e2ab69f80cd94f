package runner

import (
	"fmt"
	"io"
	"sort"

	"github.com/groupimport/groupimport/importer"
	"github.com/groupimport/groupimport/record"
	"github.com/groupimport/groupimport/transform"
)

// trial is what a run with a mapping does to every row of a file, as
// inspect tells it: the calls built, the rows rejected by reason, and the
// builder's warnings (values sent as read that the inferred type did not
// fit, odd dates, padded ids, …).
type trial struct {
	rows, calls, deletes, rejected int64
	reasons                        map[string]*trialReason
	warnings                       map[string]int64
	err                            error // the file's, or the mapping's
}

// trialReason counts the rows rejected for one reason, with the first.
type trialReason struct {
	n     int64
	first string
}

// trialRun builds every row of a file with mapping km, as a run would,
// delivering nothing.
func trialRun(kind transform.Kind, km *transform.KindMapping, path string, ro importer.Options) (tr *trial) {
	tr = &trial{reasons: map[string]*trialReason{}}
	defer func() {
		if p := recover(); p != nil {
			tr.err = fmt.Errorf("the reader failed on this file: %v", p)
		}
	}()
	t, err := transform.New(transform.Config{Kind: kind, Mapping: km, ClockTimestamp: true})
	if err != nil {
		tr.err = err
		return tr
	}
	r, _, err := importer.Open(path, ro)
	if err != nil {
		tr.err = err
		return tr
	}
	defer r.Close()
	bl := t.NewBuilder()
	b := record.NewBatch(4096, 1<<20)
	var dst []byte
	for {
		b.Reset()
		rerr := r.Next(b, 4096)
		for i := range b.Rows {
			dst = tr.build(bl, &b.Rows[i], dst[:0])
		}
		if rerr != nil {
			if rerr != io.EOF {
				tr.err = rerr
			}
			break
		}
	}
	tr.warnings = bl.Warnings
	return tr
}

// build builds one row.
func (tr *trial) build(bl *transform.Builder, row *record.Row, dst []byte) []byte {
	tr.rows++
	code, why := "", ""
	if row.Err != nil {
		code, why = row.Err.Code, row.Err.Error()
	} else {
		var out transform.Out
		var rerr *transform.RowError
		dst, out, rerr = bl.Append(dst, row)
		switch {
		case rerr != nil:
			code, why = rerr.Code, rerr.Error()
		case out.Delete:
			tr.deletes++
			return dst
		default:
			tr.calls++
			return dst
		}
	}
	tr.rejected++
	r := tr.reasons[code]
	if r == nil {
		where := fmt.Sprintf("row %d", row.Num)
		if row.Line > 0 {
			where = fmt.Sprintf("line %d", row.Line)
		}
		r = &trialReason{first: where + ": " + why}
		tr.reasons[code] = r
	}
	r.n++
	return dst
}

// printTrial prints what a run with the inferred (or starter) mapping
// would do.
func printTrial(w io.Writer, tr *trial, starter bool) {
	which := "this mapping"
	if starter {
		which = "the starter mapping"
	}
	if tr.err != nil && tr.rows == 0 {
		fmt.Fprintf(w, "  a run with %s: %v\n", which, tr.err)
		return
	}
	fmt.Fprintf(w, "  a run with %s: %d rows: %d calls", which, tr.rows, tr.calls)
	if tr.deletes > 0 {
		fmt.Fprintf(w, ", %d deletes", tr.deletes)
	}
	fmt.Fprintf(w, ", %d rejected\n", tr.rejected)
	codes := make([]string, 0, len(tr.reasons))
	for c := range tr.reasons {
		codes = append(codes, c)
	}
	sort.Slice(codes, func(i, j int) bool {
		a, b := tr.reasons[codes[i]], tr.reasons[codes[j]]
		return a.n > b.n || a.n == b.n && codes[i] < codes[j]
	})
	for _, c := range codes {
		fmt.Fprintf(w, "    rejected %d× %s, e.g. %s\n", tr.reasons[c].n, c, tr.reasons[c].first)
	}
	var warns []string
	for m, n := range tr.warnings {
		warns = append(warns, fmt.Sprintf("    warning: %s (%d)", m, n))
	}
	sort.Strings(warns)
	for _, s := range warns {
		fmt.Fprintln(w, s)
	}
}
