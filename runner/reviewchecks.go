package runner

// The review's referential and identity checks: the set of the run's
// objects shared by the transformers (transform.ReviewKeys), and what the
// statistics found, looked up in the state where it can tell.

import (
	"golang.org/x/text/unicode/norm"

	"github.com/groupimport/groupimport/pipeline"
	"github.com/groupimport/groupimport/report"
	"github.com/groupimport/groupimport/state"
	"github.com/groupimport/groupimport/transform"
)

// personThreshold is the number of memberships above which a person is
// unusual (a shared, test or placeholder id).
const personThreshold = 1000

// newReviewKeys returns the set of objects for the review's checks (nil
// when the run writes no review or has nothing to check).
func (c *config) newReviewKeys() *transform.ReviewKeys {
	companies := len(c.Companies) > 0
	// without memberships there is nothing to check, and keeping every
	// company's key cost 3% of a 1M-company review's CPU time
	if !c.reviewing() || len(c.Memberships) == 0 || !companies && c.StateFile == "" {
		return nil
	}
	return transform.NewReviewKeys(len(c.Memberships) > 0 && (companies || c.StateFile != ""), companies)
}

// reviewChecks converts what the statistics found for the review; store,
// when set, is asked about the objects the companies input lacks.
func reviewChecks(rk *transform.ReviewKeys, res *pipeline.Result, store *state.Store) (*report.Checks, error) {
	if res == nil || res.Stats == nil {
		return nil, nil
	}
	cs, ms := res.Stats[transform.Companies], res.Stats[transform.Memberships]
	c := &report.Checks{}
	if ms != nil && rk != nil && rk.Check {
		oc, err := orphanCheck(ms.Orphans, rk, store)
		if err != nil {
			return nil, err
		}
		c.Orphans = oc
	}
	if rk != nil && rk.Companies && ms != nil {
		if n, ok := rk.Unreferenced(); ok {
			c.Unreferenced = &n
		}
	}
	if ms != nil {
		top, exact := ms.TopPersons(10)
		if len(top) > 0 {
			pc := &report.PersonCheck{Threshold: personThreshold, Exact: exact, Top: valueCounts(top), Over: []report.ValueCount{}}
			for _, p := range pc.Top {
				if p.Count > personThreshold {
					pc.Over = append(pc.Over, p)
				}
			}
			c.Persons = pc
		}
	}
	for _, st := range []*transform.Stats{cs, ms} {
		if st == nil {
			continue
		}
		if st.NameLike.N > 0 {
			c.NameLike = append(c.NameLike, report.IDCheck{Kind: string(st.Kind), Count: st.NameLike.N, First: idRows(st.NameLike.First)})
		}
		if st.Spaced.N > 0 {
			c.Spaced = append(c.Spaced, report.IDCheck{Kind: string(st.Kind), Count: st.Spaced.N, First: idRows(st.Spaced.First)})
		}
	}
	if cs != nil {
		groups := cs.CaseVariants(rk)
		v := &report.VariantCheck{Groups: len(groups), First: [][]report.IDRow{}, NotCompared: cs.ChangersDropped}
		for i, g := range groups {
			if i == 20 {
				break
			}
			v.First = append(v.First, idRows(g))
		}
		c.CaseVariants = v
	}
	return c, nil
}

// orphanCheck counts the memberships whose object is in neither the
// companies input nor (with store) the state.
func orphanCheck(orphans transform.Orphans, rk *transform.ReviewKeys, store *state.Store) (*report.OrphanCheck, error) {
	oc := &report.OrphanCheck{CheckedAgainst: "companies", LowerBound: orphans.Overflow || !rk.Exact()}
	if store != nil {
		oc.CheckedAgainst = "companies+state"
		if !rk.Companies {
			oc.CheckedAgainst = "state"
		}
		keys := make([][16]byte, 0, len(orphans.ByKey))
		for k := range orphans.ByKey {
			keys = append(keys, k)
		}
		for _, ex := range orphans.First {
			keys = append(keys, ex.Key())
		}
		known := map[[16]byte]bool{}
		err := store.Lookup(keys, func(k [16]byte, r state.Record, ok bool) {
			known[k] = ok && !r.Deleted
		})
		if err != nil {
			return nil, err
		}
		orphans.Forget(func(k [16]byte) bool { return known[k] })
	}
	oc.Count, oc.Objects, oc.First = orphans.N, int64(len(orphans.ByKey)), idRows(orphans.First)
	return oc, nil
}

func idRows(exs []transform.Example) []report.IDRow {
	out := []report.IDRow{}
	for _, ex := range exs {
		out = append(out, report.IDRow{File: ex.File, Line: ex.Line, Row: ex.Row, GroupID: ex.Value, ObjectTypeID: ex.ObjType,
			NotNFC: !norm.NFC.IsNormalString(ex.Value)})
	}
	return out
}

func valueCounts(vs []transform.ValueCount) []report.ValueCount {
	out := make([]report.ValueCount, 0, len(vs))
	for _, v := range vs {
		out = append(out, report.ValueCount{Value: v.Value, Count: v.Count})
	}
	return out
}

// addReviewChecks adds the checks to the review.
func addReviewChecks(rv *report.Review, rk *transform.ReviewKeys, res *pipeline.Result, store *state.Store) error {
	c, err := reviewChecks(rk, res, store)
	if err != nil {
		return err
	}
	rv.SetChecks(c)
	return nil
}
