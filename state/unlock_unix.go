//go:build unix

package state

import (
	"os"
	"syscall"
)

// unlock releases a flock on f. Closing f is not enough when bbolt
// panicked inside Open: its memory map of the file keeps the open file,
// and so the lock, alive.
func unlock(f *os.File) { syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }
