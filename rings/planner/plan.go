package planner

import (
	"fmt"
	"strings"
	"time"

	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// PlanNext decides what the leader should do now for every release, from the
// topology, the replicated state and the time. It is pure and deterministic:
// no clock, no I/O, the same answer on every node, actions and waits in
// release creation order, then ring order, then region order. The leader
// carries out every Action, records each outcome through the State
// transitions and plans again at once; NextCheck says when to plan again if
// nothing else changes.
//
// Per release, in creation order (terminal releases are skipped, except a
// completed release a person asked to roll back):
//
//   - Rollback requested: ActRollback of every ring's promoted, not yet
//     rolled-back regions to their previous value (Release.PreviousFor:
//     regions grouped by previous version, a region whose targets disagreed
//     on its own with each target's value), nothing else.
//   - scheduled: waits for StartAt, then for its train's first departure at
//     or after the release was created, then for any started, unfinished
//     release of the same app (one release of an app rolls at a time, oldest
//     first); otherwise ActStartRelease.
//   - started: the first ring that is not done is worked on (see planRing);
//     when every ring is done, ActCompleteRelease.
//
// A ring that is pending or promoting passes its not yet promoted regions
// through the gates, each region on its own: a covering halt and an
// incomplete soak of the previous ring stop a region outright; then freezes,
// the ring's release windows, the error budget and the ring's approval are
// all evaluated and every one that blocks is reported, so people see at once
// everything a region waits for (an approver can approve on Friday for the
// window that opens on Monday). The regions that pass every gate go out in
// one ActPromote; before the release's first promotion, an
// ActRecordBaseline instead (and a baseline wait), so what every region runs
// now is read from Git and recorded first. The release is shown halted when every remaining region is
// held by a halt, awaiting-approval when an approval is what is missing, and
// running otherwise (waiting for a window or a freeze is part of running).
//
// A syncing ring (every region promoted) starts soaking once every region
// with health sources is synced and healthy (a region without sources
// advances on soak time alone); it fails when a region reports Degraded or
// when SyncTimeout has passed since the last promotion and a region is still
// not ready. While a ring is still promoting (some regions wait for their
// window) a Degraded promoted region fails it at once; the sync timeout
// applies from the ring's last promotion. A soaking ring fails after
// policy.analysis.failureThreshold consecutive failed checks, and is done
// once it soaked its full window; halts do not stop the soak clock. A region
// whose rollout is still in progress (RegionProgress.InProgress: an Argo
// Rollouts canary paused between steps, a Progressing Deployment) is
// neither failing nor ready (progress.go): it waits, holds a soak's
// completion, and fails the ring once it has been in progress for longer
// than the ring's syncTimeout (while syncing, the sync timeout from the
// last promotion comes first). A failed
// ring places an automatic halt per policy.onFailure (once per failure: an
// automatic halt with the same scope created since the failure, even if a
// person resumed it since, is not placed again) and then, per
// policy.rollback, rolls the ring's promoted regions back or shows the
// release halted for a person to decide.
//
// Cost: O(releases × rings × regions) plus one window and freeze evaluation
// per (ring, region) and priority, memoised within the call.
func PlanNext(t *topology.Topology, s *rings.State, now time.Time) Plan {
	if t == nil || s == nil {
		return Plan{Actions: []Action{}, Waits: []Wait{}} // no topology adopted yet: nothing can be decided
	}
	p := &planner{t: t, s: s, now: now, busy: map[string]string{}, memo: map[memoKey]gateResult{}}
	for _, r := range s.Releases {
		if !r.State.Terminal() && r.State != rings.ReleaseScheduled {
			if _, ok := p.busy[r.App]; !ok {
				p.busy[r.App] = r.ID
			}
		}
	}
	for _, r := range s.Releases {
		p.release(r)
	}
	if p.plan.Actions == nil {
		p.plan.Actions = []Action{}
	}
	if p.plan.Waits == nil {
		p.plan.Waits = []Wait{}
	}
	return p.plan
}

// planner carries one PlanNext call.
type planner struct {
	t    *topology.Topology
	s    *rings.State
	now  time.Time
	plan Plan
	// busy maps an app to the started, unfinished release that holds it.
	busy map[string]string
	memo map[memoKey]gateResult
}

func (p *planner) act(a Action) { p.plan.Actions = append(p.plan.Actions, a) }

// wait records a wait and moves NextCheck to its Until when that is earlier.
func (p *planner) wait(w Wait) {
	if !w.Until.IsZero() {
		w.Until = w.Until.UTC()
		if w.Until.After(p.now) && (p.plan.NextCheck.IsZero() || w.Until.Before(p.plan.NextCheck)) {
			p.plan.NextCheck = w.Until
		}
	}
	p.plan.Waits = append(p.plan.Waits, w)
}

// setState asks for the release to be shown in st (with reason) when it is
// not already.
func (p *planner) setState(r *rings.Release, st rings.ReleaseState, reason string) {
	if r.State == st && (st == rings.ReleaseRunning || r.Reason == reason) {
		return
	}
	p.act(Action{Kind: ActSetReleaseState, ReleaseID: r.ID, App: r.App, State: st, Reason: reason})
}

func (p *planner) release(r *rings.Release) {
	switch {
	case r.RollbackRequested && (!r.State.Terminal() || r.State == rings.ReleaseCompleted):
		p.rollbackAll(r)
	case r.State.Terminal():
	case r.State == rings.ReleaseScheduled:
		p.scheduled(r)
	case r.FailedRing() >= 0:
		p.failed(r, r.FailedRing())
	default:
		for i := range r.Rings {
			if r.Rings[i].State != rings.RingDone {
				p.ring(r, i)
				return
			}
		}
		p.act(Action{Kind: ActCompleteRelease, ReleaseID: r.ID, App: r.App})
	}
}

// scheduled decides whether a scheduled release may start.
func (p *planner) scheduled(r *rings.Release) {
	if r.StartAt.After(p.now) {
		p.wait(Wait{ReleaseID: r.ID, Reason: WaitSchedule, Until: r.StartAt,
			Detail: "starts at " + stamp(r.StartAt)})
		return
	}
	if r.Train != "" {
		dep, err := TrainDeparture(p.t, r.Train, r.CreatedAt)
		switch {
		case err != nil:
			p.wait(Wait{ReleaseID: r.ID, Reason: WaitSchedule, Detail: fmt.Sprintf("cannot tell when train %q departs: %v; fix the topology", r.Train, err)})
			return
		case dep.IsZero():
			p.wait(Wait{ReleaseID: r.ID, Reason: WaitSchedule, Detail: fmt.Sprintf("train %q does not depart within a year of %s", r.Train, stamp(r.CreatedAt))})
			return
		case dep.After(p.now):
			p.wait(Wait{ReleaseID: r.ID, Reason: WaitSchedule, Until: dep,
				Detail: fmt.Sprintf("queued for train %q departing %s", r.Train, stamp(dep))})
			return
		}
	}
	if holder, ok := p.busy[r.App]; ok {
		p.wait(Wait{ReleaseID: r.ID, Reason: WaitQueue,
			Detail: fmt.Sprintf("release %s of app %s is still rolling out; this one starts when it ends", holder, r.App)})
		return
	}
	p.busy[r.App] = r.ID
	p.act(Action{Kind: ActStartRelease, ReleaseID: r.ID, App: r.App})
}

// ring works on ring i, the first ring of r that is not done.
func (p *planner) ring(r *rings.Release, i int) {
	rp := &r.Rings[i]
	switch rp.State {
	case rings.RingPending, rings.RingPromoting:
		if rp.State == rings.RingPromoting && p.degraded(r, rp) {
			return
		}
		p.promote(r, i)
	case rings.RingSyncing:
		p.syncing(r, i)
	case rings.RingSoaking:
		p.soaking(r, i)
	case rings.RingFailed, rings.RingRollingBack, rings.RingRolledBack:
		// release() sends a release with a failed ring to failed(); a
		// ring set back without a failure belongs to a rollback a person
		// asked for, which rollbackAll handles.
		p.setState(r, rings.ReleaseHalted, fmt.Sprintf("ring %s is %s; abort the release or roll it back", rp.Name, rp.State))
	}
}

// rollbackAll rolls back every promoted region of every ring of a release a
// person asked to roll back, and verifies every rollback that landed.
func (p *planner) rollbackAll(r *rings.Release) {
	busy := false
	for i := range r.Rings {
		busy = p.rollbackRing(r, &r.Rings[i]) || busy
	}
	for i := range r.Rings {
		busy = p.verifyRollback(r, &r.Rings[i]) || busy
	}
	if !busy && !r.State.Terminal() {
		// Nothing left to write back or verify: the transitions end the
		// release when the last rollback settles, so this is only reached
		// for a state they do not produce. Show it rather than loop
		// silently.
		p.setState(r, rings.ReleaseHalted, "rollback requested but nothing is left to roll back; abort the release")
	}
}

// rollbackRing asks for the promoted, not rolled-back regions of rp to be set
// back to their previous value (Release.PreviousFor): one action per
// distinct previous version, and one action per region whose targets get
// their own values. A region with nothing known to write back is not
// written: the release is shown halted, naming it. It reports whether it
// asked for anything.
func (p *planner) rollbackRing(r *rings.Release, rp *rings.RingProgress) bool {
	if rp.RollbackFailure != nil {
		// Needs a person: show why, write nothing more for this ring.
		if r.MustRollBack(rp) {
			p.setState(r, rings.ReleaseHalted, rings.RollbackFailedReason(r))
			return true
		}
		return false
	}
	var (
		versions  []string
		byVersion = map[string][]string{}
		unknown   []string
		asked     bool
	)
	for _, g := range rp.Regions {
		if !g.Promoted() || g.RolledBack() {
			continue
		}
		prev := r.PreviousFor(g.Name)
		switch {
		case prev.Unknown != "":
			unknown = append(unknown, prev.Unknown)
		case len(prev.Targets) > 0:
			regions := []string{g.Name}
			p.act(Action{Kind: ActRollback, ReleaseID: r.ID, App: r.App, Ring: rp.Name, Regions: regions, Version: "mixed",
				Targets: prev.Targets, PromotionID: rings.RollbackID(r.ID, rp.Name, regions),
				Reason: "roll back " + r.Version + " to each target's previous value in " + g.Name + " (" + r.DescribePrevious(g.Name) + ")"})
			asked = true
		default:
			if _, ok := byVersion[prev.Version]; !ok {
				versions = append(versions, prev.Version)
			}
			byVersion[prev.Version] = append(byVersion[prev.Version], g.Name)
		}
	}
	if len(versions) > 0 && p.retryLater(r, rp, true) {
		return true
	}
	for _, v := range versions {
		regions := byVersion[v]
		p.act(Action{Kind: ActRollback, ReleaseID: r.ID, App: r.App, Ring: rp.Name, Regions: regions, Version: v,
			PromotionID: rings.RollbackID(r.ID, rp.Name, regions), Reason: "roll back " + r.Version + " to " + v})
		asked = true
	}
	if len(unknown) > 0 {
		p.setState(r, rings.ReleaseHalted, fmt.Sprintf("ring %s must be rolled back but %s; nothing was written there: set it back by hand and abort the release", rp.Name, strings.Join(unknown, "; ")))
		asked = true
	}
	return asked
}

// stamp renders a time for a wait detail.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
