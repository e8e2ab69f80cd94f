package parquet

import (
	"os"
	"strings"
	"testing"
)

// fileReader is a Reader that owns its file.
type fileReader struct {
	*Reader
	f *os.File
}

func (r *fileReader) Close() error {
	r.Reader.Close()
	return r.f.Close()
}

// openPQ opens the Parquet file at path.
func openPQ(path string, opts Options) (*fileReader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	r, err := NewReader(f, st.Size(), opts)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &fileReader{Reader: r, f: f}, nil
}

// defaultLimits are the limits of the zero Options.
func defaultLimits() pqLimits { return Options{}.withDefaults().limits() }

// pqFileErr requires err to be a file error: set, and not an internal
// error (a bug of the reader rather than a problem of the file).
func pqFileErr(t testing.TB, err error) {
	t.Helper()
	if err == nil {
		t.Fatal("no error, want a file error")
	}
	if isInternal(err) {
		t.Fatalf("an internal error: %v", err)
	}
}

// isInternal reports whether err is an internal error of the reader (a
// bug), not a problem of the file.
func isInternal(err error) bool { return strings.Contains(err.Error(), "internal error") }
