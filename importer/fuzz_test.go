package importer

// FuzzDecompress, the fuzz target of opening: decompression. The format
// readers have their own (importer/csv, importer/ndjson, importer/parquet).
// Seed corpora are in testdata/fuzz/<FuzzName>/; GROUPIMPORT_WRITE_SEEDS=1
// go test -run TestWriteFuzzSeeds rewrites them. bench/fuzz.sh runs every
// target for a while.

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/groupimport/groupimport/importer/internal/readertest"
	"github.com/klauspost/compress/zstd"
)

// checkFileErr checks that err, when set, is a *FileError naming path.
func checkFileErr(t *testing.T, err error, path string) {
	t.Helper()
	if err == nil {
		return
	}
	var fe *FileError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v is a %T, not a *FileError", err, err)
	}
	if fe.File != path || !strings.Contains(err.Error(), path) {
		t.Fatalf("error %v names %q, not %q", err, fe.File, path)
	}
}

// FuzzDecompress reads gzip and zstd input through Open. Whenever the
// reference decoder (the standard library's gzip, the zstd stream decoder)
// finds the stream broken, reading must fail with a *FileError; whenever
// reading succeeds, the rows must be exactly those of the reference's
// output read as a plain file.
func FuzzDecompress(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, ndjson bool) {
		name := "in.csv"
		if ndjson {
			name = "in.ndjson"
		}
		// The reference first: input that inflates past refLimit is skipped
		// (a bomb only costs time, and the reader's time is not on trial).
		var ref []byte
		var refErr error
		const refLimit = 8 << 20
		switch {
		case bytes.HasPrefix(data, magicGzip):
			zr, zerr := gzip.NewReader(bytes.NewReader(data))
			if zerr != nil {
				refErr = zerr
				break
			}
			ref, refErr = io.ReadAll(io.LimitReader(zr, refLimit+1))
		case bytes.HasPrefix(data, magicZstd):
			zr, zerr := zstd.NewReader(bytes.NewReader(data), zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(zstdMaxWindow))
			if zerr != nil {
				refErr = zerr
				break
			}
			ref, refErr = io.ReadAll(io.LimitReader(zr, refLimit+1))
			zr.Close()
		default:
			return // not compressed: FuzzCSV and FuzzNDJSON cover the rest
		}
		if len(ref) > refLimit {
			return
		}

		dir := t.TempDir()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		opts := Options{MaxRecordBytes: 1 << 20}
		_, rows, err := readFile(p, opts, 1000)
		readertest.FailOnContract(t, err)
		checkFileErr(t, err, p)

		if refErr != nil {
			if err == nil {
				t.Fatalf("the reference decoder fails (%v), reading succeeded with %d rows", refErr, len(rows))
			}
			return
		}
		// klauspost/compress follows RFC 1952 and refuses reserved header
		// flags, which the standard library ignores.
		strict := false
		for i := 0; i+3 < len(data); i++ {
			if data[i] == 0x1f && data[i+1] == 0x8b && data[i+2] == 8 && data[i+3]&0xe0 != 0 {
				strict = true
			}
		}
		if strict && err != nil {
			return
		}
		if err != nil && (errors.Is(err, ErrTruncated) || strings.Contains(err.Error(), "gzip:") || strings.Contains(err.Error(), "zstd:")) {
			t.Fatalf("a decompression error (%v) where the reference decoder reads %d bytes", err, len(ref))
		}
		plain := filepath.Join(dir, "plain-"+name)
		if err := os.WriteFile(plain, ref, 0o644); err != nil {
			t.Fatal(err)
		}
		_, want, werr := readFile(plain, opts, 1000)
		if werr != nil {
			werr = errors.New(strings.ReplaceAll(werr.Error(), plain, p))
		}
		if d := sameRead(nil, want, werr, nil, rows, err); d != "" {
			t.Fatalf("compressed and plain reads differ: %s", d)
		}
	})
}

// TestWriteFuzzSeeds writes the seed corpora of FuzzDecompress when
// GROUPIMPORT_WRITE_SEEDS is set.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("GROUPIMPORT_WRITE_SEEDS") == "" {
		t.Skip("set GROUPIMPORT_WRITE_SEEDS=1 to rewrite testdata/fuzz seeds")
	}
	write := readertest.WriteSeed
	csv := []byte("id,name\n1,\"a\r\nb\"\n2,c\n")
	nd := []byte(`{"id":1,"o":{"a":[1,2]}}` + "\n" + `{"id":2}` + "\n")
	gz := gzipBytes(t, csv)
	zs := zstdBytes(t, nd)
	write(t, "FuzzDecompress", "gzip-csv", gz, false)
	write(t, "FuzzDecompress", "gzip-multi", append(append(gzipBytes(t, csv[:12]), gzipBytes(t, nil)...), gzipBytes(t, csv[12:])...), false)
	write(t, "FuzzDecompress", "gzip-truncated", gz[:len(gz)-5], false)
	write(t, "FuzzDecompress", "gzip-trailing-garbage", append(bytes.Clone(gz), "garbage"...), false)
	write(t, "FuzzDecompress", "zstd-ndjson", zs, true)
	write(t, "FuzzDecompress", "zstd-truncated", zs[:len(zs)-3], true)
	write(t, "FuzzDecompress", "zstd-two-frames", append(zstdBytes(t, nd[:10]), zstdBytes(t, nd[10:])...), true)
	write(t, "FuzzDecompress", "zstd-csv", zstdBytes(t, synthCSV(50)), false)
	write(t, "FuzzDecompress", "gzip-ndjson", gzipBytes(t, synthNDJSON(30)), true)
}
