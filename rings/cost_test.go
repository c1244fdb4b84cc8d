package rings

import (
	"math"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/rings/topology"
)

func TestCostArithmetic(t *testing.T) {
	t.Parallel()
	// The worked example: a 99.9 % SLO over 30 days allows 43.2 minutes.
	budget := topology.AllowedDowntime(0.999, 30*24*time.Hour)
	if budget != 43*time.Minute+12*time.Second {
		t.Fatalf("budget of 99.9 %% over 30d = %s, want 43m12s", budget)
	}
	cases := []struct {
		name     string
		rate     float64
		atRisk   time.Duration
		exposure float64
		cost     time.Duration
		allowed  int64
	}{
		// 0.5 % × 1 h × 5 % = 0.005 × 3600 s × 0.05 = 0.9 s: 2,880 releases.
		{"0.5 % × 1h × 5 %", 0.005, time.Hour, 0.05, 900 * time.Millisecond, 2880},
		// 0.6 s a release is what allows 4,320 releases of 43.2 minutes.
		{"0.5 % × 40m × 5 %", 0.005, 40 * time.Minute, 0.05, 600 * time.Millisecond, 4320},
		{"certain failure, everyone, one hour", 1, time.Hour, 1, time.Hour, 0},
		{"the floor, a 4h soak, 20 %", FailureRateFloor, 4 * time.Hour, 0.2, 28*time.Second + 800*time.Millisecond, 90},
		{"no time at risk costs nothing", 0.5, 0, 1, 0, -1},
		{"no exposure costs nothing", 0.5, time.Hour, 0, 0, -1},
		{"a negative rate costs nothing", -0.5, time.Hour, 1, 0, -1},
		{"an infinite rate costs nothing", math.Inf(1), time.Hour, 1, 0, -1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cost := ExpectedCost(tc.rate, tc.atRisk, tc.exposure)
			if cost != tc.cost {
				t.Fatalf("cost %s, want %s", cost, tc.cost)
			}
			if n := ReleasesAllowed(budget, cost); n != tc.allowed {
				t.Fatalf("releases allowed %d, want %d", n, tc.allowed)
			}
		})
	}
	if n := ReleasesAllowed(0, time.Second); n != 0 {
		t.Fatalf("a spent budget allows %d releases, want 0", n)
	}
	if s := ShareOf(900*time.Millisecond, budget); math.Abs(s-0.9/2592) > 1e-12 {
		t.Fatalf("share %v", s)
	}
}

func TestChooseFailureRate(t *testing.T) {
	t.Parallel()
	half := 0.5
	cases := []struct {
		name     string
		override *float64
		h        ReleaseHistory
		rate     float64
		source   string
	}{
		{"no history: the floor", nil, ReleaseHistory{}, FailureRateFloor, FailureRateFloored},
		{"history below the floor", nil, ReleaseHistory{Finished: 200, Failed: 1}, FailureRateFloor, FailureRateFloored},
		{"history above the floor", nil, ReleaseHistory{Finished: 20, Failed: 3}, 0.15, FailureRateMeasured},
		{"override wins over history", &half, ReleaseHistory{Finished: 20, Failed: 3}, 0.005, FailureRateOverride},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fr := ChooseFailureRate(tc.override, tc.h, false)
			if math.Abs(fr.Rate-tc.rate) > 1e-12 || fr.Source != tc.source || fr.History != tc.h {
				t.Fatalf("got %+v, want rate %v from %s", fr, tc.rate, tc.source)
			}
		})
	}
}

func TestAppHistory(t *testing.T) {
	t.Parallel()
	rel := func(id, app string, state ReleaseState, ring RingState) *Release {
		return &Release{ID: id, App: app, State: state, Rings: []RingProgress{{Name: "canary", State: ring}}}
	}
	releases := []*Release{
		rel("r1", "web", ReleaseCompleted, RingDone),
		rel("r2", "web", ReleaseRolledBack, RingRolledBack),
		rel("r3", "web", ReleaseRunning, RingSoaking),       // not finished: not counted
		rel("r4", "web", ReleaseHalted, RingFailed),         // failed, rollback manual: counted
		rel("r5", "web", ReleaseAborted, RingDone),          // aborted by a person: finished, not failed
		rel("r6", "api", ReleaseRolledBack, RingRolledBack), // another app
	}
	outcomes := map[string]Outcome{
		"r1":  {App: "web", Failed: true}, // the state's record wins
		"r0":  {App: "web", Failed: true}, // forgotten by the state
		"r00": {App: "web"},
		"x1":  {App: "api", Failed: true},
	}
	got := AppHistory("web", releases, outcomes)
	if want := (ReleaseHistory{Finished: 6, Failed: 3}); got != want {
		t.Fatalf("history %+v, want %+v", got, want)
	}
	if r := got.Rate(); r != 0.5 {
		t.Fatalf("rate %v, want 0.5", r)
	}
}

// costTopology has a 5 % canary and a 95 % rest, 99.9 % over 30 days,
// and a time at risk of exactly 1h in the canary (50m soak, 5 × 1m
// detection, 5m rollback verify) and 10m in the rest.
const costTopology = `apiVersion: ringleader.dev/v1alpha1
kind: Topology
metadata: {name: shop}
spec:
  policy:
    analysis: {interval: 1m, failureThreshold: 5}
    rollback: {mode: automatic, verify: 5m}
    errorBudget: {slo: 0.999, window: 720h}
  gitops: {repo: https://git.example.com/deploy.git}
  regions:
    - {name: us-east-1, timezone: UTC, trafficShare: 5, prometheus: {url: "http://prom"}}
    - {name: eu-west-1, timezone: UTC, trafficShare: 95, prometheus: {url: "http://prom"}}
  rings:
    - {name: canary, regions: [us-east-1], soak: 50m}
    - {name: rest, regions: [eu-west-1], soak: 0s}
  apps:
    - name: web
      targets: [{file: "apps/web/{{region}}.yaml", yamlPath: image.tag}]
      risk: {failureRate: 0.5}
`

func TestCostOfRelease(t *testing.T) {
	t.Parallel()
	top, err := topology.Parse("cost.yaml", []byte(costTopology))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := top.AppByName("web")
	rate := ChooseFailureRate(a.Risk.FailureRate, ReleaseHistory{}, true)
	near := func(what string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-9 {
			t.Fatalf("%s = %v, want %v", what, got, want)
		}
	}

	// Offline: every budget assumed whole (2592 s).
	c := CostOfRelease(top, "web", nil, rate, nil)
	near("canary cost", c.Rings[0].CostSeconds, 0.9)     // 0.5 % × 1h × 5 %
	near("rest cost", c.Rings[1].CostSeconds, 3)         // 0.5 % × 10m × 100 %
	near("total", c.TotalSeconds, 3.9)                   //
	near("whole budget", c.WholeBudgetSeconds, 2592)     // 43.2 min
	near("us-east-1 cost", c.Regions[0].CostSeconds, 21) // 0.5 % × 70m
	near("eu-west-1 cost", c.Regions[1].CostSeconds, 3)  // 0.5 % × 10m
	near("remaining", c.Budget.RemainingSeconds, 2592)   //
	near("share", c.Budget.ShareOfRemaining, 3.9/2592)   //
	if c.Budget.ReleasesAllowed != 664 || c.Budget.Measured {
		t.Fatalf("budget %+v, want 664 releases (2592 s ÷ 3.9 s), not measured", *c.Budget)
	}
	if c.Tightest != "us-east-1" || c.Regions[0].Budget.ReleasesAllowed != 123 {
		t.Fatalf("tightest %s allowing %d, want us-east-1 allowing 123 (2592 s ÷ 21 s)", c.Tightest, c.Regions[0].Budget.ReleasesAllowed)
	}

	// Measured: eu-west-1 has 10 % left (259.2 s), us-east-1 was never
	// measured and counts as whole.
	c = CostOfRelease(top, "web", nil, rate, map[string]Budget{BudgetKey("web", "eu-west-1"): {App: "web", Region: "eu-west-1", RemainingSeconds: 259.2, RemainingPercent: 10}})
	near("weighted remaining", c.Budget.RemainingSeconds, 0.05*2592+0.95*259.2)
	if !c.Budget.Measured || c.Regions[0].Budget.Measured || !c.Regions[1].Budget.Measured {
		t.Fatalf("measured flags: whole %v, us-east-1 %v, eu-west-1 %v", c.Budget.Measured, c.Regions[0].Budget.Measured, c.Regions[1].Budget.Measured)
	}
	if c.Tightest != "eu-west-1" || c.Regions[1].Budget.ReleasesAllowed != 86 {
		t.Fatalf("tightest %s allowing %d, want eu-west-1 allowing 86 (259.2 s ÷ 3 s)", c.Tightest, c.Regions[1].Budget.ReleasesAllowed)
	}

	// Spent: nothing is allowed.
	c = CostOfRelease(top, "web", nil, rate, map[string]Budget{BudgetKey("web", "eu-west-1"): {App: "web", Region: "eu-west-1"}})
	if b := c.Regions[1].Budget; !b.Spent || b.ReleasesAllowed != 0 {
		t.Fatalf("spent budget %+v", *b)
	}
}

func TestExposureOfARelease(t *testing.T) {
	t.Parallel()
	top, err := topology.Parse("cost.yaml", []byte(costTopology))
	if err != nil {
		t.Fatal(err)
	}
	s := &State{}
	if _, err := s.CreateRelease(top, "r1", "web", "2.0", "", "", time.Time{}, time.Unix(0, 0), "alice", "1.0"); err != nil {
		t.Fatal(err)
	}
	r := s.ReleaseByID("r1")
	if e := Exposure(top, r); e != 0 {
		t.Fatalf("exposure before any promotion %v, want 0", e)
	}
	r.Rings[0].Regions[0].PromotedAt = time.Unix(1, 0)
	if e := Exposure(top, r); math.Abs(e-0.05) > 1e-12 {
		t.Fatalf("exposure after canary %v, want 0.05", e)
	}
	r.Rings[0].Regions[0].RolledBackAt = time.Unix(2, 0)
	if e := Exposure(top, r); e != 0 {
		t.Fatalf("exposure after rollback %v, want 0", e)
	}
}
