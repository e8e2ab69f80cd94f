package spill

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
)

// memStorage is a Storage in memory that tests can cut, damage or make fail.
type memStorage struct {
	data              []byte
	writeErr, readErr error
}

func (m *memStorage) Write(p []byte) (int, error) {
	if m.writeErr != nil {
		return 0, m.writeErr
	}
	m.data = append(m.data, p...)
	return len(p), nil
}

func (m *memStorage) ReadAt(p []byte, off int64) (int, error) {
	if m.readErr != nil {
		return 0, m.readErr
	}
	if off >= int64(len(m.data)) {
		return 0, io.EOF
	}
	n := copy(p, m.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (m *memStorage) Close() error { return nil }

// records makes n records of random sizes: empty ones, small ones, and a
// few larger than a block.
func records(seed uint64, n int) [][]byte {
	r := rand.New(rand.NewPCG(seed, 1))
	out := make([][]byte, n)
	for i := range out {
		size := r.IntN(100)
		switch r.IntN(200) {
		case 0:
			size = 0
		case 1:
			size = blockSize + r.IntN(3*blockSize)
		}
		rec := make([]byte, size)
		for j := range rec {
			rec[j] = byte(r.Uint32())
		}
		out[i] = rec
	}
	return out
}

func write(t *testing.T, f *File, recs [][]byte) {
	t.Helper()
	for _, rec := range recs {
		if err := f.Append(rec); err != nil {
			t.Fatal(err)
		}
	}
}

// readAll reads every record; it stops at the first error.
func readAll(f *File) ([][]byte, error) {
	rd, err := f.Records()
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, bytes.Clone(rec))
	}
}

func same(t *testing.T, got, want [][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d records, want %d", len(got), len(want))
	}
	for i := range got {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("record %d: %d bytes %.20x…, want %d bytes %.20x…", i, len(got[i]), got[i], len(want[i]), want[i])
		}
	}
}

func TestRoundTrip(t *testing.T) {
	f, err := Create(t.TempDir(), "spill-test-*")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := records(1, 20000)
	write(t, f, want[:10000])
	got, err := readAll(f)
	if err != nil {
		t.Fatal(err)
	}
	same(t, got, want[:10000])
	// appended to after a read, read twice
	write(t, f, want[10000:])
	for range 2 {
		got, err := readAll(f)
		if err != nil {
			t.Fatal(err)
		}
		same(t, got, want)
	}
	if f.Len() != int64(len(want)) {
		t.Errorf("Len %d, want %d", f.Len(), len(want))
	}
}

func TestEmpty(t *testing.T) {
	f := New(&memStorage{}, "empty")
	got, err := readAll(f)
	if err != nil || len(got) != 0 {
		t.Fatalf("%d records, err %v", len(got), err)
	}
	write(t, f, [][]byte{{}, {}})
	if got, err := readAll(f); err != nil || len(got) != 2 {
		t.Fatalf("%d empty records, err %v", len(got), err)
	}
}

// A file cut anywhere is an error once the reader gets there, never an
// early io.EOF; the records before the cut come back intact.
func TestTruncatedIsAnError(t *testing.T) {
	st := &memStorage{}
	f := New(st, "cut")
	want := records(2, 1500)
	write(t, f, want)
	if err := f.Flush(); err != nil {
		t.Fatal(err)
	}
	full := st.data
	cuts := []int{0, 1, blockHeader - 1, blockHeader, blockHeader + 1, len(full) - 1}
	for range 100 {
		cuts = append(cuts, rand.IntN(len(full)))
	}
	// at each block boundary: the file then looks whole, but is short
	for off := 0; off < len(full); {
		cuts = append(cuts, off)
		off += blockHeader + int(uint32(full[off])|uint32(full[off+1])<<8|uint32(full[off+2])<<16|uint32(full[off+3])<<24)
	}
	for _, cut := range cuts {
		st.data = full[:cut]
		got, err := readAll(f)
		if !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("cut at %d of %d: %d records, err %v; want an unexpected EOF or corruption", cut, len(full), len(got), err)
		}
		same(t, got, want[:len(got)])
	}
}

// A byte changed anywhere is an error, and no record read before it
// differs from what was written.
func TestDamageIsAnError(t *testing.T) {
	st := &memStorage{}
	f := New(st, "damaged")
	want := records(3, 1500)
	write(t, f, want)
	if err := f.Flush(); err != nil {
		t.Fatal(err)
	}
	full := bytes.Clone(st.data)
	for range 150 {
		i := rand.IntN(len(full))
		st.data = bytes.Clone(full)
		st.data[i] ^= byte(1 + rand.IntN(255))
		got, err := readAll(f)
		if err == nil {
			t.Fatalf("byte %d of %d damaged: no error", i, len(full))
		}
		same(t, got, want[:len(got)])
	}
}

func TestReadErrorIsReturned(t *testing.T) {
	boom := errors.New("device gone")
	st := &memStorage{}
	f := New(st, "unreadable")
	write(t, f, records(4, 100))
	rd, err := f.Records()
	if err != nil {
		t.Fatal(err)
	}
	st.readErr = boom
	for range 2 { // and it stays
		if _, err := rd.Next(); !errors.Is(err, boom) {
			t.Fatalf("err %v, want the read's error", err)
		}
	}
}

func TestWriteErrorIsReturned(t *testing.T) {
	boom := errors.New("no space left on device")
	st := &memStorage{writeErr: boom}
	f := New(st, "full")
	var err error
	for i := 0; err == nil && i < 100000; i++ {
		err = f.Append([]byte(fmt.Sprint("record ", i)))
	}
	if !errors.Is(err, boom) {
		t.Fatalf("Append: err %v, want the write's error", err)
	}
	if err := f.Append(nil); !errors.Is(err, boom) {
		t.Errorf("a later Append: err %v", err)
	}
	if _, err := f.Records(); !errors.Is(err, boom) {
		t.Errorf("Records: err %v", err)
	}
	// an error on the last, partial block
	f = New(&memStorage{writeErr: boom}, "full")
	f.Append([]byte("one"))
	if err := f.Flush(); !errors.Is(err, boom) {
		t.Errorf("Flush: err %v", err)
	}
}

func BenchmarkAppend(b *testing.B) {
	f := New(&discard{}, "bench")
	rec := make([]byte, 41) // a key log entry
	b.SetBytes(int64(len(rec)))
	for b.Loop() {
		if err := f.Append(rec); err != nil {
			b.Fatal(err)
		}
	}
}

type discard struct{ memStorage }

func (*discard) Write(p []byte) (int, error) { return len(p), nil }

// A file made with small blocks writes them at that size (a larger record
// a block of its own) and reads every record back; its reader holds one
// such block (the merge of an external sort holds one per run).
func TestCreateBlocks(t *testing.T) {
	const block = 1 << 10
	f, err := CreateBlocks(t.TempDir(), "t-*", block)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs := [][]byte{bytes.Repeat([]byte("a"), 3*block)}
	for i := range 500 {
		recs = append(recs, []byte(fmt.Sprint("record ", i)))
	}
	for _, r := range recs {
		if err := f.Append(r); err != nil {
			t.Fatal(err)
		}
	}
	rd, err := f.Records()
	if err != nil {
		t.Fatal(err)
	}
	if blocks := (f.size - 3*block) / block; blocks < 5 {
		t.Fatalf("%d bytes in about %d blocks, want blocks of %d bytes", f.size, blocks, block)
	}
	for i, want := range recs {
		got, err := rd.Next()
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("record %d: %q %v", i, got, err)
		}
		if i > 0 && cap(rd.block) > 3*block+16 {
			t.Fatalf("the reader holds %d bytes", cap(rd.block))
		}
	}
	if _, err := rd.Next(); err != io.EOF {
		t.Fatalf("after the last: %v", err)
	}
}
