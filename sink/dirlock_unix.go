//go:build unix

package sink

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// LockOutputDir takes dir's lock: an flock on dir/.groupimport.lock,
// created if needed, without waiting. It fails with ErrOutputLocked when
// another process holds it. The kernel lets go of it when the process
// ends, however it ends.
func LockOutputDir(dir string) (*DirLock, error) {
	path := filepath.Join(dir, LockFileName)
	for range 100 {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
		if err != nil {
			return nil, fmt.Errorf("output directory: locking it: %w", err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, fmt.Errorf("%w: %s; wait for it to end, or give another --out", ErrOutputLocked, dir)
			}
			return nil, fmt.Errorf("output directory: locking %s: %w", path, err)
		}
		// The run that held it may have removed the file between our open
		// and our lock: then ours is a lock on nothing.
		held, err1 := f.Stat()
		now, err2 := os.Stat(path)
		if err1 == nil && err2 == nil && os.SameFile(held, now) {
			return &DirLock{f: f, path: path}, nil
		}
		f.Close()
	}
	return nil, fmt.Errorf("output directory: locking %s: the lock file keeps being replaced", path)
}
