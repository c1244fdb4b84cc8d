package ui

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/planner"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// Board is everything the dashboard shows, computed from one snapshot of
// the applied state, the plan at Now, and the node's view of the cluster.
// It is a plain value so it can be tested without HTML.
type Board struct {
	Now              time.Time
	NodeID           string
	IsLeader         bool
	LeaderID         string
	LeaderAddr       string
	AppliedIndex     uint64
	TopologyRevision string
	NoTopology       bool
	Halts            []HaltView
	Budgets          []BudgetGroup
	Releases         []ReleaseView
	// Finished counts the terminal releases not shown.
	Finished int
}

// HaltView is one active halt banner.
type HaltView struct {
	ID, Author, Reason, Scope string
	Auto                      bool
	CreatedAt                 time.Time
}

// BudgetGroup is one app's error budgets, by region.
type BudgetGroup struct {
	App     string
	Budgets []BudgetView
}

// BudgetView is the error budget of one app in one region.
type BudgetView struct {
	App              string
	Region           string
	RemainingPercent float64
	RemainingSeconds float64
	At               time.Time
	// Level is ok, low or exhausted (by the topology's thresholds).
	Level string
}

// ReleaseView is one release card.
type ReleaseView struct {
	ID, App, Version, Previous, Priority string
	State                                rings.ReleaseState
	Reason                               string
	CreatedAt                            time.Time
	CreatedBy                            string
	// Risk says, for a scored release, its DREAD score and the risk tier
	// it picks ("DREAD 44/50: tier high (scores 40–50): …"); risk.go.
	Risk string
	// Waits are the release-level waits (not about one ring).
	Waits    []WaitView
	Regions  []string // grid columns: every region of the topology, in ring order
	Rings    []RingView
	Timeline []TimelineEntry

	Policy *topology.PolicyBrief // the app's effective policy in brief (view_policy.go); nil without a topology
}

// RingView is one row of the rings × regions grid.
type RingView struct {
	Name  string
	State rings.RingState
	// SoakWindow is the ring's soak; SoakRemaining is set while soaking.
	SoakWindow    time.Duration
	Soaking       bool
	SoakRemaining time.Duration
	Reason        string
	// Retry is "retrying: <error> (attempt N)" while the ring's last Git
	// write failed transiently; RollbackFailure why its rollback needs a
	// person.
	Retry           string
	RetryAt         time.Time
	RollbackFailure string
	Approval        string
	Exposure        string // exposure.go
	Observation     *rings.Observation
	Waits           []WaitView
	// Cells has one entry per grid column; InRing is false for regions
	// that belong to other rings.
	Cells []CellView
}

// CellView is one region of one ring.
type CellView struct {
	Region     string
	InRing     bool
	Version    string
	Promoted   bool
	RolledBack bool
	Synced     bool
	Healthy    bool
	Observed   bool
	ObservedAt time.Time
	Reason     string
	// Failures counts the region's failed checks in a row and Check is its
	// last failing check (nil when its last check passed).
	Failures int
	Check    *rings.Observation
	// Health is a word for the cell's colour: pending, healthy, unhealthy,
	// waiting (promoted, no evidence yet), in-progress (the rollout is still
	// on its way, e.g. an Argo Rollouts canary paused between steps),
	// unobserved (promoted; the region has no health source, so it
	// advances on soak time alone), rolling-back (the rollback landed and
	// is being verified), rolled-back (verified) or rollback-failed (it did
	// not verify; the region is halted).
	Health string
}

// WaitView is one thing the planner says waits, and why.
type WaitView struct {
	Reason planner.WaitReason
	Detail string
	Until  time.Time
	// In is Until − Now (0 when Until is zero or past).
	In time.Duration
}

// maxFinished is how many finished releases the board still shows.
const maxFinished = 5

// BuildBoard computes the board from a snapshot at now, with the planner's
// waits (the same plan /v1/status shows).
func BuildBoard(snap store.Snapshot, plan planner.Plan, now time.Time) Board {
	b := Board{Now: now, AppliedIndex: snap.AppliedIndex, TopologyRevision: snap.TopologyRevision, NoTopology: snap.Topology == nil}
	for _, h := range rings.ActiveHalts(snap.State) {
		b.Halts = append(b.Halts, HaltView{ID: h.ID, Author: h.Author, Reason: h.Reason, Scope: describeScope(h.Scope), Auto: h.Auto, CreatedAt: h.CreatedAt})
	}
	b.Budgets = budgets(snap)

	var live, done []*rings.Release
	for _, rel := range snap.State.Releases {
		if rel.State.Terminal() {
			done = append(done, rel)
		} else {
			live = append(live, rel)
		}
	}
	// Newest finished first; keep a few so a just-completed release stays.
	slices.SortStableFunc(done, func(x, y *rings.Release) int { return y.UpdatedAt.Compare(x.UpdatedAt) })
	if len(done) > maxFinished {
		b.Finished = len(done) - maxFinished
		done = done[:maxFinished]
	}
	for _, rel := range append(live, done...) {
		b.Releases = append(b.Releases, releaseView(snap, rel, plan, now))
	}
	return b
}

// releaseView builds one release card.
func releaseView(snap store.Snapshot, rel *rings.Release, plan planner.Plan, now time.Time) ReleaseView {
	v := ReleaseView{
		ID: rel.ID, App: rel.App, Version: rel.Version, Previous: rel.PreviousVersion, Priority: rel.Priority,
		State: rel.State, Reason: rel.Reason, CreatedAt: rel.CreatedAt, CreatedBy: rel.CreatedBy,
		Policy: policyBrief(snap, rel.App),
		Risk:   releaseRisk(snap.Topology, rel),
	}
	waitsByRing := map[string][]WaitView{}
	for _, w := range plan.Waits {
		if w.ReleaseID != rel.ID {
			continue
		}
		wv := WaitView{Reason: w.Reason, Detail: w.Detail, Until: w.Until}
		if !w.Until.IsZero() && w.Until.After(now) {
			wv.In = w.Until.Sub(now)
		}
		if w.Ring == "" {
			v.Waits = append(v.Waits, wv)
		} else {
			waitsByRing[w.Ring] = append(waitsByRing[w.Ring], wv)
		}
	}
	for _, rp := range rel.Rings {
		for _, g := range rp.Regions {
			if !slices.Contains(v.Regions, g.Name) {
				v.Regions = append(v.Regions, g.Name)
			}
		}
	}
	for _, rp := range rel.Rings {
		rv := RingView{Name: rp.Name, State: rp.State, Reason: rp.Reason, Observation: rp.LastObservation, Waits: waitsByRing[rp.Name]}
		if t := snap.Topology; t != nil {
			if i := t.RingIndex(rp.Name); i >= 0 {
				rv.SoakWindow = rings.RingSoak(t, rel, i)
			}
		}
		rv.Exposure = ringExposure(snap.Topology, rel.App, rp.Name)
		if rp.State == rings.RingSoaking {
			rv.Soaking = true
			rv.SoakRemaining = rings.SoakRemaining(snap.Topology, rel, rp, now)
		}
		if rp.Approval != nil {
			rv.Approval = rp.Approval.By
		}
		if rt := rp.Retry; rt != nil {
			rv.Retry, rv.RetryAt = rt.Text(), rt.NextAttemptAt
		}
		if f := rp.RollbackFailure; f != nil {
			rv.RollbackFailure = f.Reason
		}
		for _, region := range v.Regions {
			rv.Cells = append(rv.Cells, cellView(snap.Topology, rel, rp, region))
		}
		v.Rings = append(v.Rings, rv)
	}
	v.Timeline = Timeline(snap.State, rel)
	return v
}

// cellView is region of ring rp of rel (InRing false when the region is in
// another ring).
func cellView(t *topology.Topology, rel *rings.Release, rp rings.RingProgress, region string) CellView {
	g := rp.Region(region)
	if g == nil {
		return CellView{Region: region}
	}
	c := CellView{
		Region: region, InRing: true, Promoted: g.Promoted(), RolledBack: g.RolledBack(),
		Synced: g.Synced, Healthy: g.Healthy, Observed: !g.ObservedAt.IsZero(), ObservedAt: g.ObservedAt, Reason: g.Reason,
		Failures: g.ConsecutiveFailures,
	}
	if g.LastCheck != nil && !g.LastCheck.Pass {
		c.Check = g.LastCheck
	}
	// What the region ran before (its recorded baseline; "mixed: …" when
	// its targets disagreed).
	previous := rel.DescribePrevious(region)
	if previous == "-" {
		previous = ""
	}
	switch {
	case c.RolledBack && !g.RollbackFailedAt.IsZero():
		c.Version, c.Health = previous, "rollback-failed"
	case c.RolledBack && !g.RollbackVerified():
		c.Version, c.Health = previous, "rolling-back"
	case c.RolledBack:
		c.Version, c.Health = previous, "rolled-back"
	case !c.Promoted:
		c.Version, c.Health = previous, "pending"
	case !c.Observed && !hasHealthSources(t, region):
		c.Version, c.Health = rel.Version, "unobserved"
	case !c.Observed:
		c.Version, c.Health = rel.Version, "waiting"
	case c.Synced && c.Healthy:
		c.Version, c.Health = rel.Version, "healthy"
	case g.InProgress:
		c.Version, c.Health = rel.Version, "in-progress"
	default:
		c.Version, c.Health = rel.Version, "unhealthy"
	}
	return c
}

// budgets lists the recorded error budgets per app (by name) and region,
// with their level under the app's effective policy (default thresholds
// 50/25 when none). A figure recorded before budgets were per app has no app and
// gates nothing; it is not shown.
func budgets(snap store.Snapshot) []BudgetGroup {
	var all []BudgetView
	for _, bg := range snap.State.Budgets {
		if bg.App == "" {
			continue
		}
		auto, approval := 50.0, 25.0
		if t := snap.Topology; t != nil {
			if p := t.EffectivePolicy(bg.App).ErrorBudget; p.Enabled() {
				auto, approval = p.AutoApproveAbove, p.ApprovalAbove
			}
		}
		level := "ok"
		switch {
		case bg.RemainingPercent <= approval:
			level = "exhausted"
		case bg.RemainingPercent <= auto:
			level = "low"
		}
		all = append(all, BudgetView{App: bg.App, Region: bg.Region, RemainingPercent: bg.RemainingPercent, RemainingSeconds: bg.RemainingSeconds, At: bg.At, Level: level})
	}
	slices.SortFunc(all, func(x, y BudgetView) int { return cmp.Or(cmp.Compare(x.App, y.App), cmp.Compare(x.Region, y.Region)) })
	var out []BudgetGroup
	for _, b := range all {
		if len(out) == 0 || out[len(out)-1].App != b.App {
			out = append(out, BudgetGroup{App: b.App})
		}
		g := &out[len(out)-1]
		g.Budgets = append(g.Budgets, b)
	}
	return out
}

// describeScope says what a halt covers, for its banner. It reads as
// rings.HaltScope.Describe except that a global halt's banner says
// "everything, everywhere" and an empty scope shows no text.
func describeScope(s rings.HaltScope) string {
	switch {
	case s.Global:
		return "everything, everywhere"
	case s.Empty():
		return ""
	}
	return s.Describe()
}

// Countdown formats a duration for people: "1h 02m", "4m 05s", "12s".
func Countdown(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	d = d.Round(time.Second)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	switch {
	case h > 0:
		return fmt.Sprintf("%dh %02dm", h, m)
	case m > 0:
		return fmt.Sprintf("%dm %02ds", m, s)
	default:
		return fmt.Sprintf("%ds", s)
	}
}

// hasHealthSources reports whether the topology gives region a health
// source (unknown regions count as having one: fail closed).
func hasHealthSources(t *topology.Topology, region string) bool {
	if t == nil {
		return true
	}
	r, ok := t.RegionByName(region)
	return !ok || r.HasHealthSources()
}
