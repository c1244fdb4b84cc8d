package planner

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// memoKey identifies one window or freeze evaluation within a PlanNext call:
// every release pending on the same ring and region gets the same answer.
type memoKey struct {
	kind     byte // 'w' window, 'f' freeze
	ring     string
	region   string
	priority string
}

// gateResult is a memoised window or freeze answer.
type gateResult struct {
	open   bool // the gate lets the region through
	until  time.Time
	detail string
}

// promote passes the not yet promoted regions of ring i of r through the
// gates and promotes those that pass in one action. See PlanNext for the
// order and the release states shown.
func (p *planner) promote(r *rings.Release, i int) {
	rp := &r.Rings[i]
	j := p.t.RingIndex(rp.Name)
	if j < 0 {
		p.wait(Wait{ReleaseID: r.ID, Ring: rp.Name, Reason: WaitHalt,
			Detail: fmt.Sprintf("ring %s is no longer in the topology; abort the release or restore the ring", rp.Name)})
		return
	}
	ring := p.t.Spec.Rings[j]
	var (
		remaining, halted, ready []string
		haltDetail               string
		needApproval             bool
	)
	if i > 0 && r.Rings[i-1].DoneAt.IsZero() {
		p.wait(Wait{ReleaseID: r.ID, Ring: rp.Name, Reason: WaitSoak,
			Detail: fmt.Sprintf("ring %s has not finished soaking", r.Rings[i-1].Name)})
		return
	}
	for _, g := range rp.Regions {
		if g.Promoted() {
			continue
		}
		remaining = append(remaining, g.Name)
		if hs := p.s.CoveringHalts(r.ID, r.App, rp.Name, []string{g.Name}); len(hs) > 0 {
			halted = append(halted, g.Name)
			haltDetail = describeHalts(hs)
			p.wait(Wait{ReleaseID: r.ID, Ring: rp.Name, Regions: []string{g.Name}, Reason: WaitHalt, Detail: haltDetail})
			continue
		}
		region, ok := p.t.RegionByName(g.Name)
		if !ok {
			p.wait(Wait{ReleaseID: r.ID, Ring: rp.Name, Regions: []string{g.Name}, Reason: WaitHalt,
				Detail: fmt.Sprintf("region %s is no longer in the topology; restore it or abort the release", g.Name)})
			continue
		}
		pass := true
		if f := p.freeze(region, r.Priority); !f.open {
			pass = false
			p.wait(Wait{ReleaseID: r.ID, Ring: rp.Name, Regions: []string{g.Name}, Reason: WaitFreeze, Until: f.until, Detail: f.detail})
		}
		if w := p.window(ring, region); !w.open {
			pass = false
			p.wait(Wait{ReleaseID: r.ID, Ring: rp.Name, Regions: []string{g.Name}, Reason: WaitWindow, Until: w.until, Detail: w.detail})
		}
		if ok, approval := p.budget(r, rp, region); !ok {
			pass, needApproval = false, needApproval || approval
		}
		if pass {
			ready = append(ready, g.Name)
		}
	}
	// The ring's own approval is one wait for every region not held by a
	// halt: an approver can approve ahead of the window.
	if rings.RingApproval(p.t, r, j) && rp.Approval == nil && len(halted) < len(remaining) {
		needApproval = true
		ready = nil
		why := ""
		if !p.policyOf(r).ApprovalRequired(rp.Name) { // the tier asks, not the app's own policy
			why = " (risk " + p.t.DecideRisk(r.Risk).Why + ")"
		}
		p.wait(Wait{ReleaseID: r.ID, Ring: rp.Name, Regions: without(remaining, halted), Reason: WaitApproval,
			Detail: fmt.Sprintf("ring %s needs an approval%s: ringctl release approve %s --ring %s", rp.Name, why, r.ID, rp.Name)})
	}
	if p.exposureGate(r, rp, ring, j, without(remaining, halted)) {
		needApproval, ready = true, nil
	}
	switch {
	case len(ready) > 0 && r.NeedsBaseline():
		// Before the first commit of the release: record what every
		// region runs now, so rollback and the baseline comparison know.
		p.setState(r, rings.ReleaseRunning, "")
		p.act(Action{Kind: ActRecordBaseline, ReleaseID: r.ID, App: r.App, Regions: r.RegionNames(),
			Reason: fmt.Sprintf("read what every region of %s runs now from Git before promoting %s", r.App, r.Version)})
		p.wait(Wait{ReleaseID: r.ID, Ring: rp.Name, Regions: ready, Reason: WaitBaseline,
			Detail: fmt.Sprintf("ring %s is promoted once the version every region runs now is read from Git and recorded (the rollback target)", rp.Name)})
	case len(ready) > 0 && p.retryLater(r, rp, false):
		p.setState(r, rings.ReleaseRunning, "")
	case len(ready) > 0:
		p.setState(r, rings.ReleaseRunning, "")
		p.act(Action{Kind: ActPromote, ReleaseID: r.ID, App: r.App, Ring: rp.Name, Regions: ready, Version: r.Version,
			PromotionID: rings.PromotionID(r.ID, rp.Name, ready), Reason: fmt.Sprintf("promote %s %s to ring %s", r.App, r.Version, rp.Name)})
	case len(remaining) > 0 && len(halted) == len(remaining):
		p.setState(r, rings.ReleaseHalted, haltDetail)
	case needApproval:
		p.setState(r, rings.ReleaseAwaitingApproval, fmt.Sprintf("ring %s waits for an approval", rp.Name))
	default:
		p.setState(r, rings.ReleaseRunning, "")
	}
}

// memoised returns the answer for k, evaluating it only the first time in
// this call.
func (p *planner) memoised(k memoKey, eval func() gateResult) gateResult {
	if v, ok := p.memo[k]; ok {
		return v
	}
	res := eval()
	p.memo[k] = res
	return res
}

// freeze evaluates the freezes for region and priority once per call.
func (p *planner) freeze(region topology.Region, priority string) gateResult {
	return p.memoised(memoKey{kind: 'f', region: region.Name, priority: priority}, func() gateResult {
		hits, err := BlockingFreezes(p.t, region, priority, p.now)
		if err != nil {
			return gateResult{detail: fmt.Sprintf("cannot evaluate freezes: %v; fix the topology", err)}
		}
		if len(hits) == 0 {
			return gateResult{open: true}
		}
		var res gateResult
		names := make([]string, 0, len(hits))
		for _, h := range hits {
			names = append(names, h.Freeze.Name)
			if h.Until.After(res.until) {
				res.until = h.Until
			}
		}
		res.detail = fmt.Sprintf("freeze %s is in force until %s", strings.Join(names, ", "), stamp(res.until))
		if allow := hits[0].Freeze.Allow; len(allow) > 0 {
			res.detail += fmt.Sprintf(" (only %s releases may promote)", strings.Join(allow, ", "))
		}
		return res
	})
}

// window evaluates the ring's release windows for region once per call.
func (p *planner) window(ring topology.Ring, region topology.Region) gateResult {
	return p.memoised(memoKey{kind: 'w', ring: ring.Name, region: region.Name}, func() gateResult {
		o, err := RingWindowAt(p.t, ring, region, p.now)
		switch {
		case err != nil:
			return gateResult{detail: fmt.Sprintf("cannot evaluate release windows: %v; fix the topology", err)}
		case !o.Open && o.Next.IsZero():
			return gateResult{detail: fmt.Sprintf("no window of ring %s opens for %s within a year", ring.Name, region.Name)}
		case !o.Open:
			loc, _ := regionZone(region)
			if loc == nil {
				loc = time.UTC
			}
			return gateResult{until: o.Next, detail: fmt.Sprintf("outside the windows of ring %s (%s) in %s; next opens %s (%s)",
				ring.Name, strings.Join(ring.Windows, ", "), region.Name, o.Next.In(loc).Format("Mon 2006-01-02 15:04 MST"), stamp(o.Next))}
		}
		return gateResult{open: true}
	})
}

// describeHalts says who halted what and why.
func describeHalts(hs []rings.Halt) string {
	parts := make([]string, 0, len(hs))
	for _, h := range hs {
		by := h.Author
		if h.Auto {
			by = "automatic"
		}
		parts = append(parts, fmt.Sprintf("halt %s by %s: %s", h.ID, by, h.Reason))
	}
	return strings.Join(parts, "; ") + "; resume with ringctl resume"
}

// without returns the elements of list not in drop, in order.
func without(list, drop []string) []string {
	out := make([]string, 0, len(list))
	for _, v := range list {
		if !slices.Contains(drop, v) {
			out = append(out, v)
		}
	}
	return out
}
