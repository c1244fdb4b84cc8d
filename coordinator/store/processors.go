package store

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// processor applies one command type to the machine and returns the ID of
// what it created or touched. It uses cmd.At as the time and cmd.Actor as
// the author, never a clock, and changes nothing when it returns an error.
type processor func(m *machine, cmd command.Command) (string, error)

// decoded makes a processor of apply: it decodes the command's payload as
// P, refuses one that does not decode, and hands the payload to apply.
func decoded[P any](apply func(m *machine, cmd command.Command, p P) (string, error)) processor {
	return func(m *machine, cmd command.Command) (string, error) {
		p, err := command.Decode[P](cmd)
		if err != nil {
			return "", err
		}
		return apply(m, cmd, p)
	}
}

// processors maps every command type to its processor. A type missing here
// is refused as unknown.
var processors = map[command.Type]processor{
	command.CmdCreateRelease:   decoded(processCreateRelease),
	command.CmdStartRelease:    decoded(processStartRelease),
	command.CmdSetReleaseState: decoded(processSetReleaseState),
	command.CmdApprove:         decoded(processApprove),
	command.CmdAbortRelease:    decoded(processAbortRelease),
	command.CmdRequestRollback: decoded(processRequestRollback),
	command.CmdCompleteRelease: decoded(processCompleteRelease),
	command.CmdPromoted:        decoded(processPromoted),
	command.CmdObserve:         decoded(processObserve),
	command.CmdStartSoak:       decoded(processStartSoak),
	command.CmdCompleteRing:    decoded(processCompleteRing),
	command.CmdFailRing:        decoded(processFailRing),
	command.CmdRolledBack:      decoded(processRolledBack),
	command.CmdPlaceHalt:       decoded(processPlaceHalt),
	command.CmdResumeHalt:      decoded(processResumeHalt),
	command.CmdAdoptTopology:   decoded(processAdoptTopology),
	command.CmdRejectTopology:  decoded(processRejectTopology),
	command.CmdRecordBudget:    decoded(processRecordBudget),
	command.CmdSetMember:       decoded(processSetMember),
	command.CmdRemoveMember:    decoded(processRemoveMember),

	command.CmdRollbackVerified:    decoded(processRollbackVerified),
	command.CmdRollbackFailed:      decoded(processRollbackFailed),
	command.CmdPromotionRetry:      decoded(processPromotionRetry),
	command.CmdPromotionFailed:     decoded(processPromotionFailed),
	command.CmdRollbackWriteFailed: decoded(processRollbackWriteFailed),
	command.CmdRecordBaseline:      decoded(processRecordBaseline),
	command.CmdSetRisk:             decoded(processSetRisk),
}

// KnownCommand reports whether t is a command type this node can apply.
func KnownCommand(t command.Type) bool {
	_, ok := processors[t]
	return ok
}

// processCreateRelease adds a scheduled release; it needs a topology in force.
func processCreateRelease(m *machine, cmd command.Command, p command.CreateRelease) (string, error) {
	if m.topology == nil {
		return "", invalidf("create release %q: no topology adopted: adopt a topology first", p.ID)
	}
	if p.Risk != nil {
		if err := p.Risk.Check(); err != nil {
			return "", invalidf("create release %q: %v", p.ID, err)
		}
	}
	r, err := m.state.CreateRelease(m.topology, p.ID, p.App, p.Version, p.Priority, p.Train, p.StartAt, cmd.At, cmd.Actor, p.PreviousVersion)
	if err != nil {
		return "", err
	}
	if p.Risk != nil {
		r.Risk = new(*p.Risk)
	} else {
		r.Risk = m.topology.DefaultRisk(p.App)
	}
	return r.ID, nil
}

// processSetRisk re-scores a release's risk; a reason is required.
func processSetRisk(m *machine, cmd command.Command, p command.SetRisk) (string, error) {
	return p.ReleaseID, m.state.SetRisk(p.ReleaseID, p.Risk, cmd.Actor, p.Reason, cmd.At)
}

// processStartRelease moves a scheduled release to running.
func processStartRelease(m *machine, cmd command.Command, p command.ReleaseRef) (string, error) {
	return p.ReleaseID, m.state.StartRelease(p.ReleaseID, cmd.At)
}

// processSetReleaseState sets a release's display state and reason.
func processSetReleaseState(m *machine, cmd command.Command, p command.SetReleaseState) (string, error) {
	return p.ReleaseID, m.state.SetReleaseState(p.ReleaseID, p.State, p.Reason, cmd.At)
}

// processApprove records cmd.Actor's approval of a ring.
func processApprove(m *machine, cmd command.Command, p command.Approve) (string, error) {
	return p.ReleaseID, m.state.Approve(p.ReleaseID, p.Ring, cmd.Actor, p.Reason, cmd.At)
}

// processAbortRelease aborts a release; a reason is required.
func processAbortRelease(m *machine, cmd command.Command, p command.ReleaseRef) (string, error) {
	if strings.TrimSpace(p.Reason) == "" {
		return "", invalidf("abort release %q: a reason is required", p.ReleaseID)
	}
	return p.ReleaseID, m.state.Abort(p.ReleaseID, cmd.Actor, p.Reason, cmd.At)
}

// processRequestRollback marks a release for rollback; a reason is required.
func processRequestRollback(m *machine, cmd command.Command, p command.ReleaseRef) (string, error) {
	if strings.TrimSpace(p.Reason) == "" {
		return "", invalidf("roll back release %q: a reason is required", p.ReleaseID)
	}
	return p.ReleaseID, m.state.RequestRollback(p.ReleaseID, cmd.Actor, p.Reason, cmd.At)
}

// processCompleteRelease marks a release completed.
func processCompleteRelease(m *machine, cmd command.Command, p command.ReleaseRef) (string, error) {
	return p.ReleaseID, m.state.CompleteRelease(p.ReleaseID, cmd.At)
}

// processPromoted records a landed promotion commit (idempotent per
// PromotionID in rings).
func processPromoted(m *machine, cmd command.Command, p command.Promoted) (string, error) {
	return p.PromotionID, m.state.MarkPromoted(p.ReleaseID, p.Ring, p.Regions, p.PromotionID, p.Commit, cmd.At)
}

// processObserve records health evidence for one region.
func processObserve(m *machine, cmd command.Command, p command.Observe) (string, error) {
	if p.InProgress {
		return p.ReleaseID, m.state.ObserveInProgress(p.ReleaseID, p.Ring, p.Region, p.Synced, p.Healthy, p.Reason, p.Check, cmd.At)
	}
	return p.ReleaseID, m.state.Observe(p.ReleaseID, p.Ring, p.Region, p.Synced, p.Healthy, p.Reason, p.Check, cmd.At)
}

// processStartSoak starts a ring's soak clock at cmd.At.
func processStartSoak(m *machine, cmd command.Command, p command.RingRef) (string, error) {
	return p.ReleaseID, m.state.StartSoak(p.ReleaseID, p.Ring, cmd.At)
}

// processCompleteRing marks a ring done.
func processCompleteRing(m *machine, cmd command.Command, p command.RingRef) (string, error) {
	return p.ReleaseID, m.state.CompleteRing(p.ReleaseID, p.Ring, cmd.At)
}

// processFailRing marks a ring failed with its reason.
func processFailRing(m *machine, cmd command.Command, p command.RingRef) (string, error) {
	return p.ReleaseID, m.state.FailRing(p.ReleaseID, p.Ring, p.Reason, cmd.At)
}

// processRolledBack records a landed rollback commit.
func processRolledBack(m *machine, cmd command.Command, p command.Promoted) (string, error) {
	return p.PromotionID, m.state.MarkRolledBack(p.ReleaseID, p.Ring, p.Regions, p.PromotionID, p.Commit, cmd.At)
}

// processRollbackVerified records verified rollbacks of regions.
func processRollbackVerified(m *machine, cmd command.Command, p command.RingRegions) (string, error) {
	return p.ReleaseID, m.state.VerifyRollback(p.ReleaseID, p.Ring, p.Regions, cmd.At)
}

// processRollbackFailed records rollbacks that did not verify and halts
// their regions on behalf of cmd.Actor.
func processRollbackFailed(m *machine, cmd command.Command, p command.RollbackFailed) (string, error) {
	if p.HaltID == "" {
		return "", invalidf("rollback of release %q failed: the halt ID is empty", p.ReleaseID)
	}
	h := rings.Halt{ID: p.HaltID, Scope: p.Scope, Author: cmd.Actor, Reason: p.Reason}
	return p.ReleaseID, m.state.FailRollback(p.ReleaseID, p.Ring, p.Regions, p.Reason, h, cmd.At)
}

// processPlaceHalt places a halt authored by cmd.Actor at cmd.At.
func processPlaceHalt(m *machine, cmd command.Command, p command.PlaceHalt) (string, error) {
	h := rings.Halt{ID: p.ID, Scope: p.Scope, Author: cmd.Actor, Reason: p.Reason, CreatedAt: cmd.At, Auto: p.Auto}
	if err := m.state.PlaceHalt(h); err != nil {
		return "", err
	}
	return p.ID, nil
}

// processResumeHalt lifts a halt on behalf of cmd.Actor.
func processResumeHalt(m *machine, cmd command.Command, p command.ResumeHalt) (string, error) {
	return p.HaltID, m.state.ResumeHalt(p.HaltID, cmd.Actor, p.Reason, cmd.At)
}

// processAdoptTopology parses the source (every node does, so all derive
// the same topology) and puts it in force. An invalid source changes
// nothing: the last good topology stays.
func processAdoptTopology(m *machine, cmd command.Command, p command.AdoptTopology) (string, error) {
	if len(p.Source) == 0 {
		return "", invalidf("adopt topology revision %s: the source is empty", p.Revision)
	}
	t, err := topology.Parse(p.Path, p.Source)
	if err != nil {
		return "", invalidf("adopt topology revision %s: %w; the previous topology stays in force", p.Revision, err)
	}
	m.topology = t
	m.topologyRevision = p.Revision
	m.topologyPath = p.Path
	m.topologySource = p.Source
	m.topologyRejected = nil
	return p.Revision, nil
}

// processRejectTopology records a revision that failed validation. The
// topology in force does not change; a revision already in force cannot be
// rejected.
func processRejectTopology(m *machine, cmd command.Command, p command.RejectTopology) (string, error) {
	if p.Revision == "" || len(p.Errors) == 0 {
		return "", invalidf("reject topology: revision and errors are required")
	}
	if p.Revision == m.topologyRevision {
		return "", &stateError{kind: command.ErrConflict, cause: fmt.Errorf("reject topology revision %s: it is the revision in force", p.Revision)}
	}
	m.topologyRejected = &command.TopologyRejection{Revision: p.Revision, Path: p.Path, Errors: slices.Clone(p.Errors), At: cmd.At}
	return p.Revision, nil
}

// processRecordBudget stores an app's latest error budget in a region. An
// entry without an app (written before budgets were per app) still
// applies, keyed by its region; see rings.State.RecordBudget.
func processRecordBudget(m *machine, cmd command.Command, p rings.Budget) (string, error) {
	if p.Region == "" {
		return "", invalidf("record budget: region is empty")
	}
	m.state.RecordBudget(p)
	return p.Key(), nil
}

// processSetMember records a server's HTTP address.
func processSetMember(m *machine, cmd command.Command, p command.MemberMeta) (string, error) {
	if p.ID == "" {
		return "", invalidf("set member: server ID is empty")
	}
	m.members[p.ID] = p.HTTPAddr
	return p.ID, nil
}

// processRemoveMember forgets a server's HTTP address. Removing an unknown
// member is not an error, so a retried removal succeeds.
func processRemoveMember(m *machine, cmd command.Command, p command.MemberMeta) (string, error) {
	if p.ID == "" {
		return "", invalidf("remove member: server ID is empty")
	}
	delete(m.members, p.ID)
	return p.ID, nil
}

// processPromotionRetry records a transient failure of a Git write and
// when the leader tries again.
func processPromotionRetry(m *machine, cmd command.Command, p command.PromotionRetry) (string, error) {
	rt := rings.PromotionRetry{PromotionID: p.PromotionID, Rollback: p.Rollback, Attempt: p.Attempt, Error: p.Error, NextAttemptAt: p.NextAttemptAt}
	return p.PromotionID, m.state.RecordPromotionRetry(p.ReleaseID, p.Ring, rt, cmd.At)
}

// processPromotionFailed fails a ring whose promotion needs a person.
func processPromotionFailed(m *machine, cmd command.Command, p command.PromotionFailed) (string, error) {
	return p.PromotionID, m.state.FailPromotion(p.ReleaseID, p.Ring, p.PromotionID, p.Reason, cmd.At)
}

// processRollbackWriteFailed halts a release whose rollback needs a person.
func processRollbackWriteFailed(m *machine, cmd command.Command, p command.PromotionFailed) (string, error) {
	return p.PromotionID, m.state.FailRollbackWrite(p.ReleaseID, p.Ring, p.PromotionID, p.Reason, cmd.At)
}

// processRecordBaseline records a release's baseline read from Git (the
// first record stands; rings refuses one after a promotion).
func processRecordBaseline(m *machine, cmd command.Command, p command.RecordBaseline) (string, error) {
	if len(p.Regions) == 0 {
		return "", invalidf("record baseline of release %q: no regions", p.ReleaseID)
	}
	return p.ReleaseID, m.state.RecordBaseline(p.ReleaseID, p.Commit, p.Regions, cmd.At)
}
