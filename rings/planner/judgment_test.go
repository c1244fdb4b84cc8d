package planner

import (
	"errors"
	"fmt"
	"reflect"
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

// progressObs is one observation of us-east-1 at ringstest.T0+at.
type progressObs struct {
	at   time.Duration
	kind string
}

// observeKind records one observation of the canary region of r1: a paused
// or progressing rollout (in progress), a sync still running (healthy but
// not synced, in progress), a healthy region, health Missing (synced, not
// healthy, not in progress), or Argo CD unreachable.
func observeKind(s *rings.State, o progressObs) error {
	k, ok := progressKinds[o.kind]
	if !ok {
		return errors.New("unknown observation kind " + o.kind)
	}
	observe := s.Observe
	if k.inProgress {
		observe = s.ObserveInProgress
	}
	return observe("r1", "canary", "us-east-1", k.synced, k.healthy, k.reason, nil, ringstest.T0.Add(o.at))
}

// progressKinds are the evidence observeKind records for each kind.
var progressKinds = map[string]struct {
	inProgress, synced, healthy bool
	reason                      string
}{
	"paused":      {true, true, false, "Suspended: Rollout is paused"},
	"progressing": {true, true, false, "Progressing: 1 of 3 updated replicas are available"},
	"hooks":       {true, false, true, "Progressing: sync operation Running at c1"},
	"healthy":     {false, true, true, ""},
	"missing":     {false, true, false, "health Missing"},
	"down":        {false, false, false, "argocd: server unavailable"},
}

// every returns n observations of kind, one a minute from the first.
func every(first time.Duration, n int, kind string) []progressObs {
	out := make([]progressObs, n)
	for i := range out {
		out[i] = progressObs{first + time.Duration(i)*time.Minute, kind}
	}
	return out
}

func obsList(groups ...[]progressObs) []progressObs {
	var out []progressObs
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

// TestInProgressRegions: a rollout still in progress (an Argo Rollouts
// canary paused between steps, a Progressing Deployment, post-sync hooks)
// is neither failing nor ready. The canary ring of fxTopology has
// syncTimeout 30m, a 4h soak and failureThreshold 5; it was promoted at
// 10:01 and, in the soak cases, started soaking at 10:02.
func TestInProgressRegions(t *testing.T) {
	t.Parallel()
	m := time.Minute
	cases := []struct {
		name     string
		prep     []ringstest.Step
		obs      []progressObs
		now      time.Duration // after ringstest.T0
		want     string        // briefPlan
		text     string        // in an action's reason or a wait's detail
		failures int           // the ring's ConsecutiveFailures
		since    time.Duration // the region's InProgressSince after ringstest.T0; 0: zero
	}{
		{"soak: a paused rollout is not a failed check", mtCanarySoaking, every(3*m, 8, "paused"), 11 * m,
			"wait sync r1 canary [us-east-1] until 2026-12-01T10:33:00Z; wait soak r1 canary until 2026-12-01T14:02:00Z; next 2026-12-01T10:33:00Z",
			"us-east-1 in progress since 2026-12-01T10:03:00Z (Suspended: Rollout is paused); the soak completes only once every region is synced and healthy, and the ring fails at 2026-12-01T10:33:00Z",
			0, 3 * m},
		{"soak: Progressing is not a failed check either", mtCanarySoaking, every(3*m, 6, "progressing"), 9 * m,
			"wait sync r1 canary [us-east-1] until 2026-12-01T10:33:00Z; wait soak r1 canary until 2026-12-01T14:02:00Z; next 2026-12-01T10:33:00Z",
			"", 0, 3 * m},
		{"soak: unhealthy and not in progress still counts", mtCanarySoaking, every(3*m, 5, "missing"), 8 * m,
			"fail-ring r1 canary [us-east-1]", "region us-east-1 failed 5 consecutive checks", 5, 0},
		{"soak: in progress does not reset failed checks", mtCanarySoaking, obsList(every(3*m, 2, "down"), every(5*m, 1, "paused")), 6 * m,
			"wait sync r1 canary [us-east-1] until 2026-12-01T10:35:00Z; wait soak r1 canary until 2026-12-01T14:02:00Z; next 2026-12-01T10:35:00Z",
			"", 2, 5 * m},
		{"soak: paused for syncTimeout fails the ring", mtCanarySoaking, every(3*m, 30, "paused"), 33 * m,
			"fail-ring r1 canary [us-east-1]",
			"region us-east-1 has been in progress for longer than syncTimeout 30m0s (since 2026-12-01T10:03:00Z): Suspended: Rollout is paused",
			0, 3 * m},
		{"soak: paused a second less than syncTimeout waits", mtCanarySoaking, every(3*m, 30, "paused"), 33*m - time.Second,
			"wait sync r1 canary [us-east-1] until 2026-12-01T10:33:00Z; wait soak r1 canary until 2026-12-01T14:02:00Z; next 2026-12-01T10:33:00Z",
			"", 0, 3 * m},
		{"soak: paused then progressing is one stretch", mtCanarySoaking, obsList(every(3*m, 10, "paused"), every(13*m, 20, "progressing")), 33 * m,
			"fail-ring r1 canary [us-east-1]", "since 2026-12-01T10:03:00Z): Progressing: 1 of 3", 0, 3 * m},
		{"soak: a monitoring blip does not restart the pause clock", mtCanarySoaking,
			obsList(every(3*m, 10, "paused"), every(13*m, 1, "down"), every(14*m, 19, "paused")), 33 * m,
			"fail-ring r1 canary [us-east-1]", "since 2026-12-01T10:03:00Z", 1, 3 * m},
		{"soak: healthy again ends the stretch", mtCanarySoaking,
			obsList(every(3*m, 10, "paused"), every(13*m, 1, "healthy"), every(20*m, 15, "paused")), 40 * m,
			"wait sync r1 canary [us-east-1] until 2026-12-01T10:50:00Z; wait soak r1 canary until 2026-12-01T14:02:00Z; next 2026-12-01T10:50:00Z",
			"us-east-1 in progress since 2026-12-01T10:20:00Z", 0, 20 * m},
		{"soak over: a paused region holds the completion", mtCanarySoaking, every(4*time.Hour, 3, "paused"), 4*time.Hour + 5*m,
			"wait sync r1 canary [us-east-1] until 2026-12-01T14:30:00Z; wait evidence r1 canary; next 2026-12-01T14:30:00Z",
			"region us-east-1 is still in progress (Suspended: Rollout is paused); it completes once it is synced and healthy", 0, 4 * time.Hour},
		{"soak over: a sync still running holds the completion", mtCanarySoaking, every(4*time.Hour, 1, "hooks"), 4*time.Hour + 5*m,
			"wait sync r1 canary [us-east-1] until 2026-12-01T14:30:00Z; wait evidence r1 canary; next 2026-12-01T14:30:00Z",
			"is still in progress (Progressing: sync operation Running at c1)", 0, 4 * time.Hour},
		{"soak over: healthy again completes", mtCanarySoaking, obsList(every(4*time.Hour, 3, "paused"), every(4*time.Hour+3*m, 1, "healthy")), 4*time.Hour + 5*m,
			"complete-ring r1 canary", "soaked 4h", 0, 0},
		// syncing: the sync timeout from the last promotion (10:01) applies
		{"syncing: a paused region waits for the sync timeout", mtCanarySyncing, every(5*m, 10, "paused"), 20 * m,
			"wait sync r1 canary [us-east-1] until 2026-12-01T10:31:00Z; next 2026-12-01T10:31:00Z",
			"us-east-1 in progress since 2026-12-01T10:05:00Z (Suspended: Rollout is paused); the ring fails at 2026-12-01T10:31:00Z", 0, 5 * m},
		{"syncing: paused at the sync timeout fails with that reason", mtCanarySyncing, every(5*m, 26, "paused"), 31 * m,
			"fail-ring r1 canary [us-east-1]",
			"sync timeout: us-east-1 not synced and healthy within 30m0s of the last promotion; still us-east-1 in progress since 2026-12-01T10:05:00Z (Suspended: Rollout is paused)",
			0, 5 * m},
		{"syncing: Progressing then healthy starts the soak", mtCanarySyncing, obsList(every(5*m, 5, "progressing"), every(10*m, 1, "healthy")), 11 * m,
			"start-soak r1 canary", "every region is synced and healthy", 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			top := ringstest.Topology(t)
			s := ringstest.NewState(t, top, tc.prep...)
			for _, o := range tc.obs {
				if err := observeKind(s, o); err != nil {
					t.Fatalf("observe %s at +%s: %v", o.kind, o.at, err)
				}
			}
			plan := PlanNext(top, s, ringstest.T0.Add(tc.now))
			if got := briefPlan(plan); got != tc.want {
				t.Errorf("plan:\n got %s\nwant %s", got, tc.want)
			}
			var texts []string
			for _, a := range plan.Actions {
				texts = append(texts, a.Reason)
			}
			for _, w := range plan.Waits {
				texts = append(texts, w.Detail)
			}
			if all := strings.Join(texts, "\n"); !strings.Contains(all, tc.text) {
				t.Errorf("reasons and details:\n%s\nwant them to contain %q", all, tc.text)
			}
			rp := s.ReleaseByID("r1").Ring("canary")
			if rp.ConsecutiveFailures != tc.failures {
				t.Errorf("ConsecutiveFailures = %d, want %d", rp.ConsecutiveFailures, tc.failures)
			}
			var want time.Time
			if tc.since != 0 {
				want = ringstest.T0.Add(tc.since)
			}
			if got := rp.Region("us-east-1").InProgressSince; !got.Equal(want) {
				t.Errorf("InProgressSince = %s, want %s", got, want)
			}
		})
	}
}

// TestObserveInProgressRefusalChangesNothing: ObserveInProgress validates
// like Observe and leaves the state as it was when it refuses.
func TestObserveInProgressRefusalChangesNothing(t *testing.T) {
	t.Parallel()
	top := ringstest.Topology(t)
	s := ringstest.NewState(t, top, mtCanarySoaking...)
	before := s.Clone()
	at := ringstest.T0.Add(time.Hour)
	for _, tc := range []struct {
		name string
		err  error
		call func() error
	}{
		{"unknown release", rings.ErrNotFound, func() error {
			return s.ObserveInProgress("r9", "canary", "us-east-1", true, false, "Suspended", nil, at)
		}},
		{"unknown region", rings.ErrNotFound, func() error { return s.ObserveInProgress("r1", "canary", "mars-1", true, false, "Suspended", nil, at) }},
		{"ring not observed", rings.ErrTransition, func() error {
			return s.ObserveInProgress("r1", "early", "eu-west-1", true, false, "Suspended", nil, at)
		}},
	} {
		if err := tc.call(); !errors.Is(err, tc.err) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.err)
		}
	}
	if !reflect.DeepEqual(s, before) {
		t.Errorf("a refused ObserveInProgress changed the state:\n got %+v\nwant %+v", s.ReleaseByID("r1"), before.ReleaseByID("r1"))
	}
}
