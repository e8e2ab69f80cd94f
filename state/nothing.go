package state

import "runtime/debug"

// HoldsNothing reports whether the state remembers nothing a run could
// compare with: no record in the current generation, none journalled, no
// refusal. A run against such a state (a first run) finds every key new.
func (s *Store) HoldsNothing() (nothing bool, err error) {
	if s.db == nil {
		return true, nil
	}
	defer s.recoverDamage(&err, debug.SetPanicOnFault(true))
	if empty, err := s.emptyGeneration(); err != nil || !empty {
		return false, err
	}
	if n, err := s.JournalLen(); err != nil || n > 0 {
		return false, err
	}
	refused, err := s.Refused()
	return len(refused) == 0, err
}
