package main

// How a run treats the text of CSV and NDJSON inputs that is not what it
// should be: Excel's unnamed columns at the end of a header, quotes that
// open and never close, files that are not UTF-8.

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// runReport is what these tests read of report.json.
type runReport struct {
	Totals   struct{ Read, Emitted, Rejected int64 }
	Warnings []struct {
		Message string
		Count   int64
	}
	Files []struct {
		Path  string
		Read  int64
		Error string
	}
	Errors []string
}

func readRunReport(t *testing.T, path string) runReport {
	t.Helper()
	readReport(t, path) // rows read = emitted + rejected + skipped
	var r runReport
	data, _ := os.ReadFile(path)
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// payloadTraits returns the traits of the group calls in dir, by groupId.
func payloadTraits(t *testing.T, dir string) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	parts, _ := filepath.Glob(filepath.Join(dir, "payloads-*.ndjson"))
	for _, p := range parts {
		for _, line := range readLines(t, p) {
			var m struct {
				GroupID string
				Traits  map[string]any
			}
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatal(err)
			}
			out[m.GroupID] = m.Traits
		}
	}
	return out
}

type rejectLine struct {
	File   string
	Line   int64
	Col    int
	Reason string
	Raw    string
}

func readRejects(t *testing.T, path string) []rejectLine {
	t.Helper()
	var out []rejectLine
	for _, line := range readLines(t, path) {
		var r rejectLine
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// An Excel export's header ends with empty columns (company_id,name,plan,,,)
// and so do its rows: the empty columns are dropped with one warning, in
// the summary and report.json; a row with a value under one of them is
// rejected (unnamed_column), the others are sent. An empty name in the
// middle of the header stays a file error naming its line and column.
func TestExcelUnnamedColumnsAtTheEnd(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "excel.csv", []byte("company_id,name,plan,,,\r\nc1,Acme,pro,,,\r\nc2,Beta,free,,,\r\nc3,Gamma,pro,,x,\r\nc4,Delta,free\r\n"))
	out := filepath.Join(dir, "out")
	code, _, stderr := gi(t, "run", "--companies", in, "--out", out, "--timestamp", "2024-06-01T00:00:00Z")
	if code != 3 {
		t.Fatalf("exit %d, want 3 (one rejected row)\n%s", code, stderr)
	}
	warning := in + ": the header's last 3 columns (4 to 6) have no name, as Excel writes them: they are dropped, " +
		"and a row with a value in them is rejected (unnamed_column)"
	if !strings.Contains(stderr, "warning (1×): "+warning) {
		t.Errorf("the summary lacks the warning %q:\n%s", warning, stderr)
	}
	rep := readRunReport(t, filepath.Join(out, "report.json"))
	if rep.Totals.Read != 4 || rep.Totals.Emitted != 3 || rep.Totals.Rejected != 1 {
		t.Errorf("totals %+v, want 4 read, 3 emitted, 1 rejected", rep.Totals)
	}
	found := false
	for _, w := range rep.Warnings {
		found = found || w.Message == warning && w.Count == 1
	}
	if !found {
		t.Errorf("report.json warnings %+v lack %q", rep.Warnings, warning)
	}
	traits := payloadTraits(t, out)
	want := map[string]map[string]any{
		"c1": {"objectTypeId": 1.0, "name": "Acme", "plan": "pro"},
		"c2": {"objectTypeId": 1.0, "name": "Beta", "plan": "free"},
		"c4": {"objectTypeId": 1.0, "name": "Delta", "plan": "free"},
	}
	if !reflect.DeepEqual(traits, want) {
		t.Errorf("traits %v, want %v", traits, want)
	}
	rejects := readRejects(t, filepath.Join(out, "rejects.ndjson"))
	if len(rejects) != 1 || rejects[0].Line != 4 || rejects[0].Col != 15 || rejects[0].Reason !=
		"a value in column 5, which has no name in the header (the header's unnamed columns at the end are dropped): name the column, or remove the value" {
		t.Errorf("rejects %+v", rejects)
	}

	middle := writeFile(t, dir, "middle.csv", []byte("company_id,,plan,,\nc1,Acme,pro,,\n"))
	code, _, stderr = gi(t, "run", "--companies", middle, "--out", filepath.Join(dir, "out2"), "--timestamp", "2024-06-01T00:00:00Z")
	if want := middle + ": line 1, column 12: bad header: column 2 has no name"; code != 1 || !strings.Contains(stderr, want) {
		t.Errorf("exit %d, want 1 and %q:\n%s", code, want, stderr)
	}
}

// A quote that opens on line 12 and never closes is reported at line 12,
// saying that the end of the file (line 17) is where it was noticed; the
// rows before it are sent. A stray quote that a later quote closes rejects
// its record at the line where the record starts, saying where the
// problem was noticed.
func TestQuoteErrorsAtTheRecordsFirstLine(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("company_id,name,city\n")
	for _, r := range []string{"c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9", "c10"} {
		b.WriteString(r + ",N,X\n")
	}
	b.WriteString("c11,\"Broken,X\nc12,N,X\nc13,N,X\nc14,N,X\nc15,N,X\nc16,N,X\n")
	in := writeFile(t, dir, "q.csv", []byte(b.String()))
	out := filepath.Join(dir, "out")
	code, _, stderr := gi(t, "run", "--companies", in, "--out", out, "--timestamp", "2024-06-01T00:00:00Z")
	want := in + ": line 12, column 5: quoted field never closed: the quoted field that opens here (column 5) never closes (noticed at the end of the file, line 17)"
	if code != 1 || !strings.Contains(stderr, want) {
		t.Errorf("exit %d, want 1 and %q:\n%s", code, want, stderr)
	}
	if rep := readRunReport(t, filepath.Join(out, "report.json")); rep.Totals.Emitted != 10 {
		t.Errorf("totals %+v, want the 10 rows before the quote emitted", rep.Totals)
	}

	stray := writeFile(t, dir, "stray.csv", []byte("company_id,name,city\nc1,\"Acme,Paris\nc2,Beta,Oslo\nc3,\"Gamma\" Inc,Rome\nc4,Delta,Wien\n"))
	out = filepath.Join(dir, "out2")
	code, _, stderr = gi(t, "run", "--companies", stray, "--out", out, "--timestamp", "2024-06-01T00:00:00Z")
	if code != 3 {
		t.Fatalf("exit %d, want 3\n%s", code, stderr)
	}
	rejects := readRejects(t, filepath.Join(out, "rejects.ndjson"))
	wantReason := `unexpected 'G' after the closing quote of the quoted field that opens here (column 4) (noticed on line 4, column 5): ` +
		"a quote inside a quoted field must be doubled, and a stray quote makes the lines up to the next quote one field"
	if len(rejects) != 1 || rejects[0].Line != 2 || rejects[0].Col != 4 || !strings.HasSuffix(rejects[0].Reason, wantReason) {
		t.Errorf("rejects %+v, want one at line 2, column 4: %q", rejects, wantReason)
	}
	if g := payloadTraits(t, out); len(g) != 1 || g["c4"] == nil {
		t.Errorf("sent %v, want only c4", g)
	}
}

// utf16le encodes s as UTF-16LE, with a byte-order mark when bom.
func utf16le(s string, bom bool) []byte {
	var out []byte
	if bom {
		out = []byte{0xff, 0xfe}
	}
	for _, r := range s {
		out = append(out, byte(r), byte(r>>8))
	}
	return out
}

// A file that is not UTF-8 is a file error at its first bytes that are
// not, naming the file, the byte offset, line and column, the likely
// encoding and the --encoding to give (exit 1, nothing of it sent); run
// again with that --encoding, every row arrives as the export meant it.
// UTF-16 with a byte-order mark needs no --encoding. (Once, a latin-1 file
// delivered its ASCII rows and rejected the others one by one, and UTF-16
// without a byte-order mark was sent with NUL bytes in its ids.)
func TestNotUTF8FileNamesTheEncoding(t *testing.T) {
	dir := t.TempDir()
	latin1 := writeFile(t, dir, "latin1.csv", []byte("company_id,name,city\nc1,Acme,Paris\nc2,Caf\xe9 M\xfcller,M\xfcnchen\nc3,Stra\xdfe GmbH,Wien\nc4,Euro \x80 Ltd,Bruxelles\n"))
	u16 := writeFile(t, dir, "u16.csv", utf16le("company_id,name\nc1,Zoë\nc2,Bob\n", false))
	u16bom := writeFile(t, dir, "u16bom.csv", utf16le("company_id,name\r\nc1,Zoë\r\nc2,Bob\r\n", true))
	const alsoUTF8 = "; if instead the file is UTF-8 with a few damaged values, --encoding utf-8 rejects only the rows that hold such bytes"
	for _, tc := range []struct {
		name, in, msg, enc string
		want               map[string]string // name by groupId, read with enc
	}{
		{"latin-1", latin1, latin1 + `: line 3, column 7: the file is not UTF-8: byte 0xe9 at byte offset 41 is not valid UTF-8; ` +
			`it looks like windows-1252 (latin-1, Western European), in which this line reads "c2,Café Müller,München": run again with --encoding windows-1252` + alsoUTF8,
			"windows-1252", map[string]string{"c1": "Acme", "c2": "Café Müller", "c3": "Straße GmbH", "c4": "Euro € Ltd"}},
		{"UTF-16LE without a byte-order mark", u16, u16 + ": line 1: the file is not UTF-8: every other byte is NUL, as in UTF-16LE (little-endian) text " +
			"without a byte-order mark (the first NUL at byte offset 1): run again with --encoding utf-16le",
			"utf-16le", map[string]string{"c1": "Zoë", "c2": "Bob"}},
		{"UTF-16LE with a byte-order mark", u16bom, "", "", map[string]string{"c1": "Zoë", "c2": "Bob"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, tc.name)
			args := []string{"run", "--companies", tc.in, "--out", out, "--timestamp", "2024-06-01T00:00:00Z"}
			if tc.msg != "" {
				code, _, stderr := gi(t, args...)
				if code != 1 || !strings.Contains(stderr, tc.msg) {
					t.Fatalf("exit %d, want 1 and\n%s\nin:\n%s", code, tc.msg, stderr)
				}
				rep := readRunReport(t, filepath.Join(out, "report.json"))
				if len(rep.Errors) != 1 || !strings.HasSuffix(rep.Errors[0], tc.msg) || rep.Totals.Read != 0 {
					t.Errorf("report errors %q, totals %+v: want the error and nothing read", rep.Errors, rep.Totals)
				}
				if sent := payloadTraits(t, out); len(sent) != 0 {
					t.Errorf("sent %v", sent)
				}
				out += "-again"
				args = []string{"run", "--companies", tc.in, "--out", out, "--timestamp", "2024-06-01T00:00:00Z", "--encoding", tc.enc}
			}
			code, _, stderr := gi(t, args...)
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			got := map[string]string{}
			for id, traits := range payloadTraits(t, out) {
				got[id], _ = traits["name"].(string)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("names %q, want %q", got, tc.want)
			}
		})
	}
}

// A UTF-8 file with a few bytes that are not (a latin-1 row appended to a
// UTF-8 export) rejects those rows and sends the others, with a warning
// naming the file and the first such byte in the summary and report.json.
func TestMostlyUTF8RejectsRowsWithAWarning(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "mixed.csv", []byte("company_id,name\nc1,Zoë\nc2,Caf\xe9\nc3,Åsa\n"))
	out := filepath.Join(dir, "out")
	code, _, stderr := gi(t, "run", "--companies", in, "--out", out, "--timestamp", "2024-06-01T00:00:00Z")
	if code != 3 {
		t.Fatalf("exit %d, want 3\n%s", code, stderr)
	}
	warning := in + ": the file is UTF-8 but holds bytes that are not (the first, 0xe9, at byte offset 30: line 3, column 7): " +
		"the rows that hold them are rejected (invalid_utf8); those bytes look like windows-1252 (latin-1, Western European): " +
		"if part of the file was written in it, convert that part to UTF-8"
	if !strings.Contains(stderr, "warning (1×): "+warning) {
		t.Errorf("the summary lacks the warning %q:\n%s", warning, stderr)
	}
	rep := readRunReport(t, filepath.Join(out, "report.json"))
	if rep.Totals.Emitted != 2 || rep.Totals.Rejected != 1 {
		t.Errorf("totals %+v, want 2 emitted, 1 rejected", rep.Totals)
	}
	found := false
	for _, w := range rep.Warnings {
		found = found || w.Message == warning && w.Count == 1
	}
	if !found {
		t.Errorf("report.json warnings %+v lack %q", rep.Warnings, warning)
	}
}

// A UTF-8 export run with --encoding latin1 sends "ZoÃ«" for "Zoë": the
// run warns, in the summary and report.json, showing the text both ways.
func TestEncodingNamedForAUTF8File(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "utf8.csv", []byte("company_id,name\nc1,Zoë\n"))
	out := filepath.Join(dir, "out")
	code, _, stderr := gi(t, "run", "--companies", in, "--out", out, "--timestamp", "2024-06-01T00:00:00Z", "--encoding", "latin1")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	warning := in + `: the file is read as latin1 (--encoding) but looks like UTF-8: "c1,Zoë" reads as "c1,ZoÃ«"; if the file is UTF-8, leave --encoding out`
	if !strings.Contains(stderr, "warning (1×): "+warning) {
		t.Errorf("the summary lacks the warning %q:\n%s", warning, stderr)
	}
	found := false
	for _, w := range readRunReport(t, filepath.Join(out, "report.json")).Warnings {
		found = found || w.Message == warning && w.Count == 1
	}
	if !found {
		t.Errorf("report.json lacks %q", warning)
	}
}
