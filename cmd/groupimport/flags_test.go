package main

import (
	"context"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/groupimport/groupimport/runner"
)

// flagExamples holds a value other than the default for every flag that
// takes one (bool flags are simply set). A new flag needs an entry here.
var flagExamples = map[string]string{
	"companies": "c.csv", "memberships": "m.csv", "delete-objects": "d.csv", "delete-relationships": "r.csv",
	"duplicates": "keep", "mapping": "m.yaml", "format": "ndjson", "delimiter": ";", "encoding": "latin1",
	"timezone": "Europe/Paris", "timestamp": "2024-01-01T00:00:00Z", "workers": "3", "max-rejects": "5",
	"max-record-bytes": "1MiB", "max-ratio": "10", "report": "r.json", "rejects": "r.ndjson",
	"metrics-file": "m.prom", "log-format": "json", "progress": "none", "progress-interval": "1s", "cpuprofile": "cpu.out", "batch-rows": "100",
	"out": "outdir", "endpoint": "http://127.0.0.1:1", "region": "eu", "api-key-file": "key", "concurrency": "2",
	"rate-limit": "5", "batch-bytes": "100000", "batch-messages": "10", "max-attempts": "3", "max-retry-time": "1m",
	"request-timeout": "5s", "retry-base": "1ms", "state": "s.db", "mass-delete-percent": "5", "compress": "zstd", "part-size": "1MiB",
	"kind": "memberships", "rows": "5", "output": "m.yaml",
}

// commandArgs are the arguments a command needs besides its flags.
var commandArgs = map[string][]string{"inspect": {"x.csv"}}

// settingsOf reads a command line with the real app, whose actions keep
// the settings they are handed instead of carrying them out.
func settingsOf(t *testing.T, args ...string) any {
	t.Helper()
	var got any
	keep := func(v any) error { got = v; return nil }
	app := newApp(io.Discard, io.Discard, actions{
		run:     func(_ *cli.Context, v invocation) error { return keep(v) },
		inspect: func(_ *cli.Context, o runner.InspectOptions) error { return keep(o) },
		init:    func(_ *cli.Context, o runner.InitOptions) error { return keep(o) },
	})
	full := append([]string{"groupimport"}, args...)
	if err := app.RunContext(context.Background(), reorderArgs(app, full)); err != nil {
		t.Fatalf("%q: %v", args, err)
	}
	if got == nil {
		t.Fatalf("%q: no command ran", args)
	}
	return got
}

// flagArgs sets flag name (a bool flag, or to its example value).
func flagArgs(t *testing.T, f cli.Flag, name string) []string {
	t.Helper()
	if _, ok := f.(*cli.BoolFlag); ok {
		return []string{"--" + name}
	}
	v, ok := flagExamples[f.Names()[0]]
	if !ok {
		t.Fatalf("--%s has no example value: add one to flagExamples", f.Names()[0])
	}
	return []string{"--" + name, v}
}

// Every flag of every command, hidden ones included, changes the settings
// the command runs with (so a flag declared but never read fails here),
// and each alias means the same as the flag's name.
func TestEveryFlagChangesSettings(t *testing.T) {
	app := App(io.Discard, io.Discard)
	for _, cmd := range app.Commands {
		if len(cmd.Flags) == 0 {
			continue // version, completion, the mapping help topic
		}
		base := settingsOf(t, append([]string{cmd.Name}, commandArgs[cmd.Name]...)...)
		n := 0
		for _, f := range cmd.Flags {
			name := f.Names()[0]
			if name == "help" {
				continue
			}
			n++
			args := append(append([]string{cmd.Name}, flagArgs(t, f, name)...), commandArgs[cmd.Name]...)
			got := settingsOf(t, args...)
			if reflect.DeepEqual(got, base) {
				t.Errorf("%s --%s changes nothing in the settings: %q gives the defaults", cmd.Name, name, args)
			}
			for _, alias := range f.Names()[1:] {
				args := append(append([]string{cmd.Name}, flagArgs(t, f, alias)...), commandArgs[cmd.Name]...)
				if a := settingsOf(t, args...); !reflect.DeepEqual(a, got) {
					t.Errorf("%s: -%s differs from --%s", cmd.Name, alias, name)
				}
			}
		}
		if n == 0 {
			t.Errorf("%s: no flags walked", cmd.Name)
		}
	}
}

// A flag of one command given to another that does not declare it is a
// usage error naming it, never silently ignored.
func TestFlagsOfOtherCommandsRejected(t *testing.T) {
	app := App(io.Discard, io.Discard)
	declared := map[string]map[string]bool{}
	var all []cli.Flag
	for _, cmd := range app.Commands {
		declared[cmd.Name] = map[string]bool{}
		for _, f := range cmd.Flags {
			for _, n := range f.Names() {
				declared[cmd.Name][n] = true
			}
			all = append(all, f)
		}
	}
	for _, cmd := range app.Commands {
		for _, f := range all {
			name := f.Names()[0]
			if declared[cmd.Name][name] {
				continue
			}
			args := append([]string{cmd.Name, "--companies", fixtures + "companies.csv"}, flagArgs(t, f, name)...)
			if len(cmd.Flags) == 0 {
				args = append([]string{cmd.Name}, flagArgs(t, f, name)...)
			}
			if cmd.Name == "inspect" {
				args = append([]string{cmd.Name, fixtures + "companies.csv"}, flagArgs(t, f, name)...)
			}
			code, stdout, stderr := gi(t, args...)
			if code != runner.ExitUsage || !strings.Contains(stderr, "flag provided but not defined: -"+name) {
				t.Errorf("%s --%s: exit %d, want 2 naming the flag\n%s%s", cmd.Name, name, code, stdout, stderr)
			}
		}
	}
}
