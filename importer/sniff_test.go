package importer

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/groupimport/groupimport/record"
)

// companiesBz2 is `printf 'company_id,name\nc1,One\nc2,Two\n' | bzip2 -9`.
var companiesBz2, _ = hex.DecodeString("425a6839314159265359d7342638000007df8000100004300000008400ae23c0a02000314d3231313106a0d0621e88c3c98771a1261a8610c754de79b95f8bb9229c28486b9a131c00")

const companiesCSV = "company_id,name\nc1,One\nc2,Two\n"

func randomBytes(n int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	return b
}

// Where the name does not say what a file is, its content does: Spark's
// extension-less part files, compressed files named without their format,
// bzip2. A file that is none of what this tool reads is an error naming
// what it is, never read as garbage rows or skipped.
func TestSniffByContent(t *testing.T) {
	parquet, err := os.ReadFile("../fixtures/companies.parquet")
	if err != nil {
		t.Fatal(err)
	}
	utf16 := []byte{}
	for _, c := range []byte(companiesCSV) {
		utf16 = append(utf16, c, 0)
	}
	for _, tc := range []struct {
		name   string
		data   []byte
		format Format
		comp   Compression
		rows   int
		err    string
	}{
		{"part-00000", []byte(companiesCSV), CSV, None, 2, ""},
		{"part-00001", []byte(`{"company_id":"c1"}` + "\n"), NDJSON, None, 1, ""},
		{"part-00002", gzipBytes(t, []byte(companiesCSV)), CSV, Gzip, 2, ""},
		{"part-00003.gz", gzipBytes(t, []byte(companiesCSV)), CSV, Gzip, 2, ""},
		{"part-00004.zst", zstdBytes(t, []byte(`{"company_id":"c1"}`+"\n")), NDJSON, Zstd, 1, ""},
		{"companies.csv.bz2", companiesBz2, CSV, Bzip2, 2, ""},
		{"part-00005", companiesBz2, CSV, Bzip2, 2, ""},
		{"part-00006", parquet, Parquet, None, -1, ""},
		{"latin1", []byte("company_id,name\nc1,Caf\xe9\nc2,Na\xefve\n"), "", "", 0, "line 2, column 7: the file is not UTF-8: byte 0xe9 at byte offset 22"},
		{"latin1-long", []byte("company_id,name\n" + strings.Repeat("c1,\xc9cole \xe0 Paris\n", 200)), "", "", 0, "run again with --encoding windows-1252"},
		{"bzip2-truncated.csv.bz2", companiesBz2[:40], CSV, Bzip2, 0, "truncated"},
		{"bzip2-only-magic.csv.bz2", companiesBz2[:4], "", "", 0, "only the first 4 bytes of a bzip2 stream"},
		{"zstd-only-magic", []byte{0x28, 0xb5, 0x2f, 0xfd}, "", "", 0, "only the first 4 bytes of a zstd stream"},
		{"gzip-only-magic", []byte{0x1f}, "", "", 0, "only the first 1 bytes of a gzip stream"},
		{"BZh.csv", []byte("BZh"), CSV, None, 0, ""},
		{"garbage", randomBytes(5000), "", "", 0, "binary content"},
		{"garbage-small", randomBytes(40), "", "", 0, "binary content"},
		{"garbage.gz", gzipBytes(t, randomBytes(5000)), "", "", 0, "binary content"},
		{"utf16", utf16, "", "", 0, "--encoding utf-16le"},
		{"companies.csv.xz", append([]byte{0xfd, '7', 'z', 'X', 'Z', 0}, randomBytes(100)...), "", "", 0, "xz-compressed"},
		{"part-00007.lz4", append([]byte{0x04, 0x22, 0x4d, 0x18}, randomBytes(100)...), "", "", 0, "lz4-compressed"},
		{"export.zip", append([]byte("PK\x03\x04"), randomBytes(100)...), "", "", 0, "zip archive"},
		{"part-00008", append([]byte("ORC"), randomBytes(100)...), "", "", 0, "ORC file"},
		{"parquet.gz", gzipBytes(t, parquet), "", "", 0, "cannot be read from a compressed stream"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, tc.name, tc.data)
			r, src, err := Open(path, Options{})
			var rows []gotRow
			if err == nil {
				if src.Format != tc.format || src.Compression != tc.comp {
					t.Errorf("format %q compression %q, want %q %q", src.Format, src.Compression, tc.format, tc.comp)
				}
				if tc.format == Parquet {
					b := record.NewBatch(100, 1<<20)
					if err = r.Next(b, 100); err == io.EOF && len(b.Rows) > 0 {
						err = nil
					}
					r.Close()
					if err != nil {
						t.Fatal(err)
					}
					return
				}
				rows, err = drain(r, 100)
				r.Close()
			}
			if tc.err == "" {
				if err != nil || len(rows) != tc.rows {
					t.Fatalf("%d rows, err %v; want %d rows", len(rows), err, tc.rows)
				}
				for _, row := range rows {
					if row.Err != nil {
						t.Errorf("row %d: %v", row.Num, row.Err)
					}
				}
				return
			}
			var fe *FileError
			if err == nil || !errors.As(err, &fe) || fe.File != path || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("err = %v, want a FileError naming the file with %q", err, tc.err)
			}
		})
	}
}

// A file whose name says CSV is read as CSV even with a control character
// in it (the name decides; only unnamed files are judged by content).
func TestNamedCSVNotJudgedByContent(t *testing.T) {
	path := writeFile(t, "odd.csv", []byte("company_id,name\nc1,\x01\x02\x03\x04\n"))
	cols, rows, err := readFile(path, Options{}, 10)
	if err != nil || len(rows) != 1 || len(cols) != 2 {
		t.Fatalf("cols %q rows %d err %v", cols, len(rows), err)
	}
}

// A regular file that a writer truncates or appends to while it is read
// is a file error, and the record the change cut is not a row.
func TestFileChangedWhileRead(t *testing.T) {
	var data strings.Builder
	data.WriteString("company_id,name\n")
	for i := 0; i < 200000; i++ {
		data.WriteString("c,Company with a long enough name\n")
	}
	for _, tc := range []struct {
		name   string
		change func(path string) error
	}{
		{"truncated in the middle of a row", func(path string) error { return os.Truncate(path, int64(data.Len()/2+7)) }},
		{"appended to", func(path string) error {
			f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = f.WriteString("d,Appended\n")
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, "c.csv", []byte(data.String()))
			r, _, err := Open(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			b := record.NewBatch(1000, 1<<20)
			if err := r.Next(b, 1000); err != nil {
				t.Fatal(err)
			}
			if err := tc.change(path); err != nil {
				t.Fatal(err)
			}
			for err == nil {
				b.Reset()
				err = r.Next(b, 1000)
				for _, row := range b.Rows {
					if row.Err != nil || len(row.Values) != 2 || string(row.Values[1].Bytes) != "Company with a long enough name" {
						t.Fatalf("row %d: %q (%v): a cut row was emitted", row.Num, row.Raw, row.Err)
					}
				}
			}
			var fe *FileError
			if !errors.Is(err, ErrChanged) || !errors.As(err, &fe) || fe.File != path {
				t.Fatalf("err = %v, want ErrChanged naming the file", err)
			}
		})
	}
	// unchanged: the end is the end
	path := writeFile(t, "c.csv", []byte(data.String()))
	if _, rows, err := readFile(path, Options{}, 4096); err != nil || len(rows) != 200000 {
		t.Fatalf("unchanged file: %d rows, %v", len(rows), err)
	}
}

// A named pipe is read once: opening it again through Streams replays what
// the earlier opens consumed, then goes on with the live stream.
func TestStreamReadOnce(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "companies.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no named pipes here:", err)
	}
	var data strings.Builder
	data.WriteString("company_id,name\n")
	for i := 0; i < 50000; i++ {
		data.WriteString("c,Company\n")
	}
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		f.WriteString(data.String())
		f.Close()
	}()
	for _, sample := range []bool{true, false} {
		ss := NewStreams(dir)
		opts := Options{Streams: ss}
		if sample {
			// a sample, as the runner takes to infer the mapping
			r, src, err := Open(fifo, opts)
			if err != nil {
				t.Fatal(err)
			}
			if src.Format != CSV {
				t.Fatalf("format %q", src.Format)
			}
			b := record.NewBatch(10, 1<<20)
			r.Next(b, 10)
			r.Close()
		}
		ss.LastPass()
		cols, rows, err := readFile(fifo, opts, 4096)
		if err != nil || len(rows) != 50000 || len(cols) != 2 {
			t.Fatalf("sample first %v: cols %q, %d rows, %v", sample, cols, len(rows), err)
		}
		if _, _, err := Open(fifo, opts); err == nil || !strings.Contains(err.Error(), "cannot be read again") {
			t.Fatalf("a read after the last: %v", err)
		}
		ss.Close()
		if sample {
			// the writer is gone; a new one for the next round
			go func() {
				f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
				if err != nil {
					return
				}
				f.WriteString(data.String())
				f.Close()
			}()
		}
	}
	// any reader, named
	ss := NewStreams("")
	defer ss.Close()
	ss.Add("-", io.MultiReader(bytes.NewReader(gzipBytes(t, []byte(companiesCSV)))))
	for i := 0; i < 2; i++ {
		_, rows, err := readFile("-", Options{Streams: ss}, 10)
		if err != nil || len(rows) != 2 {
			t.Fatalf("open %d of -: %d rows, %v", i+1, len(rows), err)
		}
	}
}

// A stream read by more than one pass is kept on disk past memSpool; every
// pass sees all of it.
func TestStreamSpillsToDisk(t *testing.T) {
	var data bytes.Buffer
	data.WriteString("company_id,name\n")
	n := 0
	for data.Len() < 3*memSpool {
		data.WriteString("c,Company\n")
		n++
	}
	ss := NewStreams(t.TempDir())
	defer ss.Close()
	ss.Add("in", bytes.NewReader(data.Bytes()))
	for pass := 0; pass < 3; pass++ {
		if pass == 2 {
			ss.LastPass()
		}
		r, _, err := Open("in", Options{Streams: ss})
		if err != nil {
			t.Fatal(err)
		}
		rows := 0
		b := record.NewBatch(4096, 1<<20)
		for err == nil {
			b.Reset()
			err = r.Next(b, 4096)
			rows += len(b.Rows)
		}
		r.Close()
		if err != io.EOF || rows != n {
			t.Fatalf("pass %d: %d rows of %d, %v", pass+1, rows, n, err)
		}
	}
	if s := ss.m["in"]; s.spill != nil || s.mem != nil {
		t.Error("the spool is kept after the last pass")
	}
}
