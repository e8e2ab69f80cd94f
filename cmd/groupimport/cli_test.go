package main

// Tests of issue 13's command-line conventions: help within 100 columns and
// grouped by category, every flag from the environment, version,
// completion, help mapping, "did you mean", --endpoint's base URL, --region
// in dry runs, --retry-base's range.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/urfave/cli/v2"

	"github.com/groupimport/groupimport/internal/fakeapi"
)

// Every help text — the app's, each command's (both ways of asking), the
// mapping topic — is at most 100 columns wide (before: up to 228), and a
// command's flags come under their categories.
func TestHelpWidthAndCategories(t *testing.T) {
	texts := map[string]string{}
	for _, args := range [][]string{{"--help"}, {"help"}, {}, {"help", "mapping"}} {
		_, stdout, _ := gi(t, args...)
		texts[strings.Join(args, " ")] = stdout
	}
	for _, cmd := range App(nil, nil).Commands {
		for _, args := range [][]string{{"help", cmd.Name}, {cmd.Name, "--help"}} {
			code, stdout, stderr := gi(t, args...)
			if code != 0 || stdout == "" {
				t.Errorf("%q: exit %d\n%s", args, code, stderr)
			}
			texts[strings.Join(args, " ")] = stdout
		}
	}
	for name, text := range texts {
		for i, l := range strings.Split(text, "\n") {
			if n := utf8.RuneCountInString(l); n > helpWidth {
				t.Errorf("%q line %d is %d columns wide:\n%s", name, i+1, n, l)
			}
		}
	}
	run := texts["help run"]
	if run != texts["run --help"] {
		t.Error("help run and run --help differ")
	}
	order := []string{"Inputs:", "Reading:", "Mapping:", "Destination:", "Incremental runs:", "Delivery to the API", "Output files",
		"Reports and logs:", "Performance:"}
	last := -1
	for _, h := range order {
		i := strings.Index(run, "\n  "+h)
		if i < last {
			t.Errorf("help run: %q missing or out of order:\n%s", h, run)
		}
		last = i
	}
	for _, want := range []string{"--state FILE", "--companies PATH, --objects PATH", "--concurrency N", "(default 8)", "GROUPIMPORT_COMPANIES"} {
		if !strings.Contains(run, want) {
			t.Errorf("help run lacks %q", want)
		}
	}
	if strings.Contains(run, "--retry-base") || strings.Contains(run, "--cpuprofile") {
		t.Error("help run shows a hidden flag")
	}
	app := texts["--help"]
	for _, want := range []string{"4  nothing done: another run holds the state's lock", "GROUPIMPORT_<OPTION>", "help mapping", "completion"} {
		if !strings.Contains(app, want) {
			t.Errorf("groupimport --help lacks %q", want)
		}
	}
}

// Every flag of every command can be set by its environment variable,
// GROUPIMPORT_<FLAG>, to the same effect as on the command line; the
// command line wins.
func TestEveryFlagFromTheEnvironment(t *testing.T) {
	app := App(nil, nil)
	for _, cmd := range app.Commands {
		if len(cmd.Flags) == 0 {
			continue
		}
		for _, f := range cmd.Flags {
			name := f.Names()[0]
			want := settingsOf(t, append(append([]string{cmd.Name}, flagArgs(t, f, name)...), commandArgs[cmd.Name]...)...)
			value := "true"
			if _, ok := f.(*cli.BoolFlag); !ok {
				value = flagExamples[name]
			}
			t.Setenv(envVar(name), value)
			got := settingsOf(t, append([]string{cmd.Name}, commandArgs[cmd.Name]...)...)
			os.Unsetenv(envVar(name))
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: %s=%s does not set what --%s does", cmd.Name, envVar(name), value, name)
			}
		}
	}
	t.Setenv("GROUPIMPORT_STATE", "from-env.state")
	if v := settingsOf(t, "run", "--state", "flag.state").(invocation); v.StateFile != "flag.state" {
		t.Errorf("the environment won over the command line: %q", v.StateFile)
	}
	if v := settingsOf(t, "run").(invocation); v.StateFile != "from-env.state" {
		t.Errorf("GROUPIMPORT_STATE: %q", v.StateFile)
	}
}

// groupimport version and --version: the version, the module, the commit
// (or why not) and the Go version.
func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}, {"-v"}} {
		code, stdout, _ := gi(t, args...)
		if code != 0 || !strings.HasPrefix(stdout, "groupimport "+Version+"\n") || !strings.Contains(stdout, "go:       go1.") ||
			!strings.Contains(stdout, "commit:   ") {
			t.Errorf("%q: exit %d\n%s", args, code, stdout)
		}
	}
}

// groupimport completion prints each shell's script, and the app answers
// its questions: the commands, a command's flags.
func TestCompletion(t *testing.T) {
	for shell, want := range map[string]string{"bash": "complete -o bashdefault", "zsh": "#compdef groupimport", "fish": "complete -c groupimport"} {
		code, stdout, stderr := gi(t, "completion", shell)
		if code != 0 || !strings.Contains(stdout, want) {
			t.Errorf("completion %s: exit %d\n%s%s", shell, code, stdout, stderr)
		}
	}
	if code, _, _ := gi(t, "completion", "tcsh"); code != 2 {
		t.Errorf("completion tcsh: exit %d, want 2", code)
	}
	// urfave's completion reads os.Args: the binary answers
	bin := buildBinary(t)
	out, err := exec.Command(bin, "--generate-bash-completion").Output()
	for _, c := range []string{"run", "validate", "inspect", "init", "version", "completion"} {
		if err != nil || !strings.Contains(string(out), c+"\n") {
			t.Errorf("command completion lacks %s: %v\n%s", c, err, out)
		}
	}
	out, err = exec.Command(bin, "run", "--st", "--generate-bash-completion").Output()
	if err != nil || !strings.Contains(string(out), "--state") {
		t.Errorf("flag completion lacks --state: %v\n%s", err, out)
	}
}

// groupimport help mapping is the mapping reference: every key of a
// section, the types, and the example, which is the README's.
func TestHelpMapping(t *testing.T) {
	code, stdout, _ := gi(t, "help", "mapping")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, k := range append([]string{"boolean (true/false/yes/no/1/0/t/f/y/n), timestamp, json"}, sectionKeyNames(t)...) {
		if !strings.Contains(stdout, k) {
			t.Errorf("help mapping does not explain %q", k)
		}
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	section := string(readme)[strings.Index(string(readme), "\n## Mapping\n"):]
	start := strings.Index(section, "```yaml\n")
	end := strings.Index(section[start:], "```\n") + start
	if start < 0 || !strings.Contains(stdout, section[start:end+4]) {
		t.Errorf("the README's mapping example is not the one help mapping prints (cmd/groupimport/help_mapping.txt):\n%s", section[start:end])
	}
}

// sectionKeyNames are the keys a mapping section takes, from transform's
// error for an unknown key.
func sectionKeyNames(t *testing.T) []string {
	return []string{"groupId", "userId", "anonymousId", "objectTypeId", "timestamp", "timezone", "deleted", "traits",
		"relationshipAttributes", "custom", "drop", "nulls", "empty", "decimal", "thousands", "include_object_traits", "limits",
		"events", "deleteAnonymousId", "format", "delimiter", "encoding", "binary_as_string",
		"column", "value", "type", "unit"}
}

// "Did you mean": a mistyped flag, command, mapping key and column.
func TestDidYouMean(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "c.csv")
	os.WriteFile(in, []byte("company_id,company_name\nc1,One\n"), 0o644)
	n := 0
	mapping := func(text string) string {
		n++
		p := filepath.Join(dir, fmt.Sprintf("m%d.yaml", n))
		os.WriteFile(p, []byte(text), 0o644)
		return p
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--companis", in, "--out", dir}, "flag provided but not defined: -companis (did you mean --companies?)"},
		{[]string{"run", "--companies", in, "--out", dir, "--dryrun"}, "(did you mean --dry-run?)"},
		{[]string{"rnu"}, `unknown command "rnu" (did you mean "run"?)`},
		{[]string{"run", "--companies", in, "--out", filepath.Join(dir, "a"), "--mapping", mapping("companies:\n  groupId: company_id\n  trait:\n    name: company_name\n")},
			`m1.yaml:3: unknown key "trait" (did you mean "traits"?)`},
		{[]string{"run", "--companies", in, "--out", filepath.Join(dir, "b"), "--mapping", mapping("companies:\n  groupId: company_id\n  traits:\n    name: compny_name\n")},
			`"compny_name" (line 4; did you mean "company_name"?)`},
	} {
		code, _, stderr := gi(t, c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%q: exit %d, want 2 and %q\n%s", c.args, code, c.want, stderr)
		}
	}
}

// --endpoint takes the API's base URL as its documentation gives it, with
// or without a trailing slash (before: posted to /v1 and failed with 404),
// or the batch URL itself.
func TestEndpointBaseURL(t *testing.T) {
	srv := fakeapi.New(fakeapi.Options{Key: testKey})
	defer srv.Close()
	t.Setenv("CIO_API_KEY", testKey)
	dir := t.TempDir()
	in := companiesCSV(t, dir, 5, func(int) string { return "pro" })
	for _, ep := range []string{srv.BaseURL() + "/v1", srv.BaseURL() + "/v1/", srv.URL(), srv.URL() + "/", srv.BaseURL()} {
		code, _, stderr := gi(t, "run", "--companies", in, "--endpoint", ep, "--report", filepath.Join(dir, "r.json"), "-q")
		if code != 0 {
			t.Errorf("--endpoint %s: exit %d\n%s", ep, code, stderr)
		}
	}
	for _, r := range srv.Requests() {
		if r.Status != 200 {
			t.Errorf("a request answered %d", r.Status)
		}
	}
	if code, _, stderr := gi(t, "run", "--companies", in, "--endpoint", "cdp.customer.io/v1", "--report", filepath.Join(dir, "x.json")); code != 2 ||
		!strings.Contains(stderr, "not an http(s) URL") {
		t.Errorf("an endpoint without a scheme: exit %d\n%s", code, stderr)
	}
}

// A dry run checks --region too (before: --region xx passed, and the
// night it ran for real failed); --retry-base is range-checked.
func TestRegionAndRetryBaseChecked(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--dry-run", "--region", "xx", "--out", filepath.Join(dir, "a")}, `--region must be us or eu, not "xx"`},
		{[]string{"run", "--region", "eu", "--retry-base", "-1s"}, "--retry-base must be between 0"},
		{[]string{"run", "--region", "eu", "--retry-base", "2h"}, "--retry-base must be between 0"},
	} {
		code, _, stderr := gi(t, append(c.args, "--companies", fixtures+"companies_semicolon.csv")...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%q: exit %d, want 2 and %q\n%s", c.args, code, c.want, stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "a")); err == nil {
		t.Error("a usage error wrote --out")
	}
}
