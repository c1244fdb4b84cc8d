package httpapi

import (
	"cmp"
	"fmt"
	"strings"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// Event is one applied command as the event stream (GET /v1/events) shows
// it. Its ID is the Raft index of the entry, so it is the same on every
// node: a client that reconnects to another node resumes with the same
// Last-Event-ID.
type Event struct {
	// ID is the Raft log index of the applied entry.
	ID uint64 `json:"id"`
	// Type is the command type ("halt.place", "ring.start-soak", …), or
	// EventReset when the stream could not resume and the client must
	// re-read the state.
	Type command.Type `json:"type"`
	// At is the leader's time stamped on the command.
	At time.Time `json:"at,omitzero"`
	// Actor is who asked (ringleader for the leader loop's own decisions).
	Actor     string `json:"actor,omitempty"`
	ReleaseID string `json:"releaseId,omitempty"`
	Ring      string `json:"ring,omitempty"`
	Region    string `json:"region,omitempty"`
	HaltID    string `json:"haltId,omitempty"`
	// Summary is one human-readable line ("halt halt-1a2b3c4d placed by
	// alice: error rate up").
	Summary string `json:"summary"`
}

// EventReset is the type of the event sent when a resumed stream has a gap
// (the Last-Event-ID is older than the history kept): re-read /v1/status.
const EventReset command.Type = "reset"

// maxSummary bounds the summary line (reasons are free text).
const maxSummary = 240

// EventFor turns an applied command into an event. Refused commands (Err
// set) and unknown types still produce an event: nothing changed, but the
// summary says what was refused.
func EventFor(ac store.AppliedCommand) Event {
	cmd := ac.Command
	ev := Event{ID: ac.Index, Type: cmd.Type, At: cmd.At, Actor: cmd.Actor}
	ev.Summary = describe(&ev, cmd, ac.ResultID)
	if ac.Err != nil {
		ev.Summary = "refused: " + ev.Summary + ": " + ac.Err.Error()
	}
	if len(ev.Summary) > maxSummary {
		ev.Summary = ev.Summary[:maxSummary-1] + "…"
	}
	return ev
}

// describe fills the event's IDs from the command payload and returns its
// summary. A payload that does not decode yields a bare summary.
func describe(ev *Event, cmd command.Command, resultID string) string {
	by := ""
	if cmd.Actor != "" && cmd.Actor != command.ActorSystem {
		by = " by " + cmd.Actor
	}
	switch cmd.Type {
	case command.CmdCreateRelease:
		return describeAs(cmd, func(p command.CreateRelease) string {
			ev.ReleaseID = cmp.Or(resultID, p.ID)
			created := fmt.Sprintf("release %s (%s %s) created%s", ev.ReleaseID, p.App, p.Version, by)
			if p.Risk != nil {
				created += fmt.Sprintf(", risk %d/%d", p.Risk.Score(), topology.DREADScoreMax)
			}
			return created
		})
	case command.CmdSetRisk:
		return describeAs(cmd, func(p command.SetRisk) string {
			ev.ReleaseID = p.ReleaseID
			risk := "cleared"
			if p.Risk != nil {
				risk = fmt.Sprintf("set to %d/%d", p.Risk.Score(), topology.DREADScoreMax)
			}
			return withReason(fmt.Sprintf("risk of %s %s%s", p.ReleaseID, risk, by), p.Reason)
		})
	case command.CmdStartRelease, command.CmdCompleteRelease, command.CmdAbortRelease, command.CmdRequestRollback:
		return describeAs(cmd, func(p command.ReleaseRef) string {
			ev.ReleaseID = p.ReleaseID
			verb := map[command.Type]string{
				command.CmdStartRelease: "started", command.CmdCompleteRelease: "completed",
				command.CmdAbortRelease: "aborted", command.CmdRequestRollback: "rollback requested",
			}[cmd.Type]
			return withReason(fmt.Sprintf("release %s %s%s", p.ReleaseID, verb, by), p.Reason)
		})
	case command.CmdSetReleaseState:
		return describeAs(cmd, func(p command.SetReleaseState) string {
			ev.ReleaseID = p.ReleaseID
			return withReason(fmt.Sprintf("release %s is %s", p.ReleaseID, p.State), p.Reason)
		})
	case command.CmdApprove:
		return describeAs(cmd, func(p command.Approve) string {
			ev.ReleaseID, ev.Ring = p.ReleaseID, p.Ring
			return withReason(fmt.Sprintf("ring %s of %s approved%s", p.Ring, p.ReleaseID, by), p.Reason)
		})
	case command.CmdPromoted, command.CmdRolledBack:
		return describeAs(cmd, func(p command.Promoted) string {
			ev.ReleaseID, ev.Ring = p.ReleaseID, p.Ring
			verb := "promoted"
			if cmd.Type == command.CmdRolledBack {
				verb = "rolled back"
			}
			return fmt.Sprintf("ring %s of %s %s in %s (commit %s)", p.Ring, p.ReleaseID, verb, strings.Join(p.Regions, ", "), shortCommit(p.Commit))
		})
	case command.CmdObserve:
		return describeAs(cmd, func(p command.Observe) string {
			ev.ReleaseID, ev.Ring, ev.Region = p.ReleaseID, p.Ring, p.Region
			health := "synced and healthy"
			if !p.Synced || !p.Healthy {
				health = fmt.Sprintf("synced=%t healthy=%t", p.Synced, p.Healthy)
			}
			if p.InProgress {
				health += " in progress"
			}
			s := fmt.Sprintf("%s in ring %s of %s: %s", p.Region, p.Ring, p.ReleaseID, health)
			if p.Check != nil {
				verdict := "pass"
				if !p.Check.Pass {
					verdict = "fail"
				}
				s += fmt.Sprintf("; check %s %s (%g)", p.Check.Check, verdict, p.Check.Value)
			}
			return withReason(s, p.Reason)
		})
	case command.CmdPromotionRetry:
		return describeAs(cmd, func(p command.PromotionRetry) string {
			ev.ReleaseID, ev.Ring = p.ReleaseID, p.Ring
			return fmt.Sprintf("ring %s of %s retrying: %s (attempt %d)", p.Ring, p.ReleaseID, p.Error, p.Attempt)
		})
	case command.CmdPromotionFailed, command.CmdRollbackWriteFailed:
		return describeAs(cmd, func(p command.PromotionFailed) string {
			ev.ReleaseID, ev.Ring = p.ReleaseID, p.Ring
			what := "promotion"
			if cmd.Type == command.CmdRollbackWriteFailed {
				what = "rollback"
			}
			return withReason(fmt.Sprintf("the %s of ring %s of %s needs a person", what, p.Ring, p.ReleaseID), p.Reason)
		})
	case command.CmdStartSoak, command.CmdCompleteRing, command.CmdFailRing:
		return describeAs(cmd, func(p command.RingRef) string {
			ev.ReleaseID, ev.Ring = p.ReleaseID, p.Ring
			verb := map[command.Type]string{command.CmdStartSoak: "started soaking", command.CmdCompleteRing: "is done", command.CmdFailRing: "failed"}[cmd.Type]
			return withReason(fmt.Sprintf("ring %s of %s %s", p.Ring, p.ReleaseID, verb), p.Reason)
		})
	case command.CmdPlaceHalt:
		return describeAs(cmd, func(p command.PlaceHalt) string {
			ev.HaltID = cmp.Or(resultID, p.ID)
			kind := "halt"
			if p.Auto {
				kind = "automatic halt"
			}
			return withReason(fmt.Sprintf("%s %s placed%s", kind, ev.HaltID, by), p.Reason)
		})
	case command.CmdResumeHalt:
		return describeAs(cmd, func(p command.ResumeHalt) string {
			ev.HaltID = p.HaltID
			return withReason(fmt.Sprintf("halt %s resumed%s", p.HaltID, by), p.Reason)
		})
	case command.CmdAdoptTopology:
		return describeAs(cmd, func(p command.AdoptTopology) string {
			return fmt.Sprintf("topology %s adopted%s", p.Revision, by)
		})
	case command.CmdRecordBudget:
		return "error budget recorded"
	case command.CmdSetMember, command.CmdRemoveMember:
		return describeAs(cmd, func(p command.MemberMeta) string {
			if cmd.Type == command.CmdRemoveMember {
				return "member " + p.ID + " removed"
			}
			return "member " + p.ID + " at " + p.HTTPAddr
		})
	}
	return string(cmd.Type)
}

// describeAs decodes the payload as P and describes it with f; a payload
// that does not decode yields the bare summary, the command type.
func describeAs[P any](cmd command.Command, f func(p P) string) string {
	p, err := command.Decode[P](cmd)
	if err != nil {
		return string(cmd.Type)
	}
	return f(p)
}

// withReason appends ": reason" when there is one.
func withReason(s, reason string) string {
	if r := strings.TrimSpace(reason); r != "" {
		return s + ": " + r
	}
	return s
}

// shortCommit abbreviates a commit hash.
func shortCommit(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	return c
}
