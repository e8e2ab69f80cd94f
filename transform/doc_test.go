package transform

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The package doc says transform does no I/O: none of its files imports a
// package for files, networks or processes (the caller reads and writes).
func TestNoIOImports(t *testing.T) {
	forbidden := map[string]bool{"os": true, "io/fs": true, "io/ioutil": true, "path/filepath": true,
		"net": true, "net/http": true, "os/exec": true, "syscall": true}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			if path, _ := strconv.Unquote(imp.Path.Value); forbidden[path] {
				t.Errorf("%s imports %s", name, path)
			}
		}
	}
}
