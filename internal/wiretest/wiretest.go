// Package wiretest compares bytes a test produced with the golden files
// under the module's top-level testdata/wire/: the pinned encodings of the
// Raft command envelope, the snapshot document and the HTTP API's bodies.
//
// The files live at the module root, not next to one package, so that
// moving code between packages cannot move, and so cannot silently
// rewrite, what it is checked against. Tests find them from any package
// directory. A golden file changes only when `go test -update` rewrites it;
// the diff then shows exactly which bytes of the wire changed.
package wiretest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ringleader-dev/ringleader/internal/golden"
)

// Update reports whether the test binary runs with -update (the flag of
// internal/golden, which every test binary importing this package has).
func Update() bool { return golden.Update() }

// Dir returns the absolute path of testdata/wire at the module root.
func Dir(t testing.TB) string {
	t.Helper()
	return filepath.Join(golden.ModuleRoot(t), "testdata", "wire")
}

// Path returns the path of the golden file name (slash-separated, relative
// to testdata/wire).
func Path(t testing.TB, name string) string {
	t.Helper()
	return filepath.Join(Dir(t), filepath.FromSlash(name))
}

// Read returns the golden file name.
func Read(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(Path(t, name))
	if err != nil {
		t.Fatalf("read golden %s: %v (run the test with -update to write it)", name, err)
	}
	return b
}

// Check compares got with the golden file name byte for byte; with -update
// it writes got there instead. A mismatch names the first differing line.
func Check(t testing.TB, name string, got []byte) {
	t.Helper()
	path := Path(t, name)
	if Update() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatalf("write golden %s: %v", name, err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatalf("write golden %s: %v", name, err)
		}
		return
	}
	want := Read(t, name)
	if !bytes.Equal(got, want) {
		t.Errorf("testdata/wire/%s: the bytes changed: %s\n"+
			"a changed wire format breaks old logs, snapshots or clients; if the change is intended and compatible, rerun with -update and review the diff",
			name, FirstDiff(want, got))
	}
}

// FirstDiff describes where got first differs from want: the line number
// and both versions of that line (clipped).
func FirstDiff(want, got []byte) string {
	wl := strings.Split(string(want), "\n")
	gl := strings.Split(string(got), "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g || i >= len(wl) || i >= len(gl) {
			return fmt.Sprintf("line %d:\n  want: %s\n  got:  %s", i+1, clip(w, g), clip(g, w))
		}
	}
	return "same lines, different bytes"
}

// clip shortens a long line around where it starts to differ from other.
func clip(s, other string) string {
	const span = 160
	if len(s) <= span {
		return s
	}
	at := 0
	for at < len(s) && at < len(other) && s[at] == other[at] {
		at++
	}
	from := max(0, at-span/2)
	to := min(len(s), from+span)
	out := s[from:to]
	if from > 0 {
		out = "…" + out
	}
	if to < len(s) {
		out += "…"
	}
	return out
}

// Names lists the files directly in the golden directory dir (relative to
// testdata/wire), sorted; a missing directory lists nothing.
func Names(t testing.TB, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(Path(t, dir))
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		t.Fatalf("list golden directory %s: %v", dir, err)
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out
}
