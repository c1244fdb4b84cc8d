package e2e

import (
	"fmt"
	"os"
	"testing"

	"github.com/ringleader-dev/ringleader/e2e/harness"
	"github.com/ringleader-dev/ringleader/internal/ringdtest"
)

// bins are the ringd and ringctl every scenario runs, built once.
var bins *harness.Binaries

// TestMain builds the binaries once, runs the
// scenarios and makes sure no process they started outlives them.
func TestMain(m *testing.M) {
	var err error
	bins, err = harness.Build()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		ringdtest.Cleanup()
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
	ringdtest.Cleanup()
	os.Exit(code)
}
