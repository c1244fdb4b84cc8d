package apiclient

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImportsOnlyRingsAndCommand keeps the client light enough for ringctl:
// besides the standard library it may import the pure domain packages (rings,
// rings/topology, rings/planner) and coordinator/command, nothing else (no
// Raft, no store, no coordinator).
func TestImportsOnlyRingsAndCommand(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{
		"github.com/ringleader-dev/ringleader/rings":               true,
		"github.com/ringleader-dev/ringleader/rings/topology":      true,
		"github.com/ringleader-dev/ringleader/rings/planner":       true,
		"github.com/ringleader-dev/ringleader/coordinator/command": true,
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatalf("parse %s: %v", name, err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			std := !strings.Contains(strings.SplitN(path, "/", 2)[0], ".")
			if !std && !allowed[path] {
				t.Errorf("%s imports %s; apiclient may import only the standard library, rings, rings/topology, rings/planner and coordinator/command", name, path)
			}
		}
	}
}
