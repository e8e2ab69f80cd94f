package importer

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/groupimport/groupimport/record"
	"github.com/klauspost/compress/zstd"
)

func gzipBytes(t testing.TB, p []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write(p); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func zstdBytes(t testing.TB, p []byte) []byte {
	t.Helper()
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	return enc.EncodeAll(p, nil)
}

// synthCSV is a CSV file of n rows with quoted multi-line fields and
// varied text, so compressed copies are not trivially small.
func synthCSV(n int) []byte {
	var b bytes.Buffer
	b.WriteString("id,name,note\n")
	x := uint32(2463534242)
	for i := 0; i < n; i++ {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		if i%7 == 3 {
			fmt.Fprintf(&b, "%d,\"Name, %08x\",\"two\r\nlines %d\"\n", i, x, x%1000)
		} else {
			fmt.Fprintf(&b, "%d,name-%08x,note %x é\n", i, x, x*2654435761)
		}
	}
	return b.Bytes()
}

func synthNDJSON(n int) []byte {
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `{"id":%d,"name":"n%x","address":{"city":"c%d"},"tags":[%d,%d]}`+"\n", i, i*2654435761, i%97, i, i*3)
	}
	return b.Bytes()
}

func TestOpenCompressionByContent(t *testing.T) {
	plain := []byte("id,name\n1,Ann\n2,\"B, b\"\n")
	nd := []byte(`{"id":1,"name":"Ann"}` + "\n")
	want := []wantRow{ok(2, "1", "Ann"), ok(3, "2", "B, b")}
	cases := []struct {
		file   string
		data   []byte
		comp   Compression
		format Format
	}{
		{"data.csv", gzipBytes(t, plain), Gzip, CSV},
		{"data.txt", zstdBytes(t, plain), Zstd, CSV},
		{"noext", gzipBytes(t, plain), Gzip, CSV},
		{"data.csv.gz", plain, None, CSV},
		{"data.csv.zst", gzipBytes(t, plain), Gzip, CSV},
		{"data.txt", zstdBytes(t, nd), Zstd, NDJSON},
		{"data.json.gz", gzipBytes(t, nd), Gzip, NDJSON},
		{"data.log", nd, None, NDJSON},
	}
	for _, tc := range cases {
		t.Run(tc.file+" "+string(tc.comp)+" "+string(tc.format), func(t *testing.T) {
			p := writeFile(t, tc.file, tc.data)
			r, src, err := Open(p, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if src.Compression != tc.comp || src.Format != tc.format {
				t.Errorf("compression %q format %q, want %q %q", src.Compression, src.Format, tc.comp, tc.format)
			}
			rows, err := drain(r, 100)
			if err != nil {
				t.Fatal(err)
			}
			if tc.format == CSV {
				checkRows(t, rows, want)
			} else if len(rows) != 1 || rows[0].Values[1] != "Ann" {
				t.Errorf("rows %v", rows)
			}
			if src.Offset() != int64(len(tc.data)) {
				t.Errorf("offset %d after the end, want the file size %d", src.Offset(), len(tc.data))
			}
		})
	}
}

func TestOpenGzipMultiMember(t *testing.T) {
	var data []byte
	data = append(data, gzipBytes(t, []byte("id,name\n1,a\n2,\"b\n"))...)
	data = append(data, gzipBytes(t, []byte("c\"\n3,"))...) // a record split between members
	data = append(data, gzipBytes(t, nil)...)               // an empty member
	data = append(data, gzipBytes(t, []byte("c\n4,d\n"))...)
	p := writeFile(t, "multi.csv.gz", data)
	_, rows, err := readFile(p, Options{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	checkRows(t, rows, []wantRow{ok(2, "1", "a"), ok(3, "2", "b\nc"), ok(5, "3", "c"), ok(6, "4", "d")})

	// Many members, each bigger than the decompression-ahead block.
	big := synthCSV(60000)
	header := bytes.IndexByte(big, '\n') + 1
	data = gzipBytes(t, big[:header])
	for rest := big[header:]; len(rest) > 0; {
		n := min(len(rest), 300<<10)
		data = append(data, gzipBytes(t, rest[:n])...)
		rest = rest[n:]
	}
	_, want, err := readMem(CSV, big, Options{}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	_, got, err := readFile(writeFile(t, "big.csv.gz", data), Options{}, 1000)
	if d := sameRead(nil, want, nil, nil, got, err); d != "" {
		t.Fatal(d)
	}
}

// TestOpenTruncated cuts gzip and zstd files short anywhere: reading must
// end with a *FileError naming the file and wrapping ErrTruncated, after
// rows that are exactly the first rows of the whole file (never a partial
// last record, not even as a rejected row).
func TestOpenTruncated(t *testing.T) {
	for _, format := range []Format{CSV, NDJSON} {
		for _, size := range []int{40, 20000} {
			var plain []byte
			if format == CSV {
				plain = synthCSV(size)
			} else {
				plain = synthNDJSON(size)
			}
			_, full, err := readMem(format, plain, Options{}, 1000)
			if err != nil {
				t.Fatal(err)
			}
			for _, comp := range []Compression{Gzip, Zstd} {
				var data []byte
				if comp == Gzip {
					data = gzipBytes(t, plain)
				} else {
					data = zstdBytes(t, plain)
				}
				cuts := []int{1, 2, 3, 5, 9, 12, len(data) - 1, len(data) - 4, len(data) - 8, len(data) - 9}
				for k := 1; k < 12; k++ {
					cuts = append(cuts, len(data)*k/12)
				}
				for _, cut := range cuts {
					if comp == Zstd && cut == 1 {
						continue // "(" alone is a text file; only 2 bytes of the magic number say zstd
					}
					name := fmt.Sprintf("%s %d rows %s cut at %d of %d", format, size, comp, cut, len(data))
					p := writeFile(t, "data."+string(format), data[:cut])
					_, rows, err := readFile(p, Options{}, 1000)
					if err == nil {
						t.Errorf("%s: no error after %d rows of %d", name, len(rows), len(full))
						continue
					}
					var fe *FileError
					if !errors.As(err, &fe) || fe.File != p || !errors.Is(err, ErrTruncated) {
						t.Errorf("%s: error %v (%T), want a *FileError for %s wrapping ErrTruncated", name, err, err, p)
					}
					if len(rows) >= len(full) {
						t.Errorf("%s: %d rows, the whole file has %d", name, len(rows), len(full))
						continue
					}
					for i := range rows {
						if !reflect.DeepEqual(rows[i], full[i]) {
							t.Errorf("%s: row %d is %v, want %v", name, i+1, rows[i], full[i])
							break
						}
					}
				}
			}
		}
	}
}

// TestOpenCorrupt flips bytes of compressed files: a clean error, never a
// silent success with other data.
func TestOpenCorrupt(t *testing.T) {
	plain := synthCSV(3000)
	_, full, _ := readMem(CSV, plain, Options{}, 1000)
	for _, comp := range []Compression{Gzip, Zstd} {
		data := gzipBytes(t, plain)
		if comp == Zstd {
			data = zstdBytes(t, plain)
		}
		for _, at := range []int{len(data) / 3, len(data) / 2, len(data) - 3} {
			bad := bytes.Clone(data)
			bad[at] ^= 0x55
			p := writeFile(t, "c.csv", bad)
			_, rows, err := readFile(p, Options{}, 1000)
			if err == nil && !reflect.DeepEqual(rows, full) {
				t.Errorf("%s flipped at %d: read %d rows with no error", comp, at, len(rows))
			}
			var fe *FileError
			if err != nil && (!errors.As(err, &fe) || fe.File != p) {
				t.Errorf("%s flipped at %d: error %v, want a *FileError naming the file", comp, at, err)
			}
		}
	}
}

// TestOpenCloseEarly closes a compressed source after one batch: the
// decompressing goroutine must stop.
func TestOpenCloseEarly(t *testing.T) {
	p := writeFile(t, "big.csv.gz", gzipBytes(t, synthCSV(100000)))
	before := runtime.NumGoroutine()
	for i := 0; i < 5; i++ {
		r, _, err := Open(p, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := drain(&limitReader{r, 1}, 10); err != nil {
			t.Fatal(err)
		}
		r.Close()
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after closing, %d before", n, before)
	}
}

// limitReader stops a Reader after n calls of Next.
type limitReader struct {
	Reader
	n int
}

func (l *limitReader) Next(b *record.Batch, max int) error {
	if l.n == 0 {
		return io.EOF
	}
	l.n--
	err := l.Reader.Next(b, max)
	if err == nil {
		return io.EOF
	}
	return err
}

// TestOpenZstdWindow: a zstd frame may ask for a window of up to 3.75 TB,
// which the decoder would allocate before decoding a byte; above 128 MiB
// (the zstd command's own default limit) it is refused.
func TestOpenZstdWindow(t *testing.T) {
	frame := func(window byte) []byte {
		// magic, frame header (no size, no checksum), window descriptor,
		// one last raw block of one byte
		return []byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, window, 0x09, 0x00, 0x00, 'a'}
	}
	_, rows, err := readFile(writeFile(t, "ok.csv", frame(0x88)), Options{}, 10) // 128 MiB
	if err != nil || len(rows) != 0 {
		t.Fatalf("a 128 MiB window: %v, %v", rows, err)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	before := ms.TotalAlloc
	p := writeFile(t, "bomb.csv", frame(0xa0)) // 1 GiB
	_, _, err = readFile(p, Options{}, 10)
	var fe *FileError
	if !errors.As(err, &fe) || fe.File != p || !errors.Is(err, zstd.ErrWindowSizeExceeded) || !strings.Contains(err.Error(), "128 MiB") {
		t.Fatalf("a 1 GiB window: error %v", err)
	}
	runtime.ReadMemStats(&ms)
	if n := ms.TotalAlloc - before; n > 64<<20 {
		t.Errorf("refusing a 1 GiB window allocated %d MiB", n>>20)
	}
}

func TestExpand(t *testing.T) {
	dir := t.TempDir()
	files := []string{
		"exports/part-10.csv", "exports/part-2.csv", "exports/part-1.csv.gz", "exports/part-03.ndjson.zst",
		"exports/_SUCCESS", "exports/.part-1.csv.crc", "exports/.hidden.csv", "exports/README.md",
		"exports/sub/part-0.parquet", "exports/sub/x.JSONL", "exports/.git/config.csv", "exports/_tmp/part-9.csv",
		"top.csv", "odd[1].csv", "other/a1.tsv", "other/a10.tsv", "other/a9.tsv", "empty/_SUCCESS", "empty/.notes.md",
	}
	for _, f := range files {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("a\n1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	j := func(names ...string) []string {
		var out []string
		for _, n := range names {
			out = append(out, filepath.Join(dir, n))
		}
		return out
	}
	cases := []struct {
		name string
		in   []string
		want []string
		err  string
	}{
		// a file whose name does not say it is data is an input: its content
		// decides (and a file that is not data fails, it is not skipped)
		{"directory, recursive, natural order, hidden and _ skipped", j("exports"),
			j("exports/part-1.csv.gz", "exports/part-2.csv", "exports/part-03.ndjson.zst", "exports/part-10.csv", "exports/sub/part-0.parquet", "exports/sub/x.JSONL"), ""},
		{"directory with a trailing slash", []string{filepath.Join(dir, "other") + "/"},
			[]string{filepath.Join(dir, "other") + "/a1.tsv", filepath.Join(dir, "other") + "/a9.tsv", filepath.Join(dir, "other") + "/a10.tsv"}, ""},
		{"glob in natural order", j("other/a*.tsv"), j("other/a1.tsv", "other/a9.tsv", "other/a10.tsv"), ""},
		{"glob of directories", j("*er"), j("other/a1.tsv", "other/a9.tsv", "other/a10.tsv"), ""},
		{"file", j("top.csv"), j("top.csv"), ""},
		{"a hidden file named explicitly", j("exports/.hidden.csv"), j("exports/.hidden.csv"), ""},
		{"duplicates removed, first position kept", append(j("top.csv", "other/a9.tsv", "other", "top.csv"), dir+"/./top.csv"),
			j("top.csv", "other/a9.tsv", "other/a1.tsv", "other/a10.tsv"), ""},
		{"empty patterns ignored", append([]string{""}, j("top.csv")...), j("top.csv"), ""},
		{"glob matching nothing", j("nothing-*.csv"), nil, "no file matches"},
		{"missing file", j("missing.csv"), nil, "missing.csv"},
		{"directory without data files", j("empty"), nil, "holds no data files"},
		{"bad glob", j("[a"), nil, "bad glob"},
		{"a name that looks like a glob", j("odd[1].csv"), j("odd[1].csv"), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Expand(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q (got %q)", err, tc.err, got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}

func TestNaturalLess(t *testing.T) {
	in := []string{"part-10", "part-2", "part-1", "part-01", "part-001", "part-", "part-b", "part-a", "x9y10", "x9y9", "x10"}
	want := []string{"part-", "part-1", "part-01", "part-001", "part-2", "part-10", "part-a", "part-b", "x9y9", "x9y10", "x10"}
	sortNatural(in)
	if !reflect.DeepEqual(in, want) {
		t.Errorf("got %q\nwant %q", in, want)
	}
}

// A small file that decompresses to gigabytes is refused early, naming the
// file, instead of being read for minutes.
func TestDecompressionBomb(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte("company_id\n"))
	zeros := make([]byte, 1<<20)
	for i := 0; i < 64; i++ { // 64 MiB of one long line
		zw.Write(zeros)
	}
	zw.Close()
	path := filepath.Join(t.TempDir(), "bomb.csv.gz")
	os.WriteFile(path, buf.Bytes(), 0o644)
	r, _, err := Open(path, Options{})
	if err == nil {
		b := record.NewBatch(16, 1024)
		for err == nil {
			err = r.Next(b, 16)
		}
		r.Close()
	}
	var fe *FileError
	if !errors.Is(err, ErrBomb) || !errors.As(err, &fe) || fe.File != path {
		t.Fatalf("err = %v, want ErrBomb naming the file", err)
	}
	// the limit can be lifted
	r, _, err = Open(path, Options{MaxRatio: -1, MaxRecordBytes: 128 << 20})
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
}

func TestNDJSONKeyLimit(t *testing.T) {
	var line strings.Builder
	line.WriteString(`{"group_id":"g"`)
	for i := 0; i < 20; i++ {
		fmt.Fprintf(&line, `,"k%d":1`, i)
	}
	line.WriteString("}\n{\"group_id\":\"ok\"}\n")
	path := filepath.Join(t.TempDir(), "wide.ndjson")
	os.WriteFile(path, []byte(line.String()), 0o644)
	r, _, err := Open(path, Options{MaxColumns: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b := record.NewBatch(16, 1024)
	r.Next(b, 16)
	if len(b.Rows) != 2 || b.Rows[0].Err == nil || !strings.Contains(b.Rows[0].Err.Reason, "more than 10 keys") || b.Rows[1].Err != nil {
		t.Fatalf("rows: %+v", b.Rows)
	}
}

// What a directory walk leaves out is listed, with why.
func TestExpandListsIgnored(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"part-00000", "part-00001.gz", "_SUCCESS", "._SUCCESS.crc", ".part-00000.crc", "_committed_123",
		"_started_123", "_metadata", "_common_metadata", "_temporary/0/part-00002", ".hidden/x.csv", "part-00003.csv.crc",
		"README.md", "mapping.yaml", "part-00004.csv.sha256", "load.log"} {
		p := filepath.Join(dir, f)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte("a\n1\n"), 0o644)
	}
	in, err := ExpandInputs([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{filepath.Join(dir, "part-00000"), filepath.Join(dir, "part-00001.gz")}; !reflect.DeepEqual(in.Files, want) {
		t.Errorf("files %q, want %q", in.Files, want)
	}
	got := map[string]string{}
	for _, x := range in.Ignored {
		rel, _ := filepath.Rel(dir, x.Path)
		got[rel] = x.Reason
	}
	for name, reason := range map[string]string{"_SUCCESS": "success marker", "._SUCCESS.crc": "checksum", ".part-00000.crc": "checksum",
		"_committed_123": "commit marker", "_started_123": "commit marker", "_metadata": "Parquet summary", "_common_metadata": "Parquet summary",
		"_temporary": "folder", ".hidden": "hidden folder", "part-00003.csv.crc": "checksum",
		"README.md": "documentation", "mapping.yaml": "configuration", "part-00004.csv.sha256": "checksum", "load.log": "log"} {
		if !strings.Contains(got[name], reason) {
			t.Errorf("%s: ignored as %q, want %q", name, got[name], reason)
		}
	}
	if len(got) != 14 {
		t.Errorf("ignored %v", got)
	}
}
