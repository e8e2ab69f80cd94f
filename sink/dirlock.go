package sink

import (
	"errors"
	"os"
)

// LockFileName is the lock file a run keeps in its --out directory.
const LockFileName = ".groupimport.lock"

// ErrOutputLocked is returned when another run is writing into the output
// directory (it holds the directory's lock).
var ErrOutputLocked = errors.New("another groupimport run is writing into this output directory (it holds the lock)")

// DirLock is an output directory's lock, held from the start of a run until
// everything is written.
type DirLock struct {
	f    *os.File
	path string
}

// Release removes the lock file and lets go of the lock.
func (l *DirLock) Release() {
	if l == nil || l.f == nil {
		return
	}
	// Removed while still held: a run that opened the file meanwhile
	// finds, once it has the lock, that the file is no longer the one at
	// the path, and takes the lock of a new one.
	os.Remove(l.path)
	l.f.Close()
	l.f = nil
}
