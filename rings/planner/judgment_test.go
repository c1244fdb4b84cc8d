package planner

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/ringstest"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// jtTopology is the fixture topology with health sources in the two regions
// of ring global, so a multi-region ring is judged on evidence.
func jtTopology(t *testing.T) *topology.Topology {
	t.Helper()
	topo := ringstest.Topology(t)
	for i := range topo.Spec.Regions {
		r := &topo.Spec.Regions[i]
		if r.Name == "ap-northeast-1" || r.Name == "us-west-2" {
			r.Prometheus = &topology.PrometheusSource{URL: "http://prometheus." + r.Name + ".example.com:9090"}
		}
	}
	topo.Spec.Policy.Analysis.FailureThreshold = 3
	return topo
}

// jtGlobalSoaking returns a state whose release r1 soaks ring global, and
// the time its soak started.
func jtGlobalSoaking(t *testing.T, topo *topology.Topology) (*rings.State, time.Time) {
	t.Helper()
	s := &rings.State{}
	at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	_, err := s.CreateRelease(topo, "r1", "checkout", "2.0", "", "", time.Time{}, at, "alice", "1.0")
	must("create", err)
	must("start", s.StartRelease("r1", at))
	for _, ring := range []string{"canary", "early"} {
		regions := topo.Spec.Rings[topo.RingIndex(ring)].Regions
		must("promote "+ring, s.MarkPromoted("r1", ring, regions, rings.PromotionID("r1", ring, regions), "c", at))
		must("soak "+ring, s.StartSoak("r1", ring, at))
		must("done "+ring, s.CompleteRing("r1", ring, at))
	}
	global := []string{"ap-northeast-1", "us-west-2"}
	must("promote global", s.MarkPromoted("r1", "global", global, rings.PromotionID("r1", "global", global), "c", at))
	must("soak global", s.StartSoak("r1", "global", at))
	return s, at
}

func jtCheck(pass bool, at time.Time) *rings.Observation {
	v := 0.001
	if !pass {
		v = 0.5
	}
	return &rings.Observation{Check: "error-rate", Value: v, Threshold: "<= 0.05", Pass: pass, At: at}
}

// TestOneBadRegionFailsItsRing: in ring global [ap-northeast-1, us-west-2],
// us-west-2 fails every check while ap-northeast-1 passes. Whatever order
// the regions are observed in, the ring fails after failureThreshold
// rounds, naming us-west-2, its check, value and threshold, and it never
// completes, even once its soak window is over.
func TestOneBadRegionFailsItsRing(t *testing.T) {
	t.Parallel()
	orders := map[string][]string{
		"good first":  {"ap-northeast-1", "us-west-2"},
		"bad first":   {"us-west-2", "ap-northeast-1"},
		"good twice":  {"ap-northeast-1", "us-west-2", "ap-northeast-1"},
		"bad is last": {"us-west-2", "ap-northeast-1", "ap-northeast-1"},
	}
	for name, order := range orders {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			topo := jtTopology(t)
			// The soak window is over before the checks start: the ring
			// must still not complete on a good sibling's evidence.
			topo.Spec.Rings[2].Soak = topology.Duration(time.Minute)
			s, at := jtGlobalSoaking(t, topo)
			var failed *Action
			for round := 1; round <= 5 && failed == nil; round++ {
				now := at.Add(time.Duration(round) * 2 * time.Minute)
				for _, region := range order {
					bad := region == "us-west-2"
					if err := s.Observe("r1", "global", region, true, true, "Healthy", jtCheck(!bad, now), now); err != nil {
						t.Fatal(err)
					}
				}
				for _, a := range PlanNext(topo, s, now).Actions {
					switch a.Kind {
					case ActCompleteRing:
						t.Fatalf("round %d: ring completed while us-west-2 fails its checks", round)
					case ActFailRing:
						failed = &a
						if round != 3 {
							t.Errorf("ring failed in round %d, want 3 (the threshold)", round)
						}
					}
				}
			}
			if failed == nil {
				t.Fatal("ring never failed")
			}
			for _, want := range []string{"us-west-2", "error-rate", "0.5", "<= 0.05"} {
				if !strings.Contains(failed.Reason, want) {
					t.Errorf("reason %q does not say %q", failed.Reason, want)
				}
			}
			if fmt.Sprint(failed.Regions) != "[us-west-2]" {
				t.Errorf("failing regions %v, want [us-west-2]", failed.Regions)
			}
		})
	}
}

// TestSoakCompletesOnlyOnEveryRegionsEvidence: a region whose last check
// failed holds the ring after its window, whatever its siblings said last.
func TestSoakCompletesOnlyOnEveryRegionsEvidence(t *testing.T) {
	t.Parallel()
	topo := jtTopology(t)
	topo.Spec.Rings[2].Soak = topology.Duration(time.Minute)
	s, at := jtGlobalSoaking(t, topo)
	now := at.Add(5 * time.Minute)
	observe := func(region string, pass bool) {
		t.Helper()
		if err := s.Observe("r1", "global", region, true, true, "Healthy", jtCheck(pass, now), now); err != nil {
			t.Fatal(err)
		}
	}
	observe("us-west-2", false)
	observe("ap-northeast-1", true) // observed last, and good
	plan := PlanNext(topo, s, now)
	if len(plan.Actions) != 0 || len(plan.Waits) != 1 || plan.Waits[0].Reason != WaitEvidence || !strings.Contains(plan.Waits[0].Detail, "us-west-2") {
		t.Fatalf("plan %+v, want one evidence wait naming us-west-2", plan)
	}
	observe("us-west-2", true)
	plan = PlanNext(topo, s, now)
	if len(plan.Actions) != 1 || plan.Actions[0].Kind != ActCompleteRing {
		t.Fatalf("plan %+v, want complete-ring once every region's last check passed", plan)
	}
}

// jtRolledBack fails ring global of r1 and lands the rollback of both of
// its regions; it returns the time the rollback landed.
func jtRolledBack(t *testing.T, topo *topology.Topology, s *rings.State, at time.Time) time.Time {
	t.Helper()
	if err := s.FailRing("r1", "global", "bad", at); err != nil {
		t.Fatal(err)
	}
	landed := at.Add(time.Minute)
	for _, a := range PlanNext(topo, s, landed).Actions {
		if a.Kind == ActRollback && a.Ring == "global" {
			if err := s.MarkRolledBack("r1", a.Ring, a.Regions, a.PromotionID, "rb", landed); err != nil {
				t.Fatal(err)
			}
		}
	}
	if st := s.ReleaseByID("r1").Ring("global").State; st != rings.RingRollingBack {
		t.Fatalf("ring global is %s after its rollback landed, want rolling-back", st)
	}
	return landed
}

// TestRollbackIsDoneWhenVerified: the rollback commit does not end the
// release; good evidence for the verify period does, region by region.
func TestRollbackIsDoneWhenVerified(t *testing.T) {
	t.Parallel()
	topo := jtTopology(t)
	s, at := jtGlobalSoaking(t, topo)
	landed := jtRolledBack(t, topo, s, at)
	verify := topo.Spec.Policy.Rollback.Verify.D() // 2m
	kinds := func(now time.Time) string {
		var out []string
		for _, a := range PlanNext(topo, s, now).Actions {
			if a.Ring == "global" {
				out = append(out, string(a.Kind)+fmt.Sprint(a.Regions))
			}
		}
		return strings.Join(out, " ")
	}
	// Synced and healthy at once, checks passing: not verified until the
	// good run spans the verify period.
	for _, d := range []time.Duration{0, time.Minute, verify} {
		now := landed.Add(time.Minute + d)
		for _, region := range []string{"ap-northeast-1", "us-west-2"} {
			if err := s.Observe("r1", "global", region, true, true, "Healthy", jtCheck(true, now), now); err != nil {
				t.Fatal(err)
			}
		}
		got := kinds(now)
		if d < verify && got != "" {
			t.Fatalf("after %s of good evidence: %s, want nothing yet", d, got)
		}
		if d == verify && got != "verify-rollback[ap-northeast-1 us-west-2]" {
			t.Fatalf("after the verify period: %q, want verify-rollback of both regions", got)
		}
	}
	now := landed.Add(time.Minute + verify)
	if err := s.VerifyRollback("r1", "global", []string{"ap-northeast-1", "us-west-2"}, now); err != nil {
		t.Fatal(err)
	}
	// Canary and early were rolled back in the same pass; canary still
	// verifies, so the release is not over.
	r := s.ReleaseByID("r1")
	if r.Ring("global").State != rings.RingRolledBack {
		t.Errorf("ring global is %s, want rolled-back", r.Ring("global").State)
	}
	if r.State.Terminal() {
		t.Errorf("release is %s while other rings still roll back", r.State)
	}
}

// TestRollbackThatNeverRecoversFails: a region that stays degraded after its
// rollback fails the rollback at policy.rollback.timeout, not before, and
// the failure halts the region; a good region beside it verifies.
func TestRollbackThatNeverRecoversFails(t *testing.T) {
	t.Parallel()
	topo := jtTopology(t)
	s, at := jtGlobalSoaking(t, topo)
	landed := jtRolledBack(t, topo, s, at)
	timeout := topo.Spec.Policy.Rollback.Timeout.D()
	var fail *Action
	for now := landed.Add(time.Minute); !now.After(landed.Add(timeout)); now = now.Add(time.Minute) {
		if err := s.Observe("r1", "global", "us-west-2", true, false, "Degraded: CrashLoopBackOff", nil, now); err != nil {
			t.Fatal(err)
		}
		if g := s.ReleaseByID("r1").Ring("global").Region("ap-northeast-1"); !g.RollbackVerified() {
			if err := s.Observe("r1", "global", "ap-northeast-1", true, true, "Healthy", jtCheck(true, now), now); err != nil {
				t.Fatal(err)
			}
		}
		plan := PlanNext(topo, s, now)
		for _, a := range plan.Actions {
			switch {
			case a.Kind == ActVerifyRollback && a.Ring == "global":
				if fmt.Sprint(a.Regions) != "[ap-northeast-1]" {
					t.Fatalf("verified %v, want ap-northeast-1 only", a.Regions)
				}
				if err := s.VerifyRollback("r1", "global", a.Regions, now); err != nil {
					t.Fatal(err)
				}
			case a.Kind == ActFailRollback:
				if now.Before(landed.Add(timeout)) {
					t.Fatalf("rollback failed at %s, before its timeout %s", now, landed.Add(timeout))
				}
				fail = &a
			}
		}
		if fail == nil && !now.Before(landed.Add(timeout)) {
			t.Fatalf("no fail-rollback at the timeout; plan %+v", plan)
		}
		if fail == nil {
			var w *Wait
			for i := range plan.Waits {
				if plan.Waits[i].Reason == WaitRollback && plan.Waits[i].Ring == "global" {
					w = &plan.Waits[i]
				}
			}
			if w == nil || !w.Until.Equal(landed.Add(timeout)) || !strings.Contains(w.Detail, "Degraded") {
				t.Fatalf("at %s: want a rollback wait until the deadline naming the degraded health, got %+v", now, plan.Waits)
			}
		}
	}
	if fmt.Sprint(fail.Regions) != "[us-west-2]" || fail.Halt == nil || fmt.Sprint(fail.Halt.Regions) != "[us-west-2]" {
		t.Fatalf("fail-rollback %+v, want us-west-2 with a halt on it", fail)
	}
	for _, want := range []string{"us-west-2", "Degraded", "did not verify within 15m"} {
		if !strings.Contains(fail.Reason, want) {
			t.Errorf("reason %q does not say %q", fail.Reason, want)
		}
	}
}

// TestRollbackVerifyZeroSkipsTheChecks: verify 0s verifies on the first
// synced and healthy observation, whatever a check says.
func TestRollbackVerifyZeroSkipsTheChecks(t *testing.T) {
	t.Parallel()
	topo := jtTopology(t)
	topo.Spec.Policy.Rollback.Verify = 0
	s, at := jtGlobalSoaking(t, topo)
	landed := jtRolledBack(t, topo, s, at)
	now := landed.Add(time.Minute)
	if err := s.Observe("r1", "global", "us-west-2", false, true, "OutOfSync", nil, now); err != nil {
		t.Fatal(err)
	}
	if err := s.Observe("r1", "global", "ap-northeast-1", true, true, "Healthy", jtCheck(false, now), now); err != nil {
		t.Fatal(err)
	}
	var verified []string
	for _, a := range PlanNext(topo, s, now).Actions {
		if a.Kind == ActVerifyRollback && a.Ring == "global" {
			verified = a.Regions
		}
	}
	if fmt.Sprint(verified) != "[ap-northeast-1]" {
		t.Fatalf("verified %v, want ap-northeast-1 (synced and healthy) and not us-west-2 (out of sync)", verified)
	}
}
