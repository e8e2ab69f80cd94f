//go:build unix

package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

func read(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func missing(path string) bool {
	_, err := os.Lstat(path)
	return errors.Is(err, fs.ErrNotExist)
}

// entries lists the names in dir.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// The child of TestCrashBeforeCommit: it writes, says so, and waits to be
// killed.
func TestMain(m *testing.M) {
	if path := os.Getenv("ATOMICFILE_CRASH_CHILD"); path != "" {
		f, err := Create(path)
		if err != nil {
			os.Exit(2)
		}
		f.Write([]byte("new and incomplete"))
		os.Stdout.Write([]byte("written\n"))
		select {}
	}
	os.Exit(m.Run())
}

// A process killed between Write and Commit leaves the final name as it
// was (absent, or the old content) and at most the temporary file, which
// the next Create replaces.
func TestCrashBeforeCommit(t *testing.T) {
	for _, old := range []string{"", "the old content"} {
		dir := t.TempDir()
		path := filepath.Join(dir, "report.json")
		if old != "" {
			os.WriteFile(path, []byte(old), 0o644)
		}
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "ATOMICFILE_CRASH_CHILD="+path)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 8)
		if n, _ := out.Read(buf); string(buf[:n]) != "written\n" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("the child said %q", buf[:n])
		}
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		switch {
		case old == "" && !missing(path):
			t.Errorf("a crash before Commit left %s", path)
		case old != "" && read(t, path) != old:
			t.Errorf("a crash before Commit changed %s to %q", path, read(t, path))
		}
		if got := read(t, TempName(path)); got != "new and incomplete" {
			t.Errorf("temporary file %q", got)
		}
		if err := WriteFile(path, []byte("complete")); err != nil {
			t.Fatal(err)
		}
		if got := read(t, path); got != "complete" || !missing(TempName(path)) {
			t.Errorf("the next run: %q, entries %v", got, entries(t, dir))
		}
	}
}

// Commit renames the synced file into place, leaves no temporary file,
// syncs the directory, and sets the mode whatever the umask.
func TestCommit(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "part.ndjson")
	os.WriteFile(path, []byte("old"), 0o600)
	old := syscall.Umask(0o077)
	f, err := Create(path)
	syscall.Umask(old)
	if err != nil {
		t.Fatal(err)
	}
	var synced []string
	f.syncDir = func(d string) error { synced = append(synced, d); return SyncDir(d) }
	if _, err := f.Write([]byte("line 1\n")); err != nil {
		t.Fatal(err)
	}
	if got := read(t, path); got != "old" {
		t.Fatalf("before Commit the final name holds %q", got)
	}
	if f.TempName() != TempName(path) || f.Name() != path {
		t.Errorf("names %s, %s", f.TempName(), f.Name())
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := read(t, path); got != "line 1\n" {
		t.Errorf("after Commit: %q", got)
	}
	if names := entries(t, dir); len(names) != 1 {
		t.Errorf("entries %v, want the file alone", names)
	}
	if len(synced) != 1 || synced[0] != dir {
		t.Errorf("directory syncs %v, want [%s]", synced, dir)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v", st.Mode())
	}
	if err := f.Commit(); err == nil {
		t.Error("a second Commit succeeded")
	}
	f.Abort() // a no-op now
	if read(t, path) != "line 1\n" {
		t.Error("Abort after Commit changed the file")
	}
}

// Abort removes the temporary file and leaves the final name alone.
func TestAbort(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rejects.ndjson")
	for _, unique := range []bool{false, true} {
		f, err := CreateWith(path, Options{Unique: unique})
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte("x"))
		f.Abort()
		if names := entries(t, dir); len(names) != 0 {
			t.Errorf("unique %v: after Abort: %v", unique, names)
		}
		if err := f.Commit(); err == nil {
			t.Error("Commit after Abort succeeded")
		}
	}
}

// A failed rename (the final name is a directory) removes the temporary
// file and reports the error.
func TestCommitFails(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out")
	os.MkdirAll(filepath.Join(path, "x"), 0o755)
	f, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("x"))
	if err := f.Commit(); err == nil {
		t.Fatal("Commit over a directory succeeded")
	}
	if !missing(TempName(path)) {
		t.Error("the temporary file is left")
	}
	if err := WriteFile(filepath.Join(dir, "no", "such", "dir"), nil); err == nil {
		t.Error("WriteFile into a missing directory succeeded")
	}
}

// CommitNew never replaces a file; Unique writers of one path do not
// share a temporary file.
func TestCommitNewAndUnique(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.db")
	a, err := CreateWith(path, Options{Perm: 0o600, Unique: true})
	if err != nil {
		t.Fatal(err)
	}
	b, err := CreateWith(path, Options{Perm: 0o600, Unique: true})
	if err != nil {
		t.Fatal(err)
	}
	if a.TempName() == b.TempName() {
		t.Fatalf("one temporary file for both: %s", a.TempName())
	}
	a.Write([]byte("a"))
	b.Write([]byte("b"))
	if err := a.CommitNew(); err != nil {
		t.Fatal(err)
	}
	if err := b.CommitNew(); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("the second CommitNew: %v", err)
	}
	if got := read(t, path); got != "a" {
		t.Errorf("%q, want the first file", got)
	}
	if names := entries(t, dir); len(names) != 1 {
		t.Errorf("entries %v", names)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode())
	}
}
