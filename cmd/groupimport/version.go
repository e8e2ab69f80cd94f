package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// versionInfo describes the build, for `groupimport version` and
// --version: the tool's version (the one written into
// context.library.version), the module and its version, the commit it was
// built from (and whether the tree had changes), and the Go toolchain.
func versionInfo() string {
	var b strings.Builder
	fmt.Fprintf(&b, "groupimport %s\n", Version)
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		fmt.Fprintf(&b, "go:       %s (%s/%s)\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return b.String()
	}
	fmt.Fprintf(&b, "module:   %s %s\n", bi.Main.Path, bi.Main.Version)
	vcs := map[string]string{}
	for _, s := range bi.Settings {
		vcs[s.Key] = s.Value
	}
	switch rev := vcs["vcs.revision"]; {
	case rev == "":
		b.WriteString("commit:   unknown (built without version control information)\n")
	default:
		if vcs["vcs.modified"] == "true" {
			rev += " (with uncommitted changes)"
		}
		if t := vcs["vcs.time"]; t != "" {
			rev += ", " + t
		}
		fmt.Fprintf(&b, "commit:   %s\n", rev)
	}
	fmt.Fprintf(&b, "go:       %s (%s/%s)\n", bi.GoVersion, runtime.GOOS, runtime.GOARCH)
	return b.String()
}
