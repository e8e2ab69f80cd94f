// Package statetest holds what tests of the state's users need to shape a
// state file, such as one written by an older version.
package statetest

import "github.com/groupimport/groupimport/state"

// ForgetTraitHashes rewrites every record of the state at path without its
// trait hashes, as a version before them wrote it.
func ForgetTraitHashes(path string) error {
	s, err := state.Open(path)
	if err != nil {
		return err
	}
	defer s.Close()
	var recs []state.Record
	err = s.View(func(it *state.Iter) error {
		for {
			r, ok, err := it.Next()
			if err != nil || !ok {
				return err
			}
			recs = append(recs, r) // View leaves the trait hashes out
		}
	})
	if err == nil {
		err = s.Journal(recs)
	}
	if err == nil {
		err = s.Consolidate("", nil)
	}
	return err
}
