package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestScanListsLongFunctionsOnly(t *testing.T) {
	dir := t.TempDir()
	long := "package p\n\ntype T struct{}\n\nfunc (t *T) long() {\n" + strings.Repeat("\t_ = 1\n", 8) + "}\n\nfunc short() {}\n"
	write := func(rel, text string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.go", long)
	write("sub/b.go", strings.Replace(long, "(t *T) long", "deep", 1))
	write("a_test.go", strings.Replace(long, "(t *T) long", "testOnly", 1))
	write("bench/c.go", strings.Replace(long, "(t *T) long", "benchOnly", 1))

	over, err := scan([]string{dir + "/..."}, 9)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, fl := range over {
		got = append(got, fl.name+":"+filepath.Base(fl.pos.Filename))
		if fl.lines != 10 {
			t.Errorf("%s: %d lines, want 10 (func line to closing brace)", fl.name, fl.lines)
		}
	}
	if strings.Join(got, " ") != "(*T).long:a.go deep:b.go" {
		t.Errorf("over 9 lines: %v, want (*T).long in a.go and deep in sub/b.go (no tests, no bench/)", got)
	}
	if over, _ := scan([]string{dir}, 9); len(over) != 1 {
		t.Errorf("without /... only the directory itself: %d functions, want 1", len(over))
	}
	if over, _ := scan([]string{dir + "/..."}, 10); len(over) != 0 {
		t.Errorf("-max 10 lists %d functions of 10 lines, want none", len(over))
	}
}
