package parquet

// Canary tests: each shows, by calling parquet-go (v0.32.0, see go.mod)
// directly, that a behaviour a workaround of this package exists for is
// still there. When one fails, upstream changed: its message names the
// workaround that can go (check the fix, then remove the workaround and
// the canary).

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	parquetgo "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	pqbrotli "github.com/parquet-go/parquet-go/compress/brotli"
	pqgzip "github.com/parquet-go/parquet-go/compress/gzip"
	pqlz4 "github.com/parquet-go/parquet-go/compress/lz4"
	pqsnappy "github.com/parquet-go/parquet-go/compress/snappy"
	pqzstd "github.com/parquet-go/parquet-go/compress/zstd"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// upstreamFixed fails the canary: what it checks no longer happens.
func upstreamFixed(t *testing.T, file, what string) {
	t.Helper()
	t.Fatalf("upstream fixed: remove the workaround in %s (%s)", file, what)
}

// allocated returns the bytes allocated while f runs (the package's tests
// do not run in parallel, so the count is f's, give or take a little).
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// directRead reads every row of the file data with parquet-go alone; a
// panic is returned as an error.
func directRead(data []byte) (rows []parquetgo.Row, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	f, err := parquetgo.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, err
	}
	r := parquetgo.NewReader(f)
	buf := make([]parquetgo.Row, 128)
	for {
		n, err := r.ReadRows(buf)
		for _, row := range buf[:n] {
			rows = append(rows, row.Clone())
		}
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return rows, err
		}
	}
}

// hexRows writes n rows of (id, a random 32-digit hex string), which
// compress about 2:1.
func hexRows(n int) (rows []parquetgo.Row, want []string) {
	seed := uint64(1)
	for i := 0; i < n; i++ {
		var u [16]byte
		for k := range u {
			seed = seed*6364136223846793005 + 1442695040888963407
			u[k] = byte(seed >> 56)
		}
		s := fmt.Sprintf("%x", u)
		rows = append(rows, parquetgo.Row{lv(int64(i), 0, 0, 0), lv(s, 0, 0, 1)})
		want = append(want, s)
	}
	return rows, want
}

// sameStrings reports whether column 1 of rows holds want.
func sameStrings(rows []parquetgo.Row, want []string) bool {
	if len(rows) != len(want) {
		return false
	}
	for i, row := range rows {
		if len(row) != 2 || string(row[1].ByteArray()) != want[i] {
			return false
		}
	}
	return true
}

var hexNode = parquetgo.Group{"id": parquetgo.Int(64), "u": parquetgo.String()}

// parquet-go/parquet-go#608 (fix: #609): an LZ4_RAW page that compresses
// less than 3:1 loses its data.
func TestUpstreamLZ4ReallocatedPage(t *testing.T) {
	rows, want := hexRows(5000)
	for _, v := range []int{1, 2} {
		p := pqWrite(t, filepath.Join(t.TempDir(), "lz4.parquet"), hexNode, rows,
			parquetgo.Compression(&parquetgo.Lz4Raw), parquetgo.DataPageVersion(v))
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := directRead(data); err == nil && sameStrings(got, want) {
			upstreamFixed(t, "shadow.go", fmt.Sprintf("parquet-go#608 reads LZ4_RAW pages (v%d) right; drop format.Lz4Raw from needsShadow once TestUpstreamLZ4CorruptPageLoops fails too", v))
		}
	}
	// Through the shadow file the same file reads right.
	p := pqWrite(t, filepath.Join(t.TempDir(), "lz4.parquet"), hexNode, rows, parquetgo.Compression(&parquetgo.Lz4Raw))
	res := pqRead(t, p, Options{}, 1000)
	if res.err != nil || len(res.rows) != len(want) || res.rows[4999][1] != "string:"+want[4999] {
		t.Fatalf("through the shadow: %d rows, %v", len(res.rows), res.err)
	}
}

// compress/lz4's Decode takes every UncompressBlock error for a short
// buffer and doubles it, so a corrupt page allocates until the process
// runs out of memory. The loop runs in a child process, which stops it
// once it has allocated 64 MiB.
func TestUpstreamLZ4CorruptPageLoops(t *testing.T) {
	const child = "GROUPIMPORT_LZ4_LOOP_CHILD"
	if os.Getenv(child) != "" {
		go func() {
			for {
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				if m.TotalAlloc > 64<<20 {
					fmt.Println("still looping")
					os.Exit(3)
				}
				time.Sleep(5 * time.Millisecond)
			}
		}()
		_, err := (&pqlz4.Codec{}).Decode(nil, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
		fmt.Println("returned:", err)
		os.Exit(0)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestUpstreamLZ4CorruptPageLoops$")
	cmd.Env = append(os.Environ(), child+"=1")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee) && ee.ExitCode() == 3 && strings.Contains(string(out), "still looping"):
	case err == nil && strings.Contains(string(out), "returned:"):
		upstreamFixed(t, "shadow.go", "compress/lz4 returns on a corrupt page; drop format.Lz4Raw from needsShadow once TestUpstreamLZ4ReallocatedPage fails too")
	default:
		t.Fatalf("the child: %v\n%s", err, out)
	}
}

// gzip, brotli and zstd pages decompress to whatever the stream holds,
// however much more than the buffer (the page's declared size) that is.
func TestUpstreamCodecsUnbounded(t *testing.T) {
	plain := make([]byte, 4<<20)
	var gz, br bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(plain)
	zw.Close()
	bw := brotli.NewWriter(&br)
	bw.Write(plain)
	bw.Close()
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	zs := enc.EncodeAll(plain, nil)
	enc.Close()
	for _, tc := range []struct {
		codec compress.Codec
		data  []byte
		file  string
	}{
		{&pqgzip.Codec{}, gz.Bytes(), "shadow.go (format.Gzip in needsShadow)"},
		{&pqbrotli.Codec{}, br.Bytes(), "shadow.go (format.Brotli in needsShadow)"},
		{&pqzstd.Codec{}, zs, "guard.go (the zstd case of checkBody and zstdBound)"},
	} {
		out, err := tc.codec.Decode(make([]byte, 0, 1<<10), tc.data)
		if err != nil || len(out) != len(plain) {
			upstreamFixed(t, tc.file, fmt.Sprintf("%s decompresses a 4 MiB page into a 1 KiB buffer to %d bytes, error %v", tc.codec, len(out), err))
		}
	}
}

// parquet-go uses the codec of a column's first chunk for every row group.
func TestUpstreamCodecOfFirstRowGroup(t *testing.T) {
	dir := t.TempDir()
	rows, want := hexRows(4000)
	a := pqWrite(t, filepath.Join(dir, "a.parquet"), hexNode, rows[:2000], parquetgo.Compression(&parquetgo.Snappy))
	b := pqWrite(t, filepath.Join(dir, "b.parquet"), hexNode, rows[2000:], parquetgo.Compression(&parquetgo.Zstd))
	data, err := os.ReadFile(pqConcat(t, filepath.Join(dir, "merged.parquet"), a, b))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := directRead(data); err == nil && sameStrings(got, want) {
		upstreamFixed(t, "shadow.go", "each row group is decompressed with its own codec; drop the codec-change case of needsShadow")
	}
}

// OpenFile allocates the footer length the file declares.
func TestUpstreamFooterLengthTrusted(t *testing.T) {
	data := binary.LittleEndian.AppendUint32([]byte("PAR1"), 64<<20)
	data = append(data, "PAR1"...)
	n := allocated(func() { parquetgo.OpenFile(bytes.NewReader(data), int64(len(data))) })
	if n < 64<<20 {
		upstreamFixed(t, "guard.go", fmt.Sprintf("checkFooter's length check: a 12-byte file declaring a 64 MiB footer made OpenFile allocate %d bytes", n))
	}
}

// The Thrift decoder allocates a list's declared length before it reads
// the elements.
func TestUpstreamThriftListTrusted(t *testing.T) {
	// FileMetaData field 2 (schema), a list of structs of 1 Mi elements.
	data := binary.AppendUvarint([]byte{0x29, 0xfc}, 1<<20)
	var m format.FileMetaData
	n := allocated(func() { thrift.Unmarshal(new(thrift.CompactProtocol), data, &m) })
	if n < 32<<20 {
		upstreamFixed(t, "guard.go", fmt.Sprintf("thriftWalker: 6 bytes declaring a list of 1 Mi structs made the decoder allocate %d bytes", n))
	}
}

// A snappy block's announced length is allocated before it is decoded.
func TestUpstreamSnappyLengthTrusted(t *testing.T) {
	src := append(binary.AppendUvarint(nil, 64<<20), 0, 1, 2, 3)
	n := allocated(func() { (&pqsnappy.Codec{}).Decode(nil, src) })
	if n < 64<<20 {
		upstreamFixed(t, "guard.go", fmt.Sprintf("the snappy case of checkBody: a 8-byte block announcing 64 MiB made Decode allocate %d bytes", n))
	}
}

// A page's declared uncompressed size is allocated as declared.
func TestUpstreamPageSizeTrusted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.parquet")
	node := parquetgo.Group{"blob": parquetgo.String()}
	pqWrite(t, path, node, []parquetgo.Row{{parquetgo.ByteArrayValue(make([]byte, 3<<19)).Level(0, 0, 0)}},
		parquetgo.Compression(&parquetgo.Snappy))
	var at int64
	pqRewriteFooter(t, path, func(m *format.FileMetaData) { at = m.RowGroups[0].Columns[0].MetaData.DataPageOffset })
	// 1.5 MiB declared as 48 MiB: both take 4 bytes in the header.
	pqRewritePageHeader(t, path, at, func(h *format.PageHeader) { h.UncompressedPageSize = 48 << 20 })
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := allocated(func() { directRead(data) })
	if n < 48<<20 {
		upstreamFixed(t, "guard.go", fmt.Sprintf("scan's page size checks: a 1.5 MiB page declared as 48 MiB made parquet-go allocate %d bytes", n))
	}
}

// parquet-go/parquet-go#537 (panics on malformed data): a data page v2
// whose level lengths exceed its size (one flipped byte of a valid file)
// panics in Column.decodeDataPage.
func TestUpstreamPanicOnV2Levels(t *testing.T) {
	path := filepath.Join("testdata", "upstream", "v2-levels-past-page.parquet")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := directRead(data); err == nil || !strings.HasPrefix(err.Error(), "panic:") {
		upstreamFixed(t, "guard.go and rowgroup.go", fmt.Sprintf("parquet-go#537: this page no longer panics (%v); the recover() of decodeRowGroup and NewReader may go once FuzzParquet finds no other panic", err))
	}
	res := pqRead(t, path, Options{}, 100)
	if res.err == nil || !errors.Is(res.err, ErrCorrupt) || isInternal(res.err) {
		t.Fatalf("the reader: %v, want a corrupt file", res.err)
	}
}

// A column written OPTIONAL (100 nulls in 1,000 rows, data pages v2) and
// declared REQUIRED reads without an error, its values shifted: the first
// row (whose name is null) gets the second row's name, and so on.
func TestUpstreamRequiredColumnShifted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "scores.parquet")
	pqScores(t, path, 1000, parquetgo.DataPageVersion(2))
	pqRewriteFooter(t, path, func(m *format.FileMetaData) {
		pqElement(m, "name").RepetitionType = thrift.New(format.Required)
	})
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := directRead(data)
	if err != nil || len(rows) == 0 || len(rows[0]) != 3 || string(rows[0][1].ByteArray()) != "n1" {
		upstreamFixed(t, "check.go", fmt.Sprintf("parquet-go refuses or reads right a REQUIRED column holding nulls (%d rows, error %v): the null and value count checks of checkPageHeader and checkPage may go", len(rows), err))
	}
	res := pqRead(t, path, Options{}, 100)
	if res.err == nil || !strings.Contains(res.err.Error(), "REQUIRED") {
		t.Fatalf("the reader: %d rows, %v", len(res.rows), res.err)
	}
}
