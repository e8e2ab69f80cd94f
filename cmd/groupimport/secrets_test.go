package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/groupimport/groupimport/internal/fakeapi"
)

// Every command, run with a known key in the environment or in a key file,
// in success and in failure: the key appears in no output, no file the run
// writes, and no error.
func TestSecretsNeverLeak(t *testing.T) {
	const key = "sk_live_SECRET_4c1d2e3f9a8b7c6d"
	t.Setenv("CIO_API_KEY", key)
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key")
	os.WriteFile(keyFile, []byte(key+"\n"), 0o644) // readable by others: a warning, not the key
	srv := fakeapi.New(fakeapi.Options{Key: key})
	defer srv.Close()
	wrong := fakeapi.New(fakeapi.Options{Key: "another"})
	defer wrong.Close()
	bad := fakeapi.New(fakeapi.Options{Key: key, FaultFunc: func(int) fakeapi.Fault { return fakeapi.Fault{Kind: fakeapi.ServerError} }})
	defer bad.Close()
	in := companiesCSV(t, dir, 50, func(int) string { return "pro" })
	out := func(name string) string { return filepath.Join(dir, name) }
	files := []string{"--report", out("report.json"), "--rejects", out("rejects.ndjson")}

	runs := [][]string{
		append([]string{"run", "--companies", in, "--endpoint", srv.URL()}, files...),
		append([]string{"run", "--companies", in, "--endpoint", srv.URL(), "--api-key-file", keyFile}, files...),
		append([]string{"run", "--companies", in, "--endpoint", wrong.URL()}, files...),
		append([]string{"run", "--companies", in, "--endpoint", bad.URL(), "--max-attempts", "2", "--max-retry-time", "2s", "--retry-base", "1ms"}, files...),
		append([]string{"run", "--companies", in, "--endpoint", "https://user:" + "pw" + "@cdp.invalid/v1/batch"}, files...),
		append([]string{"run", "--companies", in, "--endpoint", "http://192.0.2.1/v1/batch"}, files...),
		append([]string{"run", "--companies", in, "--region", "eu", "--dry-run", "--out", out("dry")}, files...),
		{"run", "--companies", in, "--out", out("files"), "--review", "--metrics-file", out("metrics.prom")},
		{"validate", "--companies", in, "--out", out("validate")},
		{"inspect", in},
		{"init", in},
		{"help", "run"},
		{"run", "--companies", in, "--api-key", key},
	}
	for _, args := range runs {
		code, stdout, stderr := gi(t, args...)
		for _, s := range []string{stdout, stderr} {
			if strings.Contains(s, key) || strings.Contains(s, "SECRET") {
				t.Fatalf("%v (exit %d) printed the key:\n%s", args, code, s)
			}
		}
	}
	// every file the runs wrote
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() || p == keyFile {
			return nil
		}
		data, _ := os.ReadFile(p)
		if strings.Contains(string(data), key) {
			t.Errorf("%s holds the key", p)
		}
		return nil
	})
	// and what reached the API carries it only as Basic auth
	for _, m := range srv.Received() {
		if strings.Contains(string(m.Raw), key) {
			t.Fatal("a payload holds the key")
		}
	}
}
