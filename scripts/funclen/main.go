// Command funclen lists the functions longer than a limit, longest first,
// so that "no function over N lines" can be checked rather than believed.
//
//	go run ./scripts/funclen -max 150 ./...
//
// Arguments are directories; a trailing /... walks the tree below. Test
// files (_test.go), bench/, testdata/, vendor/ and hidden directories are
// left out. A function's length runs from its func line to its closing
// brace; methods are named (T).m, function literals count as part of the
// function that holds them. The exit status is 1 when a function is over
// the limit, 2 on a usage or parse error.
package main

import (
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// funcLen is one function and its length in lines.
type funcLen struct {
	pos   token.Position
	name  string
	lines int
}

func main() {
	max := flag.Int("max", 150, "list functions longer than this many lines")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: go run ./scripts/funclen [-max N] [dir | dir/...]...")
		flag.PrintDefaults()
	}
	flag.Parse()
	args := flag.Args()
	if len(args) == 0 {
		args = []string{"./..."}
	}
	over, err := scan(args, *max)
	if err != nil {
		fmt.Fprintln(os.Stderr, "funclen:", err)
		os.Exit(2)
	}
	report(os.Stdout, over, *max)
	if len(over) > 0 {
		os.Exit(1)
	}
}

// scan returns the functions over max lines in the Go files of the given
// directories, longest first.
func scan(args []string, max int) ([]funcLen, error) {
	var over []funcLen
	fset := token.NewFileSet()
	for _, arg := range args {
		files, err := goFiles(arg)
		if err != nil {
			return nil, err
		}
		for _, path := range files {
			f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			if err != nil {
				return nil, err
			}
			for _, fl := range lengths(fset, f) {
				if fl.lines > max {
					over = append(over, fl)
				}
			}
		}
	}
	sort.SliceStable(over, func(i, j int) bool { return over[i].lines > over[j].lines })
	return over, nil
}

// goFiles lists the non-test Go files of dir, or of the tree below it when
// arg ends in /... .
func goFiles(arg string) ([]string, error) {
	dir, recursive := strings.CutSuffix(arg, "...")
	dir = filepath.Clean(strings.TrimSuffix(dir, "/"))
	if dir == "" {
		dir = "."
	}
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != dir && (!recursive || skipDir(d.Name())) {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			out = append(out, path)
		}
		return nil
	})
	return out, err
}

func skipDir(name string) bool {
	return name == "bench" || name == "testdata" || name == "vendor" ||
		strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")
}

// lengths measures the declared functions of f.
func lengths(fset *token.FileSet, f *ast.File) []funcLen {
	var out []funcLen
	for _, decl := range f.Decls {
		fd, ok := decl.(*ast.FuncDecl)
		if !ok || fd.Body == nil {
			continue
		}
		start := fset.Position(fd.Pos())
		end := fset.Position(fd.End())
		out = append(out, funcLen{pos: start, name: funcName(fd), lines: end.Line - start.Line + 1})
	}
	return out
}

// funcName is f, or (T).m for a method.
func funcName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	t := fd.Recv.List[0].Type
	star := ""
	if s, ok := t.(*ast.StarExpr); ok {
		t, star = s.X, "*"
	}
	if ix, ok := t.(*ast.IndexExpr); ok { // a generic receiver T[P]
		t = ix.X
	}
	if ix, ok := t.(*ast.IndexListExpr); ok {
		t = ix.X
	}
	name := "?"
	if id, ok := t.(*ast.Ident); ok {
		name = id.Name
	}
	return "(" + star + name + ")." + fd.Name.Name
}

func report(w io.Writer, over []funcLen, max int) {
	for _, fl := range over {
		fmt.Fprintf(w, "%s:%d: %s is %d lines\n", fl.pos.Filename, fl.pos.Line, fl.name, fl.lines)
	}
	if len(over) == 0 {
		fmt.Fprintf(w, "no function over %d lines\n", max)
		return
	}
	fmt.Fprintf(w, "%d functions over %d lines\n", len(over), max)
}
