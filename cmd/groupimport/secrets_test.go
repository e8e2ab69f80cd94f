package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/groupimport/groupimport/importer/objstore/fakes3"
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

// Reading from object storage, in success and in failure (denied, missing
// bucket, an endpoint with a password in its URL that does not answer, GCS
// and Azure refusing): no credential of the environment appears in any
// output or file.
func TestObjectStorageSecretsNeverLeak(t *testing.T) {
	srv := fakes3.Start(t) // AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
	srv.Bucket(t, "b")
	dir := t.TempDir()
	srv.Put(t, "b", "c/part-0.csv", companies("s", 20))
	deny := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, `{"error":{"code":403,"message":"denied %s"}}`, r.URL)
	}))
	defer deny.Close()
	host := strings.TrimPrefix(deny.URL, "http://")
	const azureKey = "QVpVUkUtU0VDUkVULUtFWS0xMjM0NTY3ODkwYWJjZGVm"
	const gcsToken = "ya29.GCS-SECRET-TOKEN-0987654321"
	t.Setenv("AZURE_STORAGE_ACCOUNT", "acct")
	t.Setenv("AZURE_STORAGE_KEY", azureKey)
	t.Setenv("AZURE_STORAGE_DOMAIN", host)
	t.Setenv("AZURE_STORAGE_PROTOCOL", "http")
	t.Setenv("STORAGE_EMULATOR_HOST", host)
	t.Setenv("GOOGLE_OAUTH_ACCESS_TOKEN", gcsToken)
	out := func(name string) string { return filepath.Join(dir, name) }
	secrets := []string{fakes3.SecretAccessKey, fakes3.SessionToken, azureKey, gcsToken, "pw-SECRET"}
	runs := []struct {
		env  string
		args []string
	}{
		{"", []string{"run", "--companies", "s3://b/c/", "--out", out("ok")}},
		{"", []string{"run", "--companies", "s3://nosuch/c/", "--out", out("nobucket")}},
		{"", []string{"validate", "--companies", "s3://b/c/", "--out", out("validate")}},
		{"deny", []string{"run", "--companies", "s3://b/c/", "--out", out("denied")}},
		{"userinfo", []string{"run", "--companies", "s3://b/c/", "--out", out("userinfo")}},
		{"", []string{"run", "--companies", "azblob://container/c/", "--out", out("azure")}},
		{"", []string{"run", "--companies", "gs://bucket/c/", "--out", out("gcs")}},
	}
	for _, r := range runs {
		srv.SetFault(nil)
		switch r.env {
		case "deny":
			srv.SetFault(func(*http.Request, int) *fakes3.Fault {
				return &fakes3.Fault{Status: http.StatusForbidden, Code: "AccessDenied"}
			})
		case "userinfo":
			t.Setenv("AWS_ENDPOINT_URL_S3", "http://user:pw-SECRET@127.0.0.1:1/")
		}
		code, stdout, stderr := gi(t, r.args...)
		if r.env == "userinfo" {
			t.Setenv("AWS_ENDPOINT_URL_S3", srv.URL)
		}
		t.Logf("%s %v: exit %d\n%s", r.env, r.args[:3], code, stderr)
		if (r.env == "" && strings.Contains(r.args[2], "s3://b/")) != (code == 0) {
			t.Errorf("%v: exit %d\n%s", r.args, code, stderr)
		}
		for _, s := range secrets {
			if strings.Contains(stdout+stderr, s) {
				t.Fatalf("%v (exit %d) printed a credential (%s):\n%s", r.args, code, s, stderr)
			}
		}
	}
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return nil
		}
		data, _ := os.ReadFile(p)
		for _, s := range secrets {
			if strings.Contains(string(data), s) {
				t.Errorf("%s holds a credential", p)
			}
		}
		return nil
	})
}
