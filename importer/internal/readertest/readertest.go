// Package readertest holds what the tests of the readers (importer and its
// format packages) share: in-memory inputs with tiny reads, draining a
// reader while checking the reader contract on every row, and comparing
// results. It is imported by tests only.
package readertest

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/groupimport/groupimport/internal/jsonx"
	"github.com/groupimport/groupimport/record"
)

// ChunkReader returns at most N bytes a Read (all that fits when N <= 0).
type ChunkReader struct {
	Data []byte
	N    int
	Err  error // returned instead of io.EOF at the end, when set
}

func (c *ChunkReader) Read(p []byte) (int, error) {
	if len(c.Data) == 0 {
		if c.Err != nil {
			return 0, c.Err
		}
		return 0, io.EOF
	}
	k := len(p)
	if c.N > 0 && k > c.N {
		k = c.N
	}
	k = copy(p[:k], c.Data)
	c.Data = c.Data[k:]
	return k, nil
}

// Row is a copy of a record.Row that outlives its batch.
type Row struct {
	Line   int64
	Num    int64
	Names  []string
	Values []string
	Kinds  []record.Kind
	Raw    string
	Err    *record.Error
}

func (g Row) String() string {
	if g.Err != nil {
		return fmt.Sprintf("{line %d row %d err %+v raw %q}", g.Line, g.Num, *g.Err, g.Raw)
	}
	return fmt.Sprintf("{line %d row %d %q=%q raw %q}", g.Line, g.Num, g.Names, g.Values, g.Raw)
}

// Contract is what Drain holds a reader to besides what every row must
// keep (see CheckRow).
type Contract struct {
	// Lines: rows start on increasing lines (CSV, NDJSON).
	Lines bool
	// ValuesWithErr: a rejected row may keep the values it has, for the
	// rejects file (Parquet); else it has none.
	ValuesWithErr bool
	// FileErr says whether an error is of the type the reader promises.
	FileErr func(error) bool
}

// CheckRow checks the contract every row must keep, and copies it: Values
// (one per Schema name, unique UTF-8 names, text values valid UTF-8), an
// Err with a Code and a Reason, or (valuesWithErr) both.
func CheckRow(row *record.Row, valuesWithErr bool) (Row, error) {
	g := Row{Line: row.Line, Num: row.Num, Raw: string(row.Raw), Err: row.Err}
	if row.Err != nil {
		if row.Values != nil && !valuesWithErr {
			return g, fmt.Errorf("row %d has both Err and Values", row.Num)
		}
		if row.Err.Code == "" || row.Err.Reason == "" {
			return g, fmt.Errorf("row %d: a row error without a code or a reason: %+v", row.Num, *row.Err)
		}
		e := *row.Err
		g.Err = &e
		if row.Values == nil {
			return g, nil
		}
	}
	if row.Schema == nil {
		return g, fmt.Errorf("row %d has neither Err nor Schema", row.Num)
	}
	if len(row.Values) != len(row.Schema.Names) {
		return g, fmt.Errorf("row %d: %d values for %d names", row.Num, len(row.Values), len(row.Schema.Names))
	}
	seen := map[string]bool{}
	for k, name := range row.Schema.Names {
		if seen[name] {
			return g, fmt.Errorf("row %d: column %q twice in the schema", row.Num, name)
		}
		seen[name] = true
		if row.Schema.Index(name) != k {
			return g, fmt.Errorf("row %d: Schema.Index(%q) = %d, want %d", row.Num, name, row.Schema.Index(name), k)
		}
		if !utf8.ValidString(name) {
			return g, fmt.Errorf("row %d: column name %q is not UTF-8", row.Num, name)
		}
	}
	g.Names = append([]string{}, row.Schema.Names...)
	g.Kinds = []record.Kind{}
	for _, v := range row.Values {
		if (v.Kind == record.String || v.Kind == record.JSON) && !utf8.Valid(v.Bytes) {
			return g, fmt.Errorf("row %d: value %q is not valid UTF-8", row.Num, v.Bytes)
		}
		// Plain text is copied into the payload as it is (transform's
		// appendText): a byte JSON escapes there would break the payload.
		if v.Plain && (v.Kind != record.String || jsonx.NeedsEscape(v.Bytes)) {
			return g, fmt.Errorf("row %d: value %q (kind %v) is marked plain", row.Num, v.Bytes, v.Kind)
		}
		g.Values = append(g.Values, string(v.Bytes))
		g.Kinds = append(g.Kinds, v.Kind)
	}
	if g.Values == nil {
		g.Values = []string{}
	}
	return g, nil
}

// ContractError is a broken reader contract found by Drain.
type ContractError struct{ Msg string }

func (e *ContractError) Error() string { return "reader contract: " + e.Msg }

func broken(format string, args ...any) error {
	return &ContractError{fmt.Sprintf(format, args...)}
}

// poison resets b with values no reader sets in its value arena (Reset
// does not clear it, see record.Batch.ValuesToFill): a reader that leaves
// a value of a row unset hands out one of these.
func poison(b *record.Batch) {
	b.Reset()
	v := b.ValuesToFill(4096)
	for i := range v {
		v[i] = record.Value{Kind: record.JSON, Bytes: []byte(`"stale value"`)}
	}
	b.Reset()
}

// Nexter is the part of a reader Drain uses.
type Nexter interface {
	Next(b *record.Batch, max int) error
}

// Drain reads r to the end in batches of max rows, checking every row
// (CheckRow), the numbering of rows (1, 2, 3…) and what c says. It returns
// the rows and the error that ended the reading (nil for io.EOF); a broken
// contract is a *ContractError.
func Drain(r Nexter, max int, c Contract) ([]Row, error) {
	var rows []Row
	b := record.NewBatch(min(max, 1024), 64)
	for calls := 0; ; calls++ {
		if calls > 1<<22 {
			return rows, broken("Next never returns io.EOF")
		}
		poison(b)
		err := r.Next(b, max)
		if len(b.Rows) > max {
			return rows, broken("Next put %d rows in a batch of max %d", len(b.Rows), max)
		}
		for i := range b.Rows {
			g, cerr := CheckRow(&b.Rows[i], c.ValuesWithErr)
			if cerr != nil {
				return rows, &ContractError{cerr.Error()}
			}
			if want := int64(len(rows) + 1); g.Num != want {
				return rows, broken("row numbered %d, want %d", g.Num, want)
			}
			if c.Lines && len(rows) > 0 && g.Line <= rows[len(rows)-1].Line {
				return rows, broken("row %d starts on line %d, not after the previous row's line %d", g.Num, g.Line, rows[len(rows)-1].Line)
			}
			if c.Lines && g.Line < 1 {
				return rows, broken("row %d has line %d", g.Num, g.Line)
			}
			rows = append(rows, g)
		}
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			if !c.FileErr(err) {
				return rows, broken("Next returned %T %v, not a file error", err, err)
			}
			return rows, err
		}
	}
}

// FailOnContract fails on a broken reader contract (see Drain).
func FailOnContract(t testing.TB, err error) {
	t.Helper()
	var ce *ContractError
	if errors.As(err, &ce) {
		t.Fatal(err)
	}
}

// WriteFile writes data to name in a new temporary directory.
func WriteFile(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// ErrString is err's text, or "" for nil.
func ErrString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// SameRead reports how two reads differ, or "" when they are the same.
func SameRead(cols1 []string, rows1 []Row, err1 error, cols2 []string, rows2 []Row, err2 error) string {
	if !reflect.DeepEqual(cols1, cols2) {
		return fmt.Sprintf("columns %q vs %q", cols1, cols2)
	}
	if ErrString(err1) != ErrString(err2) {
		return fmt.Sprintf("error %v vs %v", err1, err2)
	}
	if len(rows1) != len(rows2) {
		return fmt.Sprintf("%d rows vs %d rows", len(rows1), len(rows2))
	}
	for i := range rows1 {
		if !reflect.DeepEqual(rows1[i], rows2[i]) {
			return fmt.Sprintf("row %d: %v vs %v", i+1, rows1[i], rows2[i])
		}
	}
	return ""
}

// Want is what a test expects of one row. Values nil means the row is
// rejected, and Err then says how: Line and Col and Column exactly, Code
// when set, Reason as a substring.
type Want struct {
	Line   int64
	Values []string
	Raw    string // compared when not empty
	Err    *record.Error
}

// OK is a row read with vals, starting on line.
func OK(line int64, vals ...string) Want { return Want{Line: line, Values: vals} }

// Rej is a row rejected because of a problem on its first line.
func Rej(line int64, col int, column, reason string) Want {
	return Want{Line: line, Err: &record.Error{Col: col, Column: column, Reason: reason}}
}

// CheckRows compares rows with what is expected.
func CheckRows(t testing.TB, got []Row, want []Want) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d rows, want %d: %v", len(got), len(want), got)
	}
	for i := 0; i < len(got) && i < len(want); i++ {
		if g := got[i]; g.Num != int64(i+1) {
			t.Errorf("row %d: Num %d", i+1, g.Num)
		}
		CheckRow1(t, i, got[i], want[i])
	}
}

// CheckRow1 compares the i'th row (0-based).
func CheckRow1(t testing.TB, i int, g Row, w Want) {
	t.Helper()
	if g.Line != w.Line {
		t.Errorf("row %d: line %d, want %d", i+1, g.Line, w.Line)
	}
	if w.Raw != "" && g.Raw != w.Raw {
		t.Errorf("row %d: raw %q, want %q", i+1, g.Raw, w.Raw)
	}
	if w.Err == nil {
		if g.Err != nil {
			t.Errorf("row %d: rejected (%v), want %q", i+1, g.Err, w.Values)
			return
		}
		if !reflect.DeepEqual(g.Values, w.Values) {
			t.Errorf("row %d: values %q, want %q", i+1, g.Values, w.Values)
		}
		return
	}
	if g.Err == nil {
		t.Errorf("row %d: values %q, want rejected (%s)", i+1, g.Values, w.Err.Reason)
		return
	}
	if g.Err.Col != w.Err.Col || g.Err.Column != w.Err.Column ||
		w.Err.Code != "" && g.Err.Code != w.Err.Code || !strings.Contains(g.Err.Reason, w.Err.Reason) {
		t.Errorf("row %d: error %+v, want %+v", i+1, *g.Err, *w.Err)
	}
}

// WriteSeed writes a seed of the fuzz target into testdata/fuzz/target/
// seed-name, in go test's corpus format; args are []byte, byte or bool.
func WriteSeed(t testing.TB, target, name string, args ...any) {
	t.Helper()
	var b strings.Builder
	b.WriteString("go test fuzz v1\n")
	for _, a := range args {
		switch v := a.(type) {
		case []byte:
			fmt.Fprintf(&b, "[]byte(%s)\n", strconv.Quote(string(v)))
		case byte:
			fmt.Fprintf(&b, "byte(%d)\n", v)
		case bool:
			fmt.Fprintf(&b, "bool(%v)\n", v)
		default:
			t.Fatalf("seed argument %T", a)
		}
	}
	dir := filepath.Join("testdata", "fuzz", target)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "seed-"+Slug(name)), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Slug turns a test case's name into a file name.
func Slug(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '-'
	}, strings.ToLower(s))
}
