package apiclient

import (
	"maps"
	"testing"

	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/rings"
)

func TestReleaseOutcomes(t *testing.T) {
	t.Parallel()
	e := func(typ command.Type, details ...string) AuditEntry {
		d := map[string]string{}
		for i := 0; i+1 < len(details); i += 2 {
			d[details[i]] = details[i+1]
		}
		return AuditEntry{Type: typ, Details: d}
	}
	entries := []AuditEntry{
		e(command.CmdCreateRelease, "release", "r1", "app", "web"),
		e(command.CmdCreateRelease, "release", "r2", "app", "web"),
		e(command.CmdCreateRelease, "release", "r3", "app", "api"),
		e(command.CmdCreateRelease, "release", "r4", "app", "web"),
		e(command.CmdCompleteRelease, "release", "r1"),
		e(command.CmdFailRing, "release", "r2", "ring", "canary"),
		e(command.CmdRequestRollback, "release", "r3"),
		e(command.CmdAbortRelease, "release", "r5"), // created before the entries read: unknown app
		e(command.CmdPlaceHalt, "halt", "h1"),
		// r4 is still running: not finished.
	}
	want := map[string]rings.Outcome{
		"r1": {App: "web"},
		"r2": {App: "web", Failed: true},
		"r3": {App: "api", Failed: true},
	}
	if got := ReleaseOutcomes(entries); !maps.Equal(got, want) {
		t.Fatalf("outcomes %v, want %v", got, want)
	}
}
