package demo

import (
	"bytes"
	"errors"
	"testing"

	"github.com/ringleader-dev/ringleader/internal/golden"
)

// TestListScenariosGolden pins what `ringd demo --list-scenarios` prints.
func TestListScenariosGolden(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	ListScenarios(&b)
	golden.Check(t, "testdata/scenarios.txt", b.Bytes())
}

func TestFindScenario(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		found bool
	}{{"bad-canary", true}, {"budget", true}, {"rollback-fails", true}, {"two-apps", true}, {"no-such-tour", false}, {"", false}} {
		sc, err := FindScenario(tc.name)
		switch {
		case tc.found && (err != nil || sc.Name != tc.name || len(sc.Steps) == 0 || sc.Summary == ""):
			t.Errorf("FindScenario(%q) = %q with %d steps, %v; want it, described, with steps", tc.name, sc.Name, len(sc.Steps), err)
		case !tc.found && !errors.Is(err, ErrUnknownScenario):
			t.Errorf("FindScenario(%q): %v, want ErrUnknownScenario", tc.name, err)
		}
	}
}
