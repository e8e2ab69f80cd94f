package runner

import "testing"

// Where a run's files go, and the API's batch URL from --endpoint.
func TestPathsAndEndpoint(t *testing.T) {
	for report, want := range map[string]string{
		"run1/report.json":           "run1/rejects.ndjson",
		"/var/log/last-report.json":  "/var/log/last-rejects.ndjson",
		"crm.json":                   "crm.rejects.ndjson",
		"/state/nightly.report.json": "/state/nightly.rejects.ndjson",
	} {
		if got := besideReport(report, "rejects", ".ndjson"); got != want {
			t.Errorf("rejects beside %s: %s, want %s", report, got, want)
		}
	}
	if got := reviewBase("out/report.json"); got != "out/review" {
		t.Errorf("review beside out/report.json: %s", got)
	}
	env := map[string]string{"HOME": "/home/ops"}
	c := &config{Options: Options{Command: "run", Getenv: func(k string) string { return env[k] }}, isRun: true}
	if r, x, dir := c.outputPaths(); r != "/home/ops/.local/state/groupimport/report.json" || x != "/home/ops/.local/state/groupimport/rejects.ndjson" ||
		dir != "/home/ops/.local/state/groupimport" {
		t.Errorf("the state directory: %s %s %s", r, x, dir)
	}
	env["XDG_STATE_HOME"] = "/xdg"
	if r, _, _ := c.outputPaths(); r != "/xdg/groupimport/report.json" {
		t.Errorf("XDG_STATE_HOME: %s", r)
	}
	env["XDG_STATE_HOME"], env["HOME"] = "relative", ""
	if r, x, _ := c.outputPaths(); r != "" || x != "" {
		t.Errorf("no state directory: %q %q", r, x)
	}
	for in, want := range map[string]string{
		"https://cdp.customer.io/v1":        "https://cdp.customer.io/v1/batch",
		"https://cdp.customer.io/v1/":       "https://cdp.customer.io/v1/batch",
		"https://cdp.customer.io/v1/batch":  "https://cdp.customer.io/v1/batch",
		"https://cdp.customer.io/v1/batch/": "https://cdp.customer.io/v1/batch",
		"http://127.0.0.1:8080":             "http://127.0.0.1:8080/v1/batch",
		"https://proxy.example/segment/in":  "https://proxy.example/segment/in",
	} {
		if got, err := batchURL(in); err != nil || got != want {
			t.Errorf("batchURL(%s) = %s, %v; want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"cdp.customer.io/v1", "ftp://x/v1", "://"} {
		if _, err := batchURL(bad); err == nil {
			t.Errorf("batchURL(%s): no error", bad)
		}
	}
}
