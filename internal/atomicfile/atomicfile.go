// Package atomicfile writes a file that appears under its final name only
// when it is complete.
//
// The data goes to a temporary file in the same directory (so the rename
// stays within one file system). Commit syncs it, renames it to the final
// name and syncs the directory, so that after a crash the final name holds
// either what it held before or the complete new file, never a part of
// it. A file that is never committed (an error, Abort, a killed process)
// leaves at most its temporary file, never its final name.
//
// Temporary names are hidden: .NAME.tmp, or .NAME.RANDOM.tmp with
// Options.Unique. The fixed name means that a run killed before Commit
// leaves one file that the next run's Create replaces, not a new one
// each time.
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Options change how a File is created. The zero value is mode 0644 and
// the fixed temporary name.
type Options struct {
	// Perm is the file's mode (default 0644), set whatever the umask.
	Perm fs.FileMode
	// Unique names the temporary file .NAME.RANDOM.tmp instead of
	// .NAME.tmp, for writers that may work on one path at the same time.
	Unique bool
}

// File is a file being written under a temporary name. Its methods are
// not safe for concurrent use.
type File struct {
	path string
	f    *os.File
	done bool
	// syncDir syncs the directory after the rename (replaced in tests).
	syncDir func(dir string) error
}

// TempName is the temporary name Create uses for path (without
// Options.Unique): what a killed run may leave behind.
func TempName(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
}

// Create starts writing the file that will be path, with mode 0644 and
// the fixed temporary name.
func Create(path string) (*File, error) { return CreateWith(path, Options{}) }

// CreateWith starts writing the file that will be path.
func CreateWith(path string, o Options) (*File, error) {
	if o.Perm == 0 {
		o.Perm = 0o644
	}
	var f *os.File
	var err error
	if o.Unique {
		f, err = os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	} else {
		f, err = os.OpenFile(TempName(path), os.O_CREATE|os.O_TRUNC|os.O_WRONLY, o.Perm)
	}
	if err != nil {
		return nil, err
	}
	// CreateTemp makes 0600 files, the umask narrows OpenFile's mode, and
	// a temporary file left by an earlier run keeps the mode it had.
	if err := f.Chmod(o.Perm); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return &File{path: path, f: f, syncDir: SyncDir}, nil
}

// Name is the final path.
func (f *File) Name() string { return f.path }

// TempName is the path of the temporary file, for a writer that must open
// it by name (a database); such a writer must have closed it before
// Commit.
func (f *File) TempName() string { return f.f.Name() }

// Write appends to the temporary file.
func (f *File) Write(p []byte) (int, error) { return f.f.Write(p) }

// Commit syncs the file, renames it to its final name (replacing what was
// there) and syncs the directory. On an error the temporary file is
// removed and the final name is left as it was (unless only the
// directory's sync failed: then the file is in place but may not survive
// a crash).
func (f *File) Commit() error {
	return f.commit(func(tmp string) error { return os.Rename(tmp, f.path) })
}

// CommitNew is Commit for a file that must not replace another: when the
// final name exists already, the temporary file is removed and the error
// matches fs.ErrExist.
func (f *File) CommitNew() error {
	return f.commit(func(tmp string) error {
		err := os.Link(tmp, f.path)
		if err == nil {
			return os.Remove(tmp)
		}
		if errors.Is(err, fs.ErrExist) {
			return err
		}
		// a file system without hard links: a rename, unless the name
		// was taken meanwhile (a small window where Link has none)
		if _, serr := os.Lstat(f.path); !errors.Is(serr, fs.ErrNotExist) {
			return &fs.PathError{Op: "link", Path: f.path, Err: fs.ErrExist}
		}
		return os.Rename(tmp, f.path)
	})
}

func (f *File) commit(place func(tmp string) error) error {
	if f.done {
		return fmt.Errorf("%s: committed or aborted already", f.path)
	}
	f.done = true
	tmp := f.f.Name()
	err := f.f.Sync()
	if cerr := f.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = place(tmp)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return f.syncDir(filepath.Dir(f.path))
}

// Abort closes and removes the temporary file; the final name is left as
// it was. It does nothing after Commit, so it can be deferred.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.f.Close()
	os.Remove(f.f.Name())
}

// WriteFile writes data to path through a temporary file (mode 0644):
// path holds either what it held before or all of data.
func WriteFile(path string, data []byte) error {
	f, err := Create(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := f.Write(data); err != nil {
		return err
	}
	return f.Commit()
}
