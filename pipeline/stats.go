package pipeline

import "github.com/groupimport/groupimport/transform"

// addStats merges a batch's payload statistics into the run's, in input
// order (the writer's), so that they are the same from run to run.
func (r *Result) addStats(b *built) {
	if b.stats == nil {
		return
	}
	f := r.Files[b.file]
	if r.Stats == nil {
		r.Stats = map[transform.Kind]*transform.Stats{}
	}
	st := r.Stats[f.Kind]
	if st == nil {
		st = &transform.Stats{Kind: f.Kind, Fields: map[string]*transform.FieldStats{}}
		r.Stats[f.Kind] = st
	}
	st.MergeBatch(b.stats, f.Path)
}
