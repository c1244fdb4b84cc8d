package rings_test

import (
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/ringstest"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

func TestSetRisk(t *testing.T) {
	t.Parallel()
	top := ringstest.Topology(t)
	high := topology.DREAD{Damage: 8, Reproducibility: 7, Exploitability: 9, Affected: 10, Discoverability: 10}
	s := ringstest.NewState(t, top, ringstest.Create("r1", "checkout", "2.0", ""), ringstest.Start("r1"))

	if err := s.SetRisk("r1", &high, "alice", "payments path touched", ringstest.T0); err != nil {
		t.Fatal(err)
	}
	r := s.ReleaseByID("r1")
	if r.Risk == nil || r.Risk.Score() != 44 {
		t.Fatalf("risk after SetRisk = %+v, want score 44", r.Risk)
	}
	// The state keeps its own copy: changing the caller's value changes nothing.
	high.Damage = 1
	if r.Risk.Damage != 8 {
		t.Fatal("SetRisk kept the caller's pointer")
	}
	// A clone owns its risk too.
	c := s.Clone()
	c.ReleaseByID("r1").Risk.Damage = 2
	if r.Risk.Damage != 8 {
		t.Fatal("changing a clone's risk changed the original")
	}

	bad := topology.DREAD{Damage: 11, Reproducibility: 1, Exploitability: 1, Affected: 1, Discoverability: 1}
	ringstest.Refused(t, s, rings.ErrTransition, func() error { return s.SetRisk("r1", &bad, "alice", "typo", ringstest.T0) })
	ringstest.Refused(t, s, rings.ErrTransition, func() error { return s.SetRisk("r1", nil, "alice", " ", ringstest.T0) })
	ringstest.Refused(t, s, rings.ErrNotFound, func() error { return s.SetRisk("nope", nil, "alice", "why", ringstest.T0) })

	// Clearing is a change like any other.
	if err := s.SetRisk("r1", nil, "alice", "scored by mistake", ringstest.T0); err != nil || s.ReleaseByID("r1").Risk != nil {
		t.Fatalf("clearing the risk: %v, risk %+v", err, s.ReleaseByID("r1").Risk)
	}

	// A finished release keeps the risk it finished with.
	if err := s.Abort("r1", "alice", "stop", ringstest.T0); err != nil {
		t.Fatal(err)
	}
	ringstest.Refused(t, s, rings.ErrTransition, func() error { return s.SetRisk("r1", &bad, "alice", "late", ringstest.T0) })
}

// A risk tier's soak multiplier lengthens what is left of a ring's soak.
func TestSoakRemainingFollowsTheRiskTier(t *testing.T) {
	t.Parallel()
	top := ringstest.Topology(t) // canary soaks 4h
	top.Spec.Policy.RiskTiers = []topology.RiskTier{{Name: "high", Min: 40, SoakMultiplier: 2}, {Name: "quick", Max: 10, SoakMultiplier: 0.25}}
	s := ringstest.NewState(t, top, ringstest.Create("r1", "checkout", "2.0", ""), ringstest.Start("r1"),
		ringstest.Promote("r1", "canary", "us-east-1"), ringstest.Soak("r1", "canary"))
	r := s.ReleaseByID("r1")
	now := r.Rings[0].SoakStartedAt.Add(3 * time.Hour)
	cases := []struct {
		risk *topology.DREAD
		want time.Duration
	}{
		{nil, time.Hour},
		{&topology.DREAD{Damage: 8, Reproducibility: 8, Exploitability: 8, Affected: 8, Discoverability: 8}, 5 * time.Hour},
		{&topology.DREAD{Damage: 2, Reproducibility: 2, Exploitability: 2, Affected: 2, Discoverability: 2}, 0},
		{&topology.DREAD{Damage: 5, Reproducibility: 5, Exploitability: 5, Affected: 5, Discoverability: 5}, time.Hour}, // in no tier
	}
	for _, c := range cases {
		r.Risk = c.risk
		if got := rings.SoakRemaining(top, r, r.Rings[0], now); got != c.want {
			t.Errorf("risk %v: soak remaining 3h into canary's = %s, want %s", c.risk, got, c.want)
		}
	}
}
