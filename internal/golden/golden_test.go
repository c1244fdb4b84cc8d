package golden

import (
	"os"
	"path/filepath"
	"testing"
)

// recorder is a testing.TB that records a failure instead of stopping
// (Check calls only these three methods).
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Errorf(string, ...any) { r.failed = true }
func (r *recorder) Fatalf(string, ...any) { r.failed = true }

// TestCheck: the same bytes pass; other bytes and a missing file fail.
func TestCheck(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "out.golden")
	if err := os.WriteFile(path, []byte("ring canary\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path, got string
		fail            bool
	}{
		{"same bytes", path, "ring canary\n", false},
		{"other bytes", path, "ring early\n", true},
		{"no file", path + ".missing", "ring canary\n", true},
	} {
		r := &recorder{}
		Check(r, tc.path, []byte(tc.got))
		if r.failed != tc.fail {
			t.Errorf("%s: failed = %v, want %v", tc.name, r.failed, tc.fail)
		}
	}
}

// ModuleRoot walks up from this package's directory to the one holding
// go.mod, two levels above.
func TestModuleRoot(t *testing.T) {
	t.Parallel()
	want, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if got := ModuleRoot(t); got != want {
		t.Errorf("ModuleRoot = %s, want %s", got, want)
	}
}
