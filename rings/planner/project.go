package planner

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// ErrProjection: a projected rollout cannot finish (a window that never
// opens, a ring that cannot pass its gates within the horizon).
var ErrProjection = errors.New("rollout cannot be projected to completion")

// Timeline is the projected rollout of one version of an app: when each ring
// and region would start if every check passed at once and every approval
// came at once.
type Timeline struct {
	App     string         `json:"app"`
	Version string         `json:"version"`
	Rings   []TimelineRing `json:"rings"`
	// RiskTier is the risk tier the projected release's DREAD score picks
	// and why (nil when it has no score).
	RiskTier *topology.RiskDecision `json:"riskDecision,omitempty"`
}

// TimelineRing is one ring of a Timeline. Start is its earliest region start;
// SoakedAt is when its soak completes (and the next ring may start).
// Approval is "required" when the ring asks a person to approve (the
// projection assumes the approval comes the moment it is asked for) and
// "none" otherwise.
type TimelineRing struct {
	Name     string           `json:"name"`
	Start    time.Time        `json:"start"`
	SoakedAt time.Time        `json:"soakedAt"`
	Approval string           `json:"approval"`
	Regions  []TimelineRegion `json:"regions"`
	// Exposure is the share (0..1) of the app's traffic on the version once
	// this ring is promoted (topology.CumulativeExposure).
	Exposure float64 `json:"exposure"`
	// Waits says, for people, what the ring waited for before its regions
	// started (the planner's wait details, once each, in order).
	Waits []string `json:"-"`
}

// TimelineRegion is one region of a TimelineRing.
type TimelineRegion struct {
	Name  string    `json:"name"`
	Start time.Time `json:"start"`
	// Waits lists, for people, the reasons the region waited for before it
	// started (window, freeze, approval…), once each, in order.
	Waits []string `json:"-"`
}

// Timeline approval values.
const (
	TimelineApprovalRequired = "required"
	TimelineApprovalNone     = "none"
)

// projectionID is the ID of the release a projection simulates.
const projectionID = "projection"

// maxProjectionSteps bounds a projection: each step either applies the
// planner's actions or moves the clock to the next check.
const maxProjectionSteps = 10000

// Project returns the timeline of releasing version of app (with priority)
// from the time from, on an otherwise idle system: no halts, no other
// releases, every error budget of the app whole. It simulates the rollout
// with PlanNext and the State transitions, so the projection and the live
// planner cannot disagree: every promoted region is observed synced and
// healthy at once,
// every analysis check passes, every approval asked for is given at once.
// risk is the release's DREAD score (nil: the app's default, if any); its
// risk tier shapes approvals and soaks as it would live.
func Project(t *topology.Topology, app, version, priority string, risk *topology.DREAD, from time.Time) (Timeline, error) {
	from = from.UTC()
	if _, ok := t.AppByName(app); !ok {
		names := make([]string, 0, len(t.Spec.Apps))
		for _, a := range t.Spec.Apps {
			names = append(names, a.Name)
		}
		return Timeline{}, fmt.Errorf("project %s %s: app %q is not in the topology (it has %s): %w", app, version, app, strings.Join(names, ", "), rings.ErrNotFound)
	}
	s := &rings.State{}
	for _, g := range t.Spec.Regions {
		if g.Prometheus != nil {
			s.RecordBudget(rings.Budget{App: app, Region: g.Name, RemainingPercent: 100, At: from})
		}
	}
	r, err := s.CreateRelease(t, projectionID, app, version, priority, "", time.Time{}, from, "ringctl plan", "")
	if err != nil {
		return Timeline{}, fmt.Errorf("project %s %s: %w", app, version, err)
	}
	r.Risk = cmp.Or(risk, t.DefaultRisk(app))
	tl := Timeline{App: app, Version: version, Rings: make([]TimelineRing, len(r.Rings))}
	if r.Risk != nil {
		tl.RiskTier = new(t.DecideRisk(r.Risk))
	}
	exposure := t.CumulativeExposure(app)
	for i, rp := range r.Rings {
		tr := TimelineRing{Name: rp.Name, Approval: TimelineApprovalNone, Regions: make([]TimelineRegion, len(rp.Regions)), Exposure: exposure[i]}
		if rings.RingApproval(t, r, i) {
			tr.Approval = TimelineApprovalRequired
		}
		for j, g := range rp.Regions {
			tr.Regions[j].Name = g.Name
		}
		tl.Rings[i] = tr
	}
	ring := func(name string) *TimelineRing { return &tl.Rings[t.RingIndex(name)] }
	now := from
	for step := 0; step < maxProjectionSteps; step++ {
		if r.State == rings.ReleaseCompleted {
			return tl, nil
		}
		plan := PlanNext(t, s, now)
		acted := false
		for _, w := range plan.Waits {
			if w.Reason == WaitApproval {
				if rp := r.Ring(w.Ring); rp != nil && rp.Approval == nil {
					if err := s.Approve(projectionID, w.Ring, "projection", "approved at once in a projection", now); err != nil {
						return tl, fmt.Errorf("project %s %s: %w", app, version, err)
					}
					ring(w.Ring).Approval = TimelineApprovalRequired
					acted = true
				}
			}
		}
		for _, a := range plan.Actions {
			if err := simulate(s, a, now); err != nil {
				return tl, fmt.Errorf("project %s %s at %s: %w", app, version, stamp(now), err)
			}
			acted = true
			switch a.Kind {
			case ActPromote:
				tr := ring(a.Ring)
				for _, name := range a.Regions {
					for j := range tr.Regions {
						if tr.Regions[j].Name == name {
							tr.Regions[j].Start = now
						}
					}
				}
				if tr.Start.IsZero() {
					tr.Start = now
				}
			case ActCompleteRing:
				ring(a.Ring).SoakedAt = now
			case ActFailRing, ActRollback, ActPlaceHalt:
				return tl, fmt.Errorf("project %s %s: the planner asked to %s ring %s (%s) although every check passes: %w", app, version, a.Kind, a.Ring, a.Reason, ErrProjection)
			}
		}
		if acted {
			continue
		}
		for _, w := range plan.Waits {
			if w.Ring == "" || w.Reason == WaitSoak {
				continue // a ring's own soak is its SoakedAt, not a wait
			}
			tr := ring(w.Ring)
			text := string(w.Reason) + ": " + w.Detail
			if len(w.Regions) > 0 && len(tr.Regions) > 1 {
				text = strings.Join(w.Regions, ", ") + " " + text
			}
			if !slices.Contains(tr.Waits, text) {
				tr.Waits = append(tr.Waits, text)
			}
			for j := range tr.Regions {
				g := &tr.Regions[j]
				if slices.Contains(w.Regions, g.Name) && !slices.Contains(g.Waits, string(w.Reason)) {
					g.Waits = append(g.Waits, string(w.Reason))
				}
			}
		}
		if plan.NextCheck.IsZero() || !plan.NextCheck.After(now) {
			return tl, fmt.Errorf("project %s %s: stuck at %s: %s: %w", app, version, stamp(now), describeWaits(plan.Waits), ErrProjection)
		}
		now = plan.NextCheck
	}
	return tl, fmt.Errorf("project %s %s: no end after %d steps (last at %s): %w", app, version, maxProjectionSteps, stamp(now), ErrProjection)
}

func describeWaits(ws []Wait) string {
	if len(ws) == 0 {
		return "nothing to do and nothing to wait for"
	}
	parts := make([]string, 0, len(ws))
	for _, w := range ws {
		parts = append(parts, string(w.Reason)+": "+w.Detail)
	}
	return strings.Join(parts, "; ")
}

// simulate carries out one action against the state as if the world
// complied at once: a promotion lands and its regions report synced and
// healthy, a rollback lands, a halt is placed. It is the projection's
// stand-in for the coordinator's leader loop.
func simulate(s *rings.State, a Action, now time.Time) error {
	switch a.Kind {
	case ActStartRelease:
		return s.StartRelease(a.ReleaseID, now)
	case ActSetReleaseState:
		return s.SetReleaseState(a.ReleaseID, a.State, a.Reason, now)
	case ActPromote:
		if err := s.MarkPromoted(a.ReleaseID, a.Ring, a.Regions, a.PromotionID, "simulated", now); err != nil {
			return err
		}
		for _, region := range a.Regions {
			if err := s.Observe(a.ReleaseID, a.Ring, region, true, true, "Healthy", nil, now); err != nil {
				return err
			}
		}
		return nil
	case ActStartSoak:
		return s.StartSoak(a.ReleaseID, a.Ring, now)
	case ActCompleteRing:
		return s.CompleteRing(a.ReleaseID, a.Ring, now)
	case ActFailRing:
		return s.FailRing(a.ReleaseID, a.Ring, a.Reason, now)
	case ActPlaceHalt:
		return s.PlaceHalt(rings.Halt{ID: fmt.Sprintf("auto-%d", len(s.Halts)+1), Scope: *a.Halt, Author: "ringleader", Reason: a.Reason, Auto: true, CreatedAt: now})
	case ActRollback:
		return s.MarkRolledBack(a.ReleaseID, a.Ring, a.Regions, a.PromotionID, "simulated", now)
	case ActVerifyRollback:
		return s.VerifyRollback(a.ReleaseID, a.Ring, a.Regions, now)
	case ActFailRollback:
		return s.FailRollback(a.ReleaseID, a.Ring, a.Regions, a.Reason, rings.Halt{ID: fmt.Sprintf("auto-%d", len(s.Halts)+1), Scope: *a.Halt, Author: "ringleader", Reason: a.Reason}, now)
	case ActCompleteRelease:
		return s.CompleteRelease(a.ReleaseID, now)
	case ActRecordBaseline:
		// The simulated branch: every region runs the release's previous
		// version (or one called "previous").
		v := "previous"
		if r := s.ReleaseByID(a.ReleaseID); r != nil && r.PreviousVersion != "" {
			v = r.PreviousVersion
		}
		bs := make([]rings.RegionBaseline, 0, len(a.Regions))
		for _, region := range a.Regions {
			bs = append(bs, rings.RegionBaseline{Region: region, Version: v})
		}
		return s.RecordBaseline(a.ReleaseID, "simulated", bs, now)
	}
	return fmt.Errorf("unknown action %q: %w", a.Kind, rings.ErrTransition)
}
