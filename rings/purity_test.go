package rings

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// purityForbiddenImports are the packages that would let rings reach the
// outside world: files, the network, processes.
var purityForbiddenImports = map[string]bool{
	"os": true, "net": true, "net/http": true, "io/ioutil": true, "os/exec": true, "syscall": true,
}

// TestPackageIsPure keeps rings and its topology and planner packages pure
// decision packages: no I/O imports, no reading the clock (time is an
// argument) and no goroutines. It parses their non-test files, so a new
// file is checked without listing it.
func TestPackageIsPure(t *testing.T) {
	t.Parallel()
	var files []string
	for _, dir := range []string{".", "topology", "planner"} {
		matches, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, matches...)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatalf("parse %s: %v", name, err)
		}
		checked++
		for _, v := range purityViolations(fset, f) {
			t.Error(v)
		}
	}
	if checked == 0 {
		t.Fatal("no non-test files found: the guard checked nothing")
	}
}

// TestPurityViolationsDetects proves the guard can fail: each snippet holds
// exactly one violation.
func TestPurityViolationsDetects(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, src, want string
	}{
		{"os import", `import "os"`, `imports "os"`},
		{"net/http import", `import h "net/http"`, `imports "net/http"`},
		{"syscall import", `import "syscall"`, `imports "syscall"`},
		{"time.Now call", "import \"time\"\nvar x = time.Now()", "calls time.Now"},
		{"time.Now as a value", "import \"time\"\nvar now = time.Now", "calls time.Now"},
		{"go statement", "func f() { go f() }", "starts a goroutine"},
		{"clean", "import \"time\"\nvar d = time.Second", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, "x.go", "package x\n"+tc.src+"\n", parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			got := purityViolations(fset, f)
			switch {
			case tc.want == "" && len(got) != 0:
				t.Errorf("violations %q, want none", got)
			case tc.want != "" && (len(got) != 1 || !strings.Contains(got[0], tc.want)):
				t.Errorf("violations %q, want one containing %q", got, tc.want)
			}
		})
	}
}

// purityViolations lists what in f breaks the rules, each with its position.
func purityViolations(fset *token.FileSet, f *ast.File) []string {
	var out []string
	timeName := "" // the name package time is imported under in f
	for _, imp := range f.Imports {
		path, err := strconv.Unquote(imp.Path.Value)
		if err != nil {
			continue
		}
		if purityForbiddenImports[path] {
			out = append(out, fset.Position(imp.Pos()).String()+": imports "+strconv.Quote(path)+"; rings decides, it does no I/O")
		}
		if path == "time" {
			timeName = "time"
			if imp.Name != nil {
				timeName = imp.Name.Name
			}
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GoStmt:
			out = append(out, fset.Position(n.Pos()).String()+": starts a goroutine; rings runs on its caller's goroutine")
		case *ast.SelectorExpr:
			if id, ok := n.X.(*ast.Ident); ok && timeName != "" && id.Name == timeName && n.Sel.Name == "Now" {
				out = append(out, fset.Position(n.Pos()).String()+": calls time.Now; take now as an argument")
			}
		}
		return true
	})
	return out
}
