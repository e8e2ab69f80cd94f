package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeFile writes data to dir/name (creating folders) and returns the path.
func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// A key given twice in the mapping is a configuration error naming both
// lines, not a silent switch to the last column.
func TestMappingDuplicateKeyIsUsageError(t *testing.T) {
	dir := t.TempDir()
	csv := writeFile(t, dir, "c.csv", []byte("id,other,name\na,b,A\n"))
	mapping := writeFile(t, dir, "mapping.yaml", []byte("companies:\n  groupId: id\n  traits:\n    name: name\n  groupId: other\n"))
	code, _, stderr := gi(t, "run", "--companies", csv, "--mapping", mapping, "--out", filepath.Join(dir, "out"))
	if code != 2 || !strings.Contains(stderr, "lines 2 and 5") || !strings.Contains(stderr, "groupId") {
		t.Fatalf("exit %d, want 2 naming lines 2 and 5:\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "out", "payloads-00001.ndjson")); err == nil {
		t.Error("payloads were written despite the mapping error")
	}
}
