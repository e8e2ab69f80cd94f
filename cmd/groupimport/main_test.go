package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// The tests that run the command as a process (killed mid-run, a closed
// pipe, standard input, another user) share one binary: built on first
// use into a directory that TestMain makes and removes at exit.
var binDir string

var buildOnce = sync.OnceValues(func() (string, error) {
	bin := filepath.Join(binDir, "groupimport")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "groupimport-test-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	// a run given neither --out DIR nor --report writes its report into
	// the user's state directory: the tests' own, never the real one
	os.Setenv("XDG_STATE_HOME", filepath.Join(dir, "xdg-state"))
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildBinary returns the command's binary, built once per test binary
// (skipped with -short).
func buildBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin, err := buildOnce()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}
