package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/groupimport/groupimport/runner"
)

// Issue 14, two shapes of one kind: without a mapping file, each input
// file is mapped by its own columns; files of the same columns share one
// mapping, printed once with the files it applies to; the files keep
// their order. An NDJSON file without a line (an empty part) fits any
// mapping: it joins the one before it.
func TestTwoShapesOfOneKind(t *testing.T) {
	dir := t.TempDir()
	a := write(t, dir, "a.csv", "company_id,name,seats\nc1,Acme,5\nc2,Globex,7\n")
	b := write(t, dir, "b.ndjson", `{"account_id":"c3","company_name":"Initech","seats":"9"}`+"\n"+`{"account_id":"c4","company_name":"Umbrella"}`+"\n")
	c := write(t, dir, "c.csv", "seats,name,company_id\n11,Hooli,c5\n")
	empty := write(t, dir, "empty.ndjson", "")
	out := filepath.Join(dir, "out")
	code, _, stderr := gi(t, "run", "--companies", a, "--companies", empty, "--companies", b, "--companies", c, "--out", out, "--timestamp", "2024-06-01T00:00:00Z")
	if code != runner.ExitOK {
		t.Fatalf("exit %d, want 0\n%s", code, stderr)
	}
	var got []string
	for _, line := range readLines(t, filepath.Join(out, "payloads-00001.ndjson")) {
		var p struct {
			GroupID string `json:"groupId"`
			Traits  map[string]any
		}
		if err := json.Unmarshal([]byte(line), &p); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s %v %v", p.GroupID, p.Traits["name"], p.Traits["seats"]))
	}
	want := []string{"c1 Acme 5", "c2 Globex 7", "c3 Initech 9", "c4 Umbrella <nil>", "c5 Hooli 11"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("payloads\n got %q\nwant %q", got, want)
	}
	for _, w := range []string{"the companies files have 2 different sets of columns; each is mapped by its own:",
		"  " + a + ", " + empty + ", " + c + ":\n    groupId ← \"company_id\"\n", "  " + b + ":\n    groupId ← \"account_id\"\n",
		"    traits.name ← \"company_name\" (string)\n"} {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, stderr)
		}
	}
	if n := strings.Count(stderr, `groupId ← "company_id"`); n != 1 {
		t.Errorf("the mapping of a.csv and c.csv is printed %d times, want once:\n%s", n, stderr)
	}
	data, err := os.ReadFile(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Mapping map[string]struct {
			Fields []string
			Shapes []struct{ Files, Fields []string }
		}
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	sh := rep.Mapping["companies"].Shapes
	if len(sh) != 2 || strings.Join(sh[0].Files, ",") != a+","+empty+","+c || strings.Join(sh[1].Files, ",") != b ||
		sh[1].Fields[0] != `groupId ← "account_id"` {
		t.Errorf("report mapping shapes: %+v", sh)
	}
	sameExitCode(t, filepath.Join(out, "report.json"), code)
	// init makes one mapping, from the first file, and names the files it
	// does not fit
	_, text := initRead(t, "--companies", a, "--companies", empty, "--companies", b, "--companies", c)
	wantNote := "  # made from the columns of " + a + "; " + b + " lacks a column it names: a run with this mapping stops there"
	if !strings.Contains(text, wantNote) {
		t.Errorf("the mapping lacks %q:\n%s", wantNote, text)
	}
}

// With a mapping file, a file that lacks a column the mapping names stops
// the run before anything is sent (exit 2), naming the file: a CSV by its
// header, an NDJSON file by the keys of all its lines — a key that only a
// line past the first thousand has is there.
func TestMappingFileColumnMissingInOneFile(t *testing.T) {
	dir := t.TempDir()
	mapping := write(t, dir, "m.yaml", "companies:\n  groupId: company_id\n  traits:\n    name: company_name\n")
	good := write(t, dir, "good.csv", "company_id,company_name\nc1,Acme\n")
	var late strings.Builder
	for i := range 1500 {
		if i == 1400 {
			fmt.Fprintf(&late, `{"company_id":"n%d","company_name":"Late Inc"}`+"\n", i)
			continue
		}
		fmt.Fprintf(&late, `{"company_id":"n%d"}`+"\n", i)
	}
	lateFile := write(t, dir, "late.ndjson", late.String())
	for _, tc := range []struct {
		name, file, want string
	}{
		{"csv", write(t, dir, "other.csv", "company_id,title\nc2,x\n"), `other.csv: companies: the mapping names "company_name" (line 4), not in the input (columns: company_id, title)`},
		{"ndjson", write(t, dir, "other.ndjson", strings.Repeat(`{"company_id":"c3","title":"x"}`+"\n", 1200)),
			`other.ndjson: companies: the mapping names "company_name" (line 4), not in the input (columns: company_id, title) (no line of this NDJSON file has it)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			code, _, stderr := gi(t, "run", "--mapping", mapping, "--companies", good, "--companies", tc.file, "--out", out)
			if code != runner.ExitUsage {
				t.Fatalf("exit %d, want 2\n%s", code, stderr)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr lacks %q:\n%s", tc.want, stderr)
			}
			if entries, _ := os.ReadDir(out); len(entries) != 0 {
				t.Errorf("something was written: %v", entries)
			}
		})
	}
	out := filepath.Join(dir, "out")
	code, _, stderr := gi(t, "run", "--mapping", mapping, "--companies", good, "--companies", lateFile, "--out", out, "-q")
	if code != runner.ExitOK {
		t.Fatalf("a key on line 1401 only: exit %d, want 0\n%s", code, stderr)
	}
	payloads := readLines(t, filepath.Join(out, "payloads-00001.ndjson"))
	if len(payloads) != 1501 || !strings.Contains(payloads[1401], `"groupId":"n1400","traits":{"objectTypeId":1,"name":"Late Inc"}`) {
		t.Errorf("%d payloads; line 1401 %s", len(payloads), payloads[min(1401, len(payloads)-1)])
	}
}

// Without a mapping file, a kind none of whose files can be read is listed
// in the report's files with their errors (exit 1), as with a mapping
// file; the other kinds are delivered.
func TestUnreadableInputsListedWhenInferred(t *testing.T) {
	dir := t.TempDir()
	bad1 := write(t, dir, "bad1.parquet", "not parquet at all")
	bad2 := write(t, dir, "bad2.parquet", "nor this")
	members := write(t, dir, "m.csv", "company_id,user_id\nc1,u1\n")
	for _, mapping := range []string{"", write(t, dir, "m.yaml", "companies:\n  groupId: company_id\n")} {
		out := filepath.Join(t.TempDir(), "out")
		args := []string{"run", "--companies", bad1, "--companies", bad2, "--memberships", members, "--out", out, "-q"}
		if mapping != "" {
			args = append(args, "--mapping", mapping)
		}
		code, _, stderr := gi(t, args...)
		if code != runner.ExitFailure {
			t.Fatalf("mapping %q: exit %d, want 1\n%s", mapping, code, stderr)
		}
		rep := sameExitCode(t, filepath.Join(out, "report.json"), code)
		var files []string
		for _, f := range rep.Files {
			files = append(files, fmt.Sprintf("%s read %d emitted %d error %v", filepath.Base(f.Path), f.Read, f.Emitted, f.Error != ""))
		}
		want := "bad1.parquet read 0 emitted 0 error true|bad2.parquet read 0 emitted 0 error true|m.csv read 1 emitted 1 error false"
		if strings.Join(files, "|") != want {
			t.Errorf("mapping %q: files\n got %s\nwant %s", mapping, strings.Join(files, "|"), want)
		}
		if !strings.Contains(rep.Files[0].Error, "bad1.parquet: the file does not start with the Parquet magic bytes PAR1") {
			t.Errorf("error: %s", rep.Files[0].Error)
		}
		for _, e := range rep.Errors {
			if strings.Contains(e, "could be read") {
				t.Errorf("report error %q", e)
			}
		}
	}
}
