package main

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
)

func msg(id, extra string) string {
	return `{"type":"group","groupId":"g1","traits":{"objectTypeId":1` + extra + `},"timestamp":"2024-05-01T12:00:00.000Z",` +
		`"messageId":"` + id + `","integrations":{"All":true},"context":{"library":{"name":"groupimport","version":"0.1.0"}}}` + "\n"
}

func write(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func gz(t *testing.T, s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

func zst(t *testing.T, s string) []byte {
	w, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	return w.EncodeAll([]byte(s), nil)
}

func runCmd(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := run(args, strings.NewReader(msg("stdin-1", "")), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestRun(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "payloads-00001.ndjson"), []byte(msg("a", "")+msg("b", "")))
	write(t, filepath.Join(dir, "payloads-00002.ndjson.gz"), gz(t, msg("c", "")))
	write(t, filepath.Join(dir, "payloads-00003.ndjson.zst"), zst(t, msg("d", "")))
	write(t, filepath.Join(dir, ".payloads-00004.ndjson.tmp"), []byte("not json\n"))
	write(t, filepath.Join(dir, "groupimport-rejects.ndjson"), []byte("{}\n"))

	if code, out, errOut := runCmd(dir); code != 0 || out != "" || !strings.Contains(errOut, "4 message(s) in 3 file(s), 0 problem(s)") {
		t.Errorf("valid dir: code %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := runCmd("-"); code != 0 {
		t.Errorf("stdin: code %d\n%s%s", code, out, errOut)
	}

	bad := filepath.Join(dir, "bad.ndjson")
	write(t, bad, []byte(msg("a", "")+msg("e", `,"created_at":"2019-03-01T00:00:00.000Z"`)))
	code, out, _ := runCmd(dir, bad)
	if code != 1 {
		t.Errorf("bad file: code %d", code)
	}
	for _, want := range []string{bad + `:1: messageId "a" was already used at ` + filepath.Join(dir, "payloads-00001.ndjson") + ":1",
		bad + ":2: /traits/created_at: reserved trait written"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// Checked on its own, bad.ndjson has only the spelling problem.
	if code, out, _ := runCmd("-separate", dir, bad); code != 1 || strings.Count(out, "\n") != 1 {
		t.Errorf("-separate: code %d\n%s", code, out)
	}

	if code, _, errOut := runCmd(filepath.Join(dir, "missing.ndjson")); code != 2 || !strings.Contains(errOut, "missing.ndjson") {
		t.Errorf("missing file: code %d %s", code, errOut)
	}
	if code, _, _ := runCmd(); code != 2 {
		t.Errorf("no args: code %d", code)
	}
	truncated := filepath.Join(dir, "trunc.ndjson.gz")
	full := gz(t, msg("x", "")+msg("y", ""))
	write(t, truncated, full[:len(full)-10])
	if code, out, _ := runCmd(truncated); code != 2 || !strings.Contains(out, "trunc.ndjson.gz:") {
		t.Errorf("truncated gzip: code %d\n%s", code, out)
	}
	if code, _, errOut := runCmd(t.TempDir()); code != 2 || !strings.Contains(errOut, "no files matching") {
		t.Errorf("empty dir: code %d %s", code, errOut)
	}
}
