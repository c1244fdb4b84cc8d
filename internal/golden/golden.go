// Package golden is how tests compare rendered output (a table, a JSON
// body, an edited manifest, a rollout trace) with a file under testdata/:
// one -update flag for the test binary, which rewrites the files, and one
// Check. Read the diff of a rewritten file before committing it.
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
