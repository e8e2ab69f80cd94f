package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// writeParquet writes rows of the schema node to path.
func writeParquet(t *testing.T, path string, node parquet.Node, rows []parquet.Row) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := parquet.NewWriter(f, parquet.NewSchema("schema", node))
	if _, err := w.WriteRows(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// leafAt returns where the first page of the file's leaf column named
// column starts.
func leafAt(t *testing.T, path, column string) int64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range pf.Metadata().RowGroups[0].Columns {
		if strings.Join(c.MetaData.PathInSchema, ".") == column {
			return c.MetaData.DataPageOffset
		}
	}
	t.Fatalf("no column %q", column)
	return 0
}

// TestParquetProjectionThroughTheCLI: a column the mapping does not read
// is not decoded at all. The file's "notes" column is damaged: a run whose
// mapping reads only id and name succeeds; with custom: rest (every column
// read) the same file fails, naming the column.
func TestParquetProjectionThroughTheCLI(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "companies.parquet")
	node := parquet.Group{"id": parquet.String(), "name": parquet.String(), "notes": parquet.String()}
	var rows []parquet.Row
	for i := 0; i < 3; i++ {
		rows = append(rows, parquet.Row{
			parquet.ByteArrayValue([]byte{'c', byte('0' + i)}).Level(0, 0, 0),
			parquet.ByteArrayValue([]byte("Name "+string(rune('A'+i)))).Level(0, 0, 1),
			parquet.ByteArrayValue([]byte("note")).Level(0, 0, 2),
		})
	}
	writeParquet(t, path, node, rows)
	at := leafAt(t, path, "notes")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := at; i < at+6; i++ {
		data[i] = 0xff
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	mapping := func(custom string) string {
		p := filepath.Join(dir, custom+".yaml")
		os.WriteFile(p, []byte("companies:\n  groupId: id\n  traits:\n    name: name\n  custom: "+custom+"\n"), 0o644)
		return p
	}

	out := filepath.Join(dir, "out-none")
	code, _, stderr := gi(t, "run", "--companies", path, "--mapping", mapping("none"), "--out", out)
	if code != 0 {
		t.Fatalf("mapping of id and name: exit %d\n%s", code, stderr)
	}
	payloads := readLines(t, filepath.Join(out, "payloads-00001.ndjson"))
	if len(payloads) != 3 || !strings.Contains(payloads[2], `"groupId":"c2"`) || !strings.Contains(payloads[2], `"name":"Name C"`) {
		t.Fatalf("payloads %v", payloads)
	}

	code, _, stderr = gi(t, "run", "--companies", path, "--mapping", mapping("rest"), "--out", filepath.Join(dir, "out-rest"))
	if code != 1 || !strings.Contains(stderr, `column "notes"`) {
		t.Fatalf("custom: rest: exit %d, want 1 with the damaged column named\n%s", code, stderr)
	}
	sameExitCode(t, filepath.Join(dir, "out-rest", "report.json"), code)
}

// reportWarnings reads the warnings of a run's report.
func reportWarnings(t *testing.T, path string) map[string]int64 {
	t.Helper()
	var r struct {
		Warnings []struct {
			Message string
			Count   int64
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, w := range r.Warnings {
		out[w.Message] = w.Count
	}
	return out
}

// TestParquetLegacyStringsVariantAndMapsThroughTheCLI: a company export
// with an old-style string column (bytes without a text annotation), a
// VARIANT column and a map that repeats a key. Without binary_as_string the
// bytes are text because every value is (a warning in the report names the
// column); with binary_as_string: true a value that is not UTF-8 rejects
// its row, where without it the whole column would be base64. The VARIANT
// becomes a JSON trait; the map keeps the last value of its key (warned).
func TestParquetLegacyStringsVariantAndMapsThroughTheCLI(t *testing.T) {
	dir := t.TempDir()
	node := parquet.Group{
		"id":    parquet.String(),
		"name":  parquet.Leaf(parquet.ByteArrayType),
		"attrs": parquet.Optional(parquet.Variant()),
		"tags":  parquet.Optional(parquet.Map(parquet.String(), parquet.String())),
	}
	// attrs: {"tier":"gold","seats":12} and the string "n/a", encoded by hand:
	// metadata [seats, tier], an object of two fields, a short string.
	meta := []byte{0x01, 2, 0, 5, 9, 's', 'e', 'a', 't', 's', 't', 'i', 'e', 'r'}
	obj := []byte{0x02, 2, 0, 1, 0, 2, 7, 3 << 2, 12, 4<<2 | 1, 'g', 'o', 'l', 'd'}
	str := []byte{3<<2 | 1, 'n', '/', 'a'}
	write := func(name string, names []string) string {
		var rows []parquet.Row
		for i, n := range names {
			attrs := obj
			if i%2 == 1 {
				attrs = str
			}
			// columns in schema order: attrs.metadata, attrs.value, id, name, tags.key, tags.value
			rows = append(rows, parquet.Row{
				parquet.ByteArrayValue(meta).Level(0, 1, 0), parquet.ByteArrayValue(attrs).Level(0, 1, 1),
				parquet.ByteArrayValue([]byte{'c', byte('0' + i)}).Level(0, 0, 2), parquet.ByteArrayValue([]byte(n)).Level(0, 0, 3),
				parquet.ByteArrayValue([]byte("k")).Level(0, 2, 4), parquet.ByteArrayValue([]byte("k")).Level(1, 2, 4),
				parquet.ByteArrayValue([]byte("first")).Level(0, 2, 5), parquet.ByteArrayValue([]byte("last")).Level(1, 2, 5),
			})
		}
		path := filepath.Join(dir, name)
		writeParquet(t, path, node, rows)
		return path
	}
	good := write("good.parquet", []string{"Ånder AB", "Beta", "Gamma"})
	bad := write("bad.parquet", []string{"Ånder AB", "B\xe9ta", "Gamma"})
	mapping := func(asString bool) string {
		p := filepath.Join(dir, fmt.Sprintf("mapping-%v.yaml", asString))
		os.WriteFile(p, []byte(fmt.Sprintf("companies:\n  groupId: id\n  binary_as_string: %v\n  traits:\n    name: name\n    attrs: attrs\n    tags: tags\n  custom: none\n", asString)), 0o644)
		return p
	}
	run := func(in string, asString bool, wantCode int) (payloads []string, warnings map[string]int64) {
		out := filepath.Join(dir, fmt.Sprintf("out-%s-%v", filepath.Base(in), asString))
		code, _, stderr := gi(t, "run", "--companies", in, "--mapping", mapping(asString), "--out", out)
		if code != wantCode {
			t.Fatalf("%s, binary_as_string %v: exit %d, want %d\n%s", in, asString, code, wantCode, stderr)
		}
		sameExitCode(t, filepath.Join(out, "report.json"), code)
		return readLines(t, filepath.Join(out, "payloads-00001.ndjson")), reportWarnings(t, filepath.Join(out, "report.json"))
	}
	textWarning := `column "name": bytes without a text annotation read as text, every value being UTF-8 (binary_as_string: true in the mapping says so)`
	mapWarning := `column "tags": a map repeats a key; the last value is kept`

	payloads, warnings := run(good, false, 0)
	if !strings.Contains(payloads[0], `"name":"Ånder AB","attrs":{"seats":12,"tier":"gold"},"tags":{"k":"last"}`) ||
		!strings.Contains(payloads[1], `"name":"Beta","attrs":"n/a"`) {
		t.Errorf("payloads:\n%s", strings.Join(payloads, "\n"))
	}
	if warnings[textWarning] != 1 || warnings[mapWarning] != 3 {
		t.Errorf("warnings %v", warnings)
	}
	_, warnings = run(good, true, 0)
	if _, ok := warnings[textWarning]; ok {
		t.Errorf("binary_as_string: true, still warned: %v", warnings)
	}
	payloads, _ = run(bad, false, 0)
	if !strings.Contains(payloads[0], `"name":"w4VuZGVyIEFC"`) {
		t.Errorf("a value not UTF-8, no binary_as_string: the column is base64: %s", payloads[0])
	}
	payloads, _ = run(bad, true, 3)
	if len(payloads) != 2 || !strings.Contains(payloads[0], `"name":"Ånder AB"`) {
		t.Errorf("binary_as_string: true: %d payloads, want the row not UTF-8 rejected:\n%s", len(payloads), strings.Join(payloads, "\n"))
	}
}
