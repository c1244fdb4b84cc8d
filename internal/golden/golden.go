// Package golden is how tests compare rendered output (a table, a JSON
// body, an edited manifest, a rollout trace) with a file under testdata/:
// one -update flag for the test binary, which rewrites the files, and one
// Check. Read the diff of a rewritten file before committing it. ModuleRoot
// finds the module root, where the files kept once for the whole module
// are (testdata/wire, README.md).
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

// update is -update. A test binary that imports this package (directly or
// through internal/wiretest) gets the flag from here; its own tests must
// not declare it.
var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// Update reports whether the test binary runs with -update.
func Update() bool { return *update }

// Check compares got with the file at path (relative to the test's package
// directory) and fails the test where they differ. Under -update it first
// writes got there, creating the directory.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatalf("rewrite %s: %v", path, err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatalf("rewrite %s: %v", path, err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run with -update once the difference is understood):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// ModuleRoot is the directory holding go.mod, found by walking up from the
// working directory (a package directory under go test), for the files
// kept once for the whole module (testdata/wire, README.md).
func ModuleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("find the module root: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("find the module root: no go.mod above %s", dir)
		}
		dir = parent
	}
}
