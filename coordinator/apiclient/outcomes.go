package apiclient

import (
	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/rings"
)

// OutcomeTypes are the audit entry types ReleaseOutcomes reads: read the
// trail once per type, so the many health observations do not push them
// out of a limited answer.
var OutcomeTypes = []command.Type{command.CmdCreateRelease, command.CmdCompleteRelease, command.CmdAbortRelease, command.CmdFailRing, command.CmdRequestRollback}

// ReleaseOutcomes reads from audit entries how each release ended: its
// app from its creation, failed when a ring of it failed or a person asked
// for its rollback, finished when it also completed or was aborted. A
// release whose creation is not in the entries, or that has not finished,
// is left out. It is the audit trail's part of an app's failure history
// (rings.AppHistory), which outlives the releases the state keeps.
func ReleaseOutcomes(entries []AuditEntry) map[string]rings.Outcome {
	app := map[string]string{}
	failed, finished := map[string]bool{}, map[string]bool{}
	for _, e := range entries {
		id := e.Details["release"]
		if id == "" {
			continue
		}
		switch e.Type {
		case command.CmdCreateRelease:
			app[id] = e.Details["app"]
		case command.CmdFailRing, command.CmdRequestRollback:
			failed[id], finished[id] = true, true
		case command.CmdCompleteRelease, command.CmdAbortRelease:
			finished[id] = true
		}
	}
	out := map[string]rings.Outcome{}
	for id := range finished {
		if a := app[id]; a != "" {
			out[id] = rings.Outcome{App: a, Failed: failed[id]}
		}
	}
	return out
}
