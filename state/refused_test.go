package state

import (
	"path/filepath"
	"testing"
)

// The refused keys survive a reopen and a consolidation, are replaced
// whole, kept to MaxRefused, and read from a read-only copy.
func TestRefusedKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if m, err := s.Refused(); err != nil || m != nil {
		t.Fatalf("a new state knows refusals: %v %v", m, err)
	}
	want := map[[16]byte]uint64{rec(1, 0).Key: 11, rec(2, 0).Key: 22}
	if err := s.SaveRefused(want); err != nil {
		t.Fatal(err)
	}
	if err := s.Journal([]Record{rec(3, 3)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Consolidate("", nil); err != nil {
		t.Fatal(err)
	}
	s.Close()
	ro, err := OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ro.Refused()
	ro.Close()
	if err != nil || len(got) != 2 || got[rec(1, 0).Key] != 11 || got[rec(2, 0).Key] != 22 {
		t.Fatalf("read back %v, %v", got, err)
	}
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Check(); err != nil {
		t.Fatalf("a state with refusals fails its check: %v", err)
	}
	many := map[[16]byte]uint64{}
	for i := 0; i < MaxRefused+10; i++ {
		many[rec(i, 0).Key] = uint64(i)
	}
	if err := s.SaveRefused(many); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Refused(); len(got) != MaxRefused {
		t.Errorf("%d refused keys kept, want %d", len(got), MaxRefused)
	}
	if err := s.SaveRefused(nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Refused(); got != nil {
		t.Errorf("emptied, yet %d refused keys", len(got))
	}
}
