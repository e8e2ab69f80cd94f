package state

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// writeState makes a state of n records and returns its path.
func writeState(t *testing.T, dir string, n int) string {
	t.Helper()
	path := filepath.Join(dir, "state.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	recs := make([]Record, n)
	for i := range recs {
		recs[i] = rec(i, uint64(i))
	}
	if err := s.Journal(recs); err != nil {
		t.Fatal(err)
	}
	if err := s.Consolidate("", nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// Every way a file can fail to be a state is a *DamagedError from Open and
// OpenReadOnly, never a panic and never a new, empty state.
func TestDamagedFiles(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	random := make([]byte, 64<<10)
	for i := range random {
		random[i] = byte(r.Uint32())
	}
	foreign := filepath.Join(t.TempDir(), "other.db")
	db, err := bolt.Open(foreign, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("users")); return err })
	db.Close()
	foreignData, _ := os.ReadFile(foreign)
	good, _ := os.ReadFile(writeState(t, t.TempDir(), 5000))
	// the data pages after the two meta pages scribbled over
	scribbled := append([]byte(nil), good...)
	for i := 2 * 4096; i < len(scribbled); i++ {
		scribbled[i] = byte(r.Uint32())
	}
	for name, data := range map[string][]byte{
		"empty":     {},
		"random":    random,
		"text":      []byte("company_id,name\nc1,Acme\n"),
		"foreign":   foreignData,
		"truncated": good[:len(good)/3],
		"scribbled": scribbled,
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.db")
			os.WriteFile(path, data, 0o600)
			for _, ro := range []bool{false, true, false} { // no lock left behind
				var s *Store
				var err error
				if ro {
					s, err = OpenReadOnly(path)
				} else {
					s, err = Open(path)
				}
				if err == nil {
					// damage inside the pages shows when they are read
					err = s.Check()
					s.Close()
				}
				var de *DamagedError
				if !errors.As(err, &de) || !errors.Is(err, ErrDamaged) || de.Path != path {
					t.Fatalf("read-only %v: %v, want a DamagedError", ro, err)
				}
				if !strings.Contains(err.Error(), "the state file is damaged") {
					t.Errorf("message %q", err)
				}
				after, _ := os.ReadFile(path)
				if !bytes.Equal(after, data) {
					t.Errorf("read-only %v: opening a damaged file changed it", ro)
				}
				entries, _ := os.ReadDir(filepath.Dir(path))
				if len(entries) != 1 {
					t.Errorf("files left beside the state: %v", entries)
				}
			}
		})
	}
}

// A missing file becomes a whole state at once (no moment with an empty
// file under its name); a damaged file moved aside frees the name.
func TestCreateAndMoveAside(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("files after creating: %v", entries)
	}
	if st, _ := os.Stat(path); st.Size() == 0 || st.Mode().Perm() != 0o600 {
		t.Fatalf("new state: %v", st)
	}
	os.WriteFile(path, nil, 0o600)
	if _, err := Open(path); !errors.Is(err, ErrDamaged) {
		t.Fatalf("empty file: %v", err)
	}
	to, err := MoveAside(path, time.Date(2024, 6, 1, 2, 10, 0, 0, time.UTC))
	if err != nil || to != path+".damaged-20240601T021000Z" {
		t.Fatalf("moved to %q: %v", to, err)
	}
	if s, err = Open(path); err != nil {
		t.Fatal(err)
	}
	s.Close()
}

// A read-only open works on a read-only file in a read-only directory,
// sees what a killed run journalled, and changes nothing.
func TestOpenReadOnly(t *testing.T) {
	// (root ignores the modes: then the file's bytes and the directory's
	// listing carry the test)
	dir := t.TempDir()
	path := writeState(t, dir, 100)
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	extra := rec(100, 7)
	if err := s.Journal([]Record{extra}); err != nil { // a killed run's acknowledgement
		t.Fatal(err)
	}
	s.Close()
	before, _ := os.ReadFile(path)
	os.Chmod(path, 0o444)
	os.Chmod(dir, 0o555)
	defer os.Chmod(dir, 0o755)

	ro, err := OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	got := all(t, ro)
	if len(got) != 101 || got[extra.Key].Hash != 7 {
		t.Errorf("read-only view: %d records", len(got))
	}
	if err := ro.SaveRun(&RunInfo{}); err == nil {
		t.Error("a read-only store wrote")
	}
	// (the journal was folded in on a private copy, gone with Close)
	ro.Close()
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Error("the file changed")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("files in the directory: %v", entries)
	}
}

// Readers share the lock; a writer is refused while one reads.
func TestReadOnlyLock(t *testing.T) {
	path := writeState(t, t.TempDir(), 10)
	ro, err := OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	ro2, err := OpenReadOnly(path)
	if err != nil {
		t.Fatalf("second reader: %v", err)
	}
	ro2.Close()
	_, err = Open(path)
	var le interface{ Locked() bool }
	if !errors.Is(err, ErrLocked) || !errors.As(err, &le) {
		t.Errorf("writer while a reader holds the lock: %v", err)
	}
}

func TestEmpty(t *testing.T) {
	s := Empty("missing.db")
	if got := all(t, s); len(got) != 0 {
		t.Error("records in an empty store")
	}
	if ri, err := s.LastRun(); ri != nil || err != nil {
		t.Error(ri, err)
	}
	if err := s.Journal([]Record{rec(1, 1)}); err == nil {
		t.Error("an empty store wrote")
	}
	s.Close()
}
