package e2e

import (
	"fmt"
	"os"
	"testing"

	"github.com/ringleader-dev/ringleader/e2e/harness"
)

// bins are the ringd and ringctl every scenario runs, built once.
var bins *harness.Binaries

// TestMain builds the binaries into a temporary directory, runs the
// scenarios and makes sure no process they started outlives them.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ringleader-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	bins, err = harness.Build(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	if n := harness.Running(); n > 0 {
		fmt.Fprintf(os.Stderr, "e2e: %d processes were still running after the tests; killing them\n", n)
		if code == 0 {
			code = 1
		}
	}
	harness.KillAll()
	os.RemoveAll(dir)
	os.Exit(code)
}
