package importer

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// ErrChanged is wrapped by the error for a file that a writer changed
// (truncated, appended to, rewritten) while it was read: what was read is
// not the file, and its last value may be cut.
var ErrChanged = errors.New("the file changed while it was read")

// watchedFile reads a regular file and, when it reaches the end, compares
// the file with what it was when opened: the same size and modification
// time, and every byte of it read. A change is an error instead of the end.
type watchedFile struct {
	f  *os.File
	st os.FileInfo // at open
	n  int64       // bytes read
}

func (w *watchedFile) Read(p []byte) (int, error) {
	n, err := w.f.Read(p)
	w.n += int64(n)
	if err == io.EOF {
		if cerr := w.unchanged(true); cerr != nil {
			return n, cerr
		}
	}
	return n, err
}

// unchanged compares the file now with the file at open; whole says that
// every byte should have been read.
func (w *watchedFile) unchanged(whole bool) error {
	now, err := w.f.Stat()
	if err != nil {
		return fmt.Errorf("%w: it cannot be examined any more: %v", ErrChanged, err)
	}
	const how = "read it again once the writer is done"
	switch {
	case now.Size() != w.st.Size():
		return fmt.Errorf("%w: it had %d bytes when opened and %d at the end of reading (truncated or appended to); %s",
			ErrChanged, w.st.Size(), now.Size(), how)
	case !now.ModTime().Equal(w.st.ModTime()):
		return fmt.Errorf("%w: it was modified at %s, after it was opened (modified at %s then); %s",
			ErrChanged, now.ModTime().UTC().Format(time.RFC3339Nano), w.st.ModTime().UTC().Format(time.RFC3339Nano), how)
	case whole && w.n != w.st.Size():
		return fmt.Errorf("%w: %d bytes were read of the %d it has; %s", ErrChanged, w.n, w.st.Size(), how)
	}
	return nil
}
