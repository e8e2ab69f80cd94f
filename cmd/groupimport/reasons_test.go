package main

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// reasonsOf reads report.json's reject_reasons.
func reasonsOf(t *testing.T, path string) []struct {
	Code, Column, Example, Reason string
	Count                         int64
} {
	t.Helper()
	var r struct {
		RejectReasons []struct {
			Code, Column, Example, Reason string
			Count                         int64
		} `json:"reject_reasons"`
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	return r.RejectReasons
}

// Rows with invalid UTF-8 at different offsets (and different bytes) in
// one column count as one reason, under one code, with the first row's
// reason as the example, digits intact — in report.json and in the
// summary. (Once, digits were rewritten to N: `invalid UTF-N (byte NxeN)`,
// one reason per distinct byte.)
func TestInvalidUTF8CountedByCode(t *testing.T) {
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "companies.csv")
	os.WriteFile(csvPath, []byte("company_id,name\nc1,Caf\xe9 Noir\nc2,M\xfcller & Sohn\nc3,fine\n"), 0o644)

	pqPath := filepath.Join(dir, "more.parquet")
	node := parquet.Group{"company_id": parquet.String(), "name": parquet.String()}
	var rows []parquet.Row
	for i, name := range []string{"Gro\xdfe M\xfchle", "fine", "\xfcber"} {
		rows = append(rows, parquet.Row{
			parquet.ByteArrayValue([]byte{'p', byte('0' + i)}).Level(0, 0, 0),
			parquet.ByteArrayValue([]byte(name)).Level(0, 0, 1),
		})
	}
	writeParquet(t, pqPath, node, rows)

	// (--encoding utf-8: the CSV file, not UTF-8 from its first bad byte
	// on, would be a file error without it)
	for _, tc := range []struct {
		name, input, example string
	}{
		{"csv", csvPath, "invalid UTF-8 (byte 0xe9); if the file is not UTF-8, name its encoding with --encoding"},
		{"parquet", pqPath, "invalid UTF-8 (byte 0xdf at offset 3) in a text value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, tc.name)
			code, _, stderr := gi(t, "run", "--companies", tc.input, "--out", out, "--timestamp", "2024-06-01T00:00:00Z", "--encoding", "utf-8")
			if code != 3 {
				t.Fatalf("exit %d, want 3\n%s", code, stderr)
			}
			sameExitCode(t, filepath.Join(out, "report.json"), code)
			reasons := reasonsOf(t, filepath.Join(out, "report.json"))
			if len(reasons) != 1 {
				t.Fatalf("%d reasons, want one: %+v", len(reasons), reasons)
			}
			rc := reasons[0]
			// the importer's own code once it names one, transform's
			// fallback for readers' errors until then
			if rc.Code != "invalid_utf8" && rc.Code != "unreadable_row" {
				t.Errorf("code %q", rc.Code)
			}
			if rc.Column != "name" || rc.Count != 2 || rc.Example != tc.example || rc.Reason != "name: "+tc.example {
				t.Errorf("reason %+v, want 2 in column name, e.g. %q", rc, tc.example)
			}
			want := "rejected 2× " + rc.Code + ` (column "name"), e.g. ` + tc.example
			if !strings.Contains(stderr, want) {
				t.Errorf("the summary lacks %q:\n%s", want, stderr)
			}
			if strings.Contains(stderr, "UTF-N") || strings.Contains(stderr, "0xN") {
				t.Errorf("the summary rewrites digits:\n%s", stderr)
			}
		})
	}
}

// README's table of rejection codes lists every code there is: each
// string constant named Code… of the packages that make row errors and
// rejects (transform, the importer and its readers, record, the sinks,
// report).
func TestReadmeListsEveryCode(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, root := range []string{"transform", "importer", "record", "sink", "report"} {
		err := filepath.WalkDir(filepath.Join("../..", root), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			codes = append(codes, codeConstants(t, path)...)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(codes) < 20 {
		t.Fatalf("found only %v", codes)
	}
	for _, c := range codes {
		if !strings.Contains(string(readme), "`"+c+"`") {
			t.Errorf("README does not list the code %s", c)
		}
	}
}

// codeConstants returns the values of the string constants named Code…
// declared in the Go file at path.
func codeConstants(t *testing.T, path string) []string {
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, name := range vs.Names {
				if !strings.HasPrefix(name.Name, "Code") || i >= len(vs.Values) {
					continue
				}
				if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					out = append(out, strings.Trim(lit.Value, "`\""))
				}
			}
		}
	}
	return out
}
