package state

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime/debug"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/groupimport/groupimport/internal/atomicfile"
)

// ErrLocked is matched (errors.Is) by the error of opening a state file
// whose lock another process holds.
var ErrLocked = errors.New("another groupimport run is using this state file (its lock is held); if no run is going on, check for a stuck process")

// LockError is the error of opening a state file another process holds.
type LockError struct{ Path string }

func (e *LockError) Error() string { return fmt.Sprintf("state %s: %v", e.Path, ErrLocked) }

// Is makes errors.Is(err, ErrLocked) true.
func (e *LockError) Is(target error) bool { return target == ErrLocked }

// Locked says that nothing was done because another run holds a lock.
func (e *LockError) Locked() bool { return true }

// ErrDamaged is matched (errors.Is) by every DamagedError.
var ErrDamaged = errors.New("the state file is damaged")

// DamagedError says the file at Path is not a whole state of this tool: it
// is empty, not a bbolt file, another program's bbolt file, or corrupt.
type DamagedError struct {
	Path string
	Err  error // what is wrong
}

func (e *DamagedError) Error() string {
	return fmt.Sprintf("the state file is damaged: %s: %v", e.Path, e.Err)
}

// Unwrap gives ErrDamaged and the cause.
func (e *DamagedError) Unwrap() []error { return []error{ErrDamaged, e.Err} }

const lockTimeout = 300 * time.Millisecond

// Open opens the state file at path for a run that delivers, and takes its
// lock: a second process gets a *LockError. A missing file is a first run:
// a new state is written under a temporary name and linked into place, so
// the file at path is always a whole state that this tool wrote. A file
// that is not (empty, not a bbolt file, without this tool's marker,
// corrupt) is a *DamagedError; it is never taken for a new state.
func Open(path string) (*Store, error) {
	if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		if err := create(path); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, fmt.Errorf("state %s: %w", path, err)
	}
	return open(path, false)
}

// OpenReadOnly opens an existing state file without writing to it or to
// its directory (for dry runs; the file and its directory may be
// read-only). It shares the lock with other readers: a run that delivers
// holds it alone. What a killed run journalled is folded in on a private
// temporary copy, never in the file.
func OpenReadOnly(path string) (*Store, error) {
	s, err := open(path, true)
	if err != nil {
		return nil, err
	}
	n, err := s.JournalLen()
	if err == nil && n > 0 {
		var c *Store
		if c, err = s.consolidatedCopy(); err == nil {
			s.Close()
			return c, nil
		}
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Empty is a state with no records that writes nothing: a dry run's stand
// in for a state file that does not exist yet.
func Empty(path string) *Store { return &Store{path: path, readOnly: true} }

// MoveAside renames a damaged state file to PATH.damaged-TIME (UTC) and
// returns the new name.
func MoveAside(path string, now time.Time) (string, error) {
	to := path + ".damaged-" + now.UTC().Format("20060102T150405Z")
	if _, err := os.Lstat(to); err == nil {
		to += "-" + strconv.FormatInt(now.UnixNano(), 10)
	}
	if err := os.Rename(path, to); err != nil {
		return "", fmt.Errorf("moving the damaged state file aside: %w", err)
	}
	return to, nil
}

// Check reads every record of the state, to find damage before a run
// relies on it (a run with --full, which may move a damaged file aside).
func (s *Store) Check() (err error) {
	if s.db == nil {
		return nil
	}
	defer s.recoverDamage(&err, debug.SetPanicOnFault(true))
	err = s.db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			if string(name) == string(blockBucket(s.gen)) {
				return checkBlocks(b)
			}
			return b.ForEach(func(k, v []byte) error {
				switch {
				case string(name) == string(genBucket(s.gen)):
					_, err := decodeRecord(k, v)
					return err
				case string(name) == string(bucketJournal) && len(v) >= 16:
					_, err := decodeRecord(v[:16], v[16:])
					return err
				case string(name) == string(bucketJournal):
					return errCorrupt
				}
				return nil
			})
		})
	})
	if err != nil && !errors.Is(err, ErrDamaged) {
		err = &DamagedError{Path: s.path, Err: err}
	}
	return err
}

// create writes a new, empty state at path: in a temporary file first,
// linked into place only once whole (a second first run racing this one
// finds the file there and opens it instead).
func create(path string) error {
	f, err := atomicfile.CreateWith(path, atomicfile.Options{Perm: 0o600, Unique: true})
	if err != nil {
		return fmt.Errorf("state %s: creating it: %w", path, err)
	}
	defer f.Abort() // a no-op once committed
	db, err := bolt.Open(f.TempName(), 0o600, &bolt.Options{Timeout: lockTimeout, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return fmt.Errorf("state %s: creating it: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucket(bucketMeta)
		if err != nil {
			return err
		}
		if err := meta.Put(keyVersion, []byte(formatVersion)); err != nil {
			return err
		}
		if _, err := tx.CreateBucket(bucketJournal); err != nil {
			return err
		}
		_, err = tx.CreateBucket(blockBucket(0))
		return err
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = f.CommitNew()
	}
	if errors.Is(err, fs.ErrExist) {
		return nil // a racing run created it: open that one
	}
	if err != nil {
		return fmt.Errorf("state %s: creating it: %w", path, err)
	}
	return nil
}

// open opens an existing state file and checks that it is one.
func open(path string, readOnly bool) (_ *Store, err error) {
	s := &Store{path: path, inPlace: inPlaceLimit, readOnly: readOnly}
	// bbolt's file, to release its lock if bbolt panics inside Open
	var file *os.File
	openFile := func(name string, flag int, mode os.FileMode) (*os.File, error) {
		f, err := os.OpenFile(name, flag, mode)
		file = f
		return f, err
	}
	defer func() {
		switch {
		case err == nil:
		case s.db != nil:
			closeQuietly(s.db)
			s.db = nil
		case file != nil:
			unlock(file)
			file.Close()
		}
	}()
	defer s.recoverDamage(&err, debug.SetPanicOnFault(true))
	st, err := os.Stat(path)
	switch {
	case err != nil:
		return nil, fmt.Errorf("state %s: %w", path, err)
	case st.IsDir():
		return nil, fmt.Errorf("state %s: a directory, not a file", path)
	case st.Size() == 0:
		// this tool never leaves an empty file under a state's name
		return nil, &DamagedError{Path: path, Err: errors.New("the file is empty (0 bytes), so it is not a state this tool wrote")}
	}
	s.db, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: lockTimeout, FreelistType: bolt.FreelistMapType, ReadOnly: readOnly,
		OpenFile: openFile})
	switch {
	case errors.Is(err, bolt.ErrTimeout):
		return nil, &LockError{Path: path}
	case errors.Is(err, fs.ErrPermission):
		return nil, fmt.Errorf("state %s: %w", path, err)
	case err != nil:
		return nil, &DamagedError{Path: path, Err: err}
	}
	check := func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil || meta.Get(keyVersion) == nil {
			return &DamagedError{Path: path, Err: errors.New("a bbolt file without groupimport's marker: not a state this tool wrote")}
		}
		if v := meta.Get(keyVersion); string(v) != formatVersion && string(v) != formatPerRecord {
			return fmt.Errorf("state %s: the file has format %s; this groupimport reads formats %s and %s", path, v, formatPerRecord, formatVersion)
		}
		if v := meta.Get(keyGen); v != nil {
			g, perr := strconv.ParseUint(string(v), 10, 64)
			if perr != nil {
				return &DamagedError{Path: path, Err: fmt.Errorf("generation %q", v)}
			}
			s.gen = g
		}
		if tx.Bucket(bucketJournal) == nil {
			return &DamagedError{Path: path, Err: errors.New("the journal is missing")}
		}
		s.blocks = tx.Bucket(blockBucket(s.gen)) != nil
		if !s.blocks && tx.Bucket(genBucket(s.gen)) == nil && s.gen > 0 {
			return &DamagedError{Path: path, Err: fmt.Errorf("generation %d is missing", s.gen)}
		}
		return nil
	}
	// read only: a damaged file is never written to
	if err := s.db.View(check); err != nil {
		return nil, err
	}
	return s, nil
}

// closeQuietly closes a database that may be damaged.
func closeQuietly(db *bolt.DB) {
	defer func() { recover() }()
	db.Close()
}

// recoverDamage turns a panic of bbolt (or a memory fault, with
// debug.SetPanicOnFault) on a corrupt file, and a corrupt record, into a
// *DamagedError, and sets panic-on-fault back as it was. The methods that
// read or write the file defer it directly, as
// defer s.recoverDamage(&err, debug.SetPanicOnFault(true)).
func (s *Store) recoverDamage(err *error, panicOnFault bool) {
	defer debug.SetPanicOnFault(panicOnFault)
	if p := recover(); p != nil {
		*err = &DamagedError{Path: s.path, Err: fmt.Errorf("reading it failed: %v", p)}
	}
	if *err != nil && errors.Is(*err, errCorrupt) && !errors.Is(*err, ErrDamaged) {
		*err = &DamagedError{Path: s.path, Err: *err}
	}
}

// consolidatedCopy copies the state (a consistent snapshot) to a private
// temporary file and folds the journal in there.
func (s *Store) consolidatedCopy() (c *Store, err error) {
	defer s.recoverDamage(&err, debug.SetPanicOnFault(true))
	f, err := os.CreateTemp("", "groupimport-state-copy-*")
	if err != nil {
		return nil, fmt.Errorf("state %s: a private copy: %w", s.path, err)
	}
	name := f.Name()
	err = s.db.View(func(tx *bolt.Tx) error {
		_, err := tx.WriteTo(f)
		return err
	})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		c, err = open(name, false)
	}
	if err == nil {
		c.path, c.tmpCopy = s.path, name
		if err = c.Consolidate("", nil); err != nil {
			c.Close()
		}
		c.readOnly = true
	}
	if err != nil {
		os.Remove(name)
		return nil, err
	}
	return c, nil
}
