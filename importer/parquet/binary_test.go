package parquet

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/groupimport/groupimport/record"
	parquetgo "github.com/parquet-go/parquet-go"
)

// pqLegacy writes n rows of (id INT64, legacy BYTE_ARRAY without a text
// annotation, optional) in row groups of 100 rows; bad, when ≥ 0, is the
// row whose legacy value is not UTF-8.
func pqLegacy(t *testing.T, path string, n, bad int) {
	t.Helper()
	node := parquetgo.Group{"id": parquetgo.Int(64), "legacy": parquetgo.Optional(parquetgo.Leaf(parquetgo.ByteArrayType))}
	var rows []parquetgo.Row
	for i := 0; i < n; i++ {
		v := lv(fmt.Sprintf("Café %d", i%5), 0, 1, 1)
		switch {
		case i == bad:
			v = lv("caf\xe9", 0, 1, 1)
		case i%9 == 0:
			v = lv(nil, 0, 0, 1)
		}
		rows = append(rows, parquetgo.Row{lv(int64(i), 0, 0, 0), v})
	}
	pqWrite(t, path, node, rows, parquetgo.MaxRowsPerRowGroup(100))
}

func pqWarnings(t *testing.T, path string, opts Options) map[string]int64 {
	t.Helper()
	r, err := openPQ(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b := newBatchFor(t)
	for {
		b.Reset()
		if err := r.Next(b, 1000); err != nil {
			break
		}
	}
	return r.Warnings()
}

// TestParquetBinaryAsString: a BYTE_ARRAY column without a text
// annotation (old Impala/Hive strings) is text with BinaryAsString; without
// it, text when every value of it in the file is UTF-8 (with a warning
// naming the column), else base64 for the whole file.
func TestParquetBinaryAsString(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.parquet")
	pqLegacy(t, good, 300, -1)
	bad := filepath.Join(dir, "bad.parquet")
	pqLegacy(t, bad, 300, 250) // in the last row group

	warning := `column "legacy": bytes without a text annotation read as text, every value being UTF-8 (binary_as_string: true in the mapping says so)`
	for _, asString := range []bool{false, true} {
		res := pqRead(t, good, Options{BinaryAsString: asString}, 64)
		if res.err != nil || len(res.rows) != 300 {
			t.Fatalf("good, BinaryAsString %v: %d rows, %v", asString, len(res.rows), res.err)
		}
		if res.rows[1][1] != "string:Café 1" || res.rows[9][1] != "null" {
			t.Errorf("good, BinaryAsString %v: %v %v", asString, res.rows[1], res.rows[9])
		}
		w := pqWarnings(t, good, Options{BinaryAsString: asString})
		if want := map[string]int64{warning: 1}; !asString && (len(w) != 1 || w[warning] != 1) {
			t.Errorf("good, auto: warnings %v, want %v", w, want)
		} else if asString && len(w) != 0 {
			t.Errorf("good, BinaryAsString: warnings %v", w)
		}
	}

	res := pqRead(t, bad, Options{}, 64)
	if res.err != nil || res.rows[1][1] != "string:Q2Fmw6kgMQ==" || res.rows[250][1] != "string:Y2Fm6Q==" {
		t.Fatalf("bad, auto: every value base64: %v %v %v", res.rows[1], res.rows[250], res.err)
	}
	if w := pqWarnings(t, bad, Options{}); len(w) != 0 {
		t.Errorf("bad, auto: warnings %v", w)
	}
	res = pqRead(t, bad, Options{BinaryAsString: true}, 64)
	if res.err != nil || res.rows[1][1] != "string:Café 1" || !strings.Contains(res.errs[250], `column "legacy": invalid UTF-8 (byte 0xe9 at offset 3)`) {
		t.Fatalf("bad, BinaryAsString: %v %v %q %v", res.rows[1], res.rows[250], res.errs[250], res.err)
	}
	for i, e := range res.errs {
		if e != "" && i != 250 {
			t.Errorf("row %d rejected: %s", i, e)
		}
	}
}

// TestParquetMapRepeatedKey: a map that repeats a key keeps the last value
// (where that entry stands), with a warning counting the entries dropped.
func TestParquetMapRepeatedKey(t *testing.T) {
	node := parquetgo.Group{"m": parquetgo.Optional(parquetgo.Map(parquetgo.String(), parquetgo.Int(64)))}
	entry := func(k string, v int64, first bool) parquetgo.Row {
		rep := 1
		if first {
			rep = 0
		}
		return parquetgo.Row{lv(k, rep, 2, 0), lv(v, rep, 2, 1)}
	}
	row := func(entries ...parquetgo.Row) parquetgo.Row {
		var r parquetgo.Row
		for _, e := range entries {
			r = append(r, e...)
		}
		return r
	}
	rows := []parquetgo.Row{
		row(entry("a", 1, true), entry("b", 2, false), entry("a", 3, false)),
		row(entry("x", 1, true), entry("y", 2, false)),
		row(entry("k", 1, true), entry("k", 2, false), entry("k", 3, false)),
	}
	// A wide map (past the pairwise comparison): k0…k19, then k5 again.
	var wide []parquetgo.Row
	for i := 0; i < 20; i++ {
		wide = append(wide, entry(fmt.Sprintf("k%d", i), int64(i), i == 0))
	}
	rows = append(rows, row(append(wide, entry("k5", 99, false))...))
	// parquet-go wants the values of each row in column order.
	for i, r := range rows {
		var keys, vals parquetgo.Row
		for _, v := range r {
			if v.Column() == 0 {
				keys = append(keys, v)
			} else {
				vals = append(vals, v)
			}
		}
		rows[i] = append(keys, vals...)
	}
	path := pqWrite(t, filepath.Join(t.TempDir(), "maps.parquet"), node, rows)
	res := pqRead(t, path, Options{}, 10)
	var wantWide []string
	for i := 0; i < 20; i++ {
		if i != 5 {
			wantWide = append(wantWide, fmt.Sprintf(`"k%d":%d`, i, i))
		}
	}
	want := []string{`json:{"b":2,"a":3}`, `json:{"x":1,"y":2}`, `json:{"k":3}`, `json:{` + strings.Join(wantWide, ",") + `,"k5":99}`}
	if res.err != nil || len(res.rows) != len(want) {
		t.Fatalf("%d rows, %v", len(res.rows), res.err)
	}
	for i := range want {
		if res.rows[i][0] != want[i] {
			t.Errorf("row %d: %s, want %s", i, res.rows[i][0], want[i])
		}
	}
	w := pqWarnings(t, path, Options{})
	if msg := `column "m": a map repeats a key; the last value is kept`; len(w) != 1 || w[msg] != 4 {
		t.Errorf("warnings %v, want 4 × %q", w, msg)
	}
}

func newBatchFor(t *testing.T) *record.Batch { return record.NewBatch(1000, 1<<20) }
