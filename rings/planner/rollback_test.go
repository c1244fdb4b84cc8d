package planner

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/ringstest"
)

// TestAutomaticRollbackCoversEarlierRings: when a later ring fails, the
// earlier rings run the same version, so automatic rollback writes every one
// of them back and the release ends rolled-back only when all have landed.
func TestAutomaticRollbackCoversEarlierRings(t *testing.T) {
	topo := ringstest.Topology(t)
	s := &rings.State{}
	at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC) // a Monday, inside the window
	step := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		at = at.Add(time.Minute)
	}
	_, err := s.CreateRelease(topo, "r1", "checkout", "v2-bad", "", "", time.Time{}, at, "tester", "v1")
	step("create", err)
	step("start", s.StartRelease("r1", at))
	step("promote canary", s.MarkPromoted("r1", "canary", []string{"us-east-1"}, "p-canary", "c1", at))
	step("soak canary", s.StartSoak("r1", "canary", at))
	step("canary done", s.CompleteRing("r1", "canary", at))
	step("approve early", s.Approve("r1", "early", "alice", "ok", at))
	step("promote early", s.MarkPromoted("r1", "early", []string{"eu-west-1"}, "p-early", "c2", at))
	step("soak early", s.StartSoak("r1", "early", at))
	step("fail early", s.FailRing("r1", "early", "success-rate below 99", at))

	rollbacks := func() map[string]Action {
		out := map[string]Action{}
		for _, a := range PlanNext(topo, s, at).Actions {
			if a.Kind == ActRollback {
				out[a.Ring] = a
			}
		}
		return out
	}
	got := rollbacks()
	for _, ring := range []string{"early", "canary"} {
		a, ok := got[ring]
		if !ok {
			t.Fatalf("no rollback of ring %s; actions %v", ring, PlanNext(topo, s, at).Actions)
		}
		if a.Version != "v1" {
			t.Errorf("rollback of %s writes %q, want v1", ring, a.Version)
		}
	}
	if len(got) != 2 {
		t.Errorf("rollbacks %v, want early and canary only", got)
	}

	// The early rollback lands first: the release is not over while canary
	// still runs the bad version, and the planner keeps asking for it.
	e := got["early"]
	step("early rolled back", s.MarkRolledBack("r1", "early", e.Regions, e.PromotionID, "c3", at))
	if st := s.ReleaseByID("r1").State; st == rings.ReleaseRolledBack {
		t.Fatalf("release rolled back while canary still runs v2-bad")
	}
	again := rollbacks()
	if _, ok := again["canary"]; !ok || len(again) != 1 {
		t.Fatalf("after early landed, rollbacks %v, want canary only", again)
	}
	c := again["canary"]
	step("canary rolled back", s.MarkRolledBack("r1", "canary", c.Regions, c.PromotionID, "c4", at))
	// Landed is not done: the release ends once canary's region (the only
	// one with health sources) ran the old version well for the verify
	// period; early has no source, so its commit verifies it.
	if st := s.ReleaseByID("r1").State; st.Terminal() {
		t.Fatalf("release %s before canary's rollback was verified", st)
	}
	for range 3 {
		ok := &rings.Observation{Check: "success-rate", Value: 99.9, Threshold: ">= 99", Pass: true, At: at}
		step("canary reports the old version", s.Observe("r1", "canary", "us-east-1", true, true, "Healthy", ok, at))
	}
	for _, a := range PlanNext(topo, s, at).Actions {
		if a.Kind == ActVerifyRollback {
			step("verify "+a.Ring, s.VerifyRollback("r1", a.Ring, a.Regions, at))
		}
	}
	r := s.ReleaseByID("r1")
	if r.State != rings.ReleaseRolledBack {
		t.Errorf("release state %s, want rolled-back", r.State)
	}
	if g := r.Ring("canary").Region("us-east-1"); !g.RolledBack() {
		t.Errorf("canary region not marked rolled back: %+v", g)
	}
	if len(rollbacks()) != 0 {
		t.Errorf("rollbacks asked for a rolled-back release")
	}
}

// TestFailReasonNamesWhyTheLastCheckFailed: a ring failed by an outage says
// so ("unreachable"), rather than quoting a zero value against a threshold
// as if a real measurement had failed.
func TestFailReasonNamesWhyTheLastCheckFailed(t *testing.T) {
	topo := ringstest.Topology(t)
	s := &rings.State{}
	at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	must := ringstest.Must(t)
	_, err := s.CreateRelease(topo, "r1", "checkout", "v2", "", "", time.Time{}, at, "tester", "v1")
	must(err)
	must(s.StartRelease("r1", at))
	must(s.MarkPromoted("r1", "canary", []string{"us-east-1"}, "p1", "c1", at))
	must(s.Observe("r1", "canary", "us-east-1", true, true, "", nil, at))
	must(s.StartSoak("r1", "canary", at))
	for i := 0; i < topo.Spec.Policy.Analysis.FailureThreshold; i++ {
		o := &rings.Observation{Region: "us-east-1", Check: "success-rate", Threshold: ">= 99", Reason: "prometheus unreachable: connection refused", At: at}
		must(s.Observe("r1", "canary", "us-east-1", true, true, "", o, at))
	}
	for _, a := range PlanNext(topo, s, at).Actions {
		if a.Kind == ActFailRing {
			if !strings.Contains(a.Reason, "prometheus unreachable") || strings.Contains(a.Reason, "= 0") {
				t.Errorf("fail reason %q; want the outage named, not a zero value", a.Reason)
			}
			return
		}
	}
	t.Fatalf("no fail-ring action after %d failed checks", topo.Spec.Policy.Analysis.FailureThreshold)
}

// mixedEU is eu-west-1's baseline when its two files disagree.
var mixedEU = []rings.TargetValue{
	{File: "apps/checkout/eu-west-1/values.yaml", Target: "yamlPath image.tag", Value: "1.0"},
	{File: "apps/checkout/eu-west-1/canary.yaml", Target: "yamlPath image.tag", Value: "0.8"},
}

// baselineOf records a baseline for r1: us-east-1 and ap-northeast-1 on 1.0,
// us-west-2 on 0.9, eu-west-1 mixed (or as given).
func baselineOf(eu []rings.TargetValue) ringstest.Step {
	return ringstest.On(func(s *rings.State) error {
		return s.RecordBaseline("r1", "c0", []rings.RegionBaseline{
			{Region: "us-east-1", Version: "1.0"},
			rings.SummarizeBaseline("eu-west-1", eu),
			{Region: "ap-northeast-1", Version: "1.0"},
			{Region: "us-west-2", Version: "0.9"},
		}, ringstest.T0)
	})
}

func TestRecordBaseline(t *testing.T) {
	t.Parallel()
	fresh := []ringstest.Step{ringstest.Create("r1", "checkout", "2.0", ""), ringstest.Start("r1")}
	all := func(drop string, extra ...rings.RegionBaseline) []rings.RegionBaseline {
		var out []rings.RegionBaseline
		for _, r := range []string{"us-east-1", "eu-west-1", "ap-northeast-1", "us-west-2"} {
			if r != drop {
				out = append(out, rings.RegionBaseline{Region: r, Version: "1.0"})
			}
		}
		return append(out, extra...)
	}
	cases := []struct {
		name    string
		prep    []ringstest.Step
		regions []rings.RegionBaseline
		wantErr error
		want    string // DescribePrevious of eu-west-1 after
	}{
		{"every region agrees", fresh, all(""), nil, "1.0"},
		{"a region with disagreeing targets keeps each value", fresh,
			all("eu-west-1", rings.SummarizeBaseline("eu-west-1", mixedEU)), nil,
			"mixed: apps/checkout/eu-west-1/values.yaml yamlPath image.tag=1.0, apps/checkout/eu-west-1/canary.yaml yamlPath image.tag=0.8"},
		{"an absent target is shown absent", fresh,
			all("eu-west-1", rings.SummarizeBaseline("eu-west-1", []rings.TargetValue{{File: "f.yaml", Target: "yamlPath image.tag", Absent: true}})), nil,
			"mixed: f.yaml yamlPath image.tag=(absent)"},
		{"a region missing", fresh, all("us-west-2"), rings.ErrTransition, "-"},
		{"a region not in the release", fresh, all("", rings.RegionBaseline{Region: "mars-1", Version: "1.0"}), rings.ErrNotFound, "-"},
		{"a region twice", fresh, all("", rings.RegionBaseline{Region: "us-east-1", Version: "1.0"}), rings.ErrTransition, "-"},
		{"neither version nor targets", fresh, all("eu-west-1", rings.RegionBaseline{Region: "eu-west-1"}), rings.ErrTransition, "-"},
		{"a target with neither value nor absent", fresh,
			all("eu-west-1", rings.RegionBaseline{Region: "eu-west-1", Targets: []rings.TargetValue{{File: "f.yaml", Target: "yamlPath image.tag"}}}), rings.ErrTransition, "-"},
		{"after a promotion Git shows the new version", append(fresh, ringstest.Promote("r1", "canary", "us-east-1")), all(""), rings.ErrTransition, "-"},
		{"recorded twice: the first stands", append(fresh, baselineOf(mixedEU)), all(""), nil,
			"mixed: apps/checkout/eu-west-1/values.yaml yamlPath image.tag=1.0, apps/checkout/eu-west-1/canary.yaml yamlPath image.tag=0.8"},
		{"unknown release", nil, all(""), rings.ErrNotFound, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			top := ringstest.Topology(t)
			s := ringstest.NewState(t, top, tc.prep...)
			before := ringstest.JSON(t, s)
			err := s.RecordBaseline("r1", "c1", tc.regions, ringstest.T0.Add(time.Hour))
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if err != nil && ringstest.JSON(t, s) != before {
				t.Fatal("a refused baseline changed the state")
			}
			if r := s.ReleaseByID("r1"); r != nil {
				if got := r.DescribePrevious("eu-west-1"); got != tc.want {
					t.Errorf("eu-west-1 previous %q, want %q", got, tc.want)
				}
			}
		})
	}
}

// The first promotion of a release waits until the baseline is recorded,
// and then goes out; later rings do not ask again.
func TestPlannerRecordsTheBaselineBeforeTheFirstPromotion(t *testing.T) {
	t.Parallel()
	top, s := ringstest.Topology(t), &rings.State{}
	for _, step := range []ringstest.Step{ringstest.Create("r1", "checkout", "2.0", ""), ringstest.Start("r1")} {
		if err := step(top, s); err != nil {
			t.Fatal(err)
		}
	}
	fxMeasureBudgets(top, s, 100) // us-east-1's error budget gate passes
	now := ringstest.Time(t, monday)
	got := briefPlan(PlanNext(top, s, now))
	want := "record-baseline r1 [us-east-1 eu-west-1 ap-northeast-1 us-west-2]; wait baseline r1 canary [us-east-1]"
	if got != want {
		t.Fatalf("before the baseline:\n got %s\nwant %s", got, want)
	}
	if err := baselineOf(mixedEU)(top, s); err != nil {
		t.Fatal(err)
	}
	if got, want := briefPlan(PlanNext(top, s, now)), "promote r1 canary [us-east-1] 2.0 r1/canary/us-east-1"; got != want {
		t.Fatalf("after the baseline:\n got %s\nwant %s", got, want)
	}
	for _, step := range []ringstest.Step{ringstest.Promote("r1", "canary", "us-east-1"), ringstest.Soak("r1", "canary"), ringstest.Done("r1", "canary"), mtApprove("r1", "early")} {
		if err := step(top, s); err != nil {
			t.Fatal(err)
		}
	}
	if got := briefPlan(PlanNext(top, s, now)); strings.Contains(got, "baseline") {
		t.Fatalf("the second ring asks for the baseline again: %s", got)
	}
}

// A release promoted before baselines were recorded (state from an older
// node) is not stopped: it keeps its PreviousVersion.
func TestPlannerDoesNotAskAReleaseAlreadyPromotedForABaseline(t *testing.T) {
	t.Parallel()
	top, s := ringstest.Topology(t), &rings.State{}
	for _, step := range []ringstest.Step{ringstest.Create("r1", "checkout", "2.0", "1.0"), ringstest.Start("r1"), ringstest.Promote("r1", "canary", "us-east-1"), ringstest.Fail("r1", "canary")} {
		if err := step(top, s); err != nil {
			t.Fatal(err)
		}
	}
	got := briefPlan(PlanNext(top, s, ringstest.Time(t, monday)))
	if strings.Contains(got, "baseline") || !strings.Contains(got, "rollback r1 canary [us-east-1] 1.0") {
		t.Fatalf("plan %s; want a rollback to 1.0 and no baseline", got)
	}
}

// Rollback writes each region's own previous value: regions grouped by
// version, a region whose targets disagreed target by target, and a region
// where a target did not exist is not written and named.
func TestRollbackPerRegionAndPerTarget(t *testing.T) {
	t.Parallel()
	absentWest := ringstest.On(func(s *rings.State) error {
		return s.RecordBaseline("r1", "c0", []rings.RegionBaseline{
			{Region: "us-east-1", Version: "1.0"},
			rings.SummarizeBaseline("eu-west-1", mixedEU),
			{Region: "ap-northeast-1", Version: "1.0"},
			rings.SummarizeBaseline("us-west-2", []rings.TargetValue{{File: "apps/checkout/us-west-2/values.yaml", Target: "yamlPath image.tag", Absent: true}}),
		}, ringstest.T0)
	})
	through := func(base ringstest.Step, prev string) []ringstest.Step {
		return []ringstest.Step{ringstest.Create("r1", "checkout", "2.0", prev), ringstest.Start("r1"), base,
			ringstest.Promote("r1", "canary", "us-east-1"), ringstest.Soak("r1", "canary"), ringstest.Done("r1", "canary"), mtApprove("r1", "early"),
			ringstest.Promote("r1", "early", "eu-west-1"), ringstest.Soak("r1", "early"), ringstest.Done("r1", "early"),
			ringstest.Promote("r1", "global", "ap-northeast-1", "us-west-2"), ringstest.Fail("r1", "global")}
	}
	cases := []struct {
		name  string
		prep  []ringstest.Step
		want  []string // rollback actions, briefly
		halt  string   // in the halted reason, "" for no halt
		euTgt int      // targets on eu-west-1's rollback
	}{
		{"first release of the app: regions by version, eu-west-1 per target",
			through(baselineOf(mixedEU), ""),
			[]string{"global [ap-northeast-1] 1.0", "global [us-west-2] 0.9", "early [eu-west-1] mixed", "canary [us-east-1] 1.0"}, "", 2},
		{"a target absent before the release is not guessed",
			through(absentWest, ""),
			[]string{"global [ap-northeast-1] 1.0", "early [eu-west-1] mixed", "canary [us-east-1] 1.0"},
			"apps/checkout/us-west-2/values.yaml yamlPath image.tag did not exist in region us-west-2 before the release", 2},
		{"a previous version a person gave fills an absent target",
			through(absentWest, "0.7"),
			[]string{"global [ap-northeast-1] 1.0", "global [us-west-2] 0.7", "early [eu-west-1] mixed", "canary [us-east-1] 1.0"}, "", 2},
		{"git wins over the previous version a person gave",
			through(baselineOf(mixedEU[:1]), "0.5"),
			[]string{"global [ap-northeast-1] 1.0", "global [us-west-2] 0.9", "early [eu-west-1] 1.0", "canary [us-east-1] 1.0"}, "", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			top := ringstest.Topology(t)
			s := ringstest.NewState(t, top, tc.prep...)
			plan := PlanNext(top, s, ringstest.Time(t, monday))
			var got []string
			halted := ""
			for _, a := range plan.Actions {
				switch a.Kind {
				case ActRollback:
					got = append(got, a.Ring+" "+strings.Join([]string{"[" + strings.Join(a.Regions, " ") + "]", a.Version}, " "))
					if a.Ring == "early" && len(a.Targets) != tc.euTgt {
						t.Errorf("eu-west-1 rollback carries %d targets, want %d: %+v", len(a.Targets), tc.euTgt, a.Targets)
					}
					if a.Ring == "early" && tc.euTgt > 0 && (a.Targets[0].Value != "1.0" || a.Targets[1].Value != "0.8") {
						t.Errorf("eu-west-1 target values %+v, want 1.0 and 0.8", a.Targets)
					}
					if a.PromotionID != rings.RollbackID("r1", a.Ring, a.Regions) {
						t.Errorf("rollback id %s is not derived from the decision", a.PromotionID)
					}
				case ActSetReleaseState:
					if a.State == rings.ReleaseHalted {
						halted = a.Reason
					}
				}
			}
			if strings.Join(got, "; ") != strings.Join(tc.want, "; ") {
				t.Errorf("rollbacks\n got %s\nwant %s", strings.Join(got, "; "), strings.Join(tc.want, "; "))
			}
			if (tc.halt == "") != (halted == "") || !strings.Contains(halted, tc.halt) {
				t.Errorf("halted reason %q, want one containing %q", halted, tc.halt)
			}
		})
	}
}

// A person's rollback request is refused, naming the region, when a
// promoted region's previous value is unknown; it is accepted when Git
// told every promoted region's value, even for an app's first release.
func TestRequestRollbackUsesTheBaseline(t *testing.T) {
	t.Parallel()
	top := ringstest.Topology(t)
	for _, tc := range []struct {
		name string
		eu   []rings.TargetValue
		want string // "" accepted, else part of the error
	}{
		{"recorded", mixedEU, ""},
		{"absent", []rings.TargetValue{{File: "apps/checkout/eu-west-1/values.yaml", Target: "yamlPath image.tag", Absent: true}}, "region eu-west-1"},
	} {
		s := &rings.State{}
		for _, step := range []ringstest.Step{ringstest.Create("r1", "checkout", "2.0", ""), ringstest.Start("r1"), baselineOf(tc.eu),
			ringstest.Promote("r1", "canary", "us-east-1"), ringstest.Soak("r1", "canary"), ringstest.Done("r1", "canary"), mtApprove("r1", "early"), ringstest.Promote("r1", "early", "eu-west-1")} {
			if err := step(top, s); err != nil {
				t.Fatal(err)
			}
		}
		err := s.RequestRollback("r1", "bob", "errors", ringstest.T0)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: err %v, want one naming %q", tc.name, err, tc.want)
		}
	}
}

func TestBaselineVersion(t *testing.T) {
	t.Parallel()
	top := ringstest.Topology(t)
	s := &rings.State{}
	for _, step := range []ringstest.Step{ringstest.Create("r1", "checkout", "2.0", "0.1"), ringstest.Start("r1")} {
		if err := step(top, s); err != nil {
			t.Fatal(err)
		}
	}
	r := s.ReleaseByID("r1")
	if got := r.BaselineVersion([]string{"eu-west-1"}); got != "0.1" {
		t.Errorf("without a baseline: %q, want the release's previous version 0.1", got)
	}
	if err := baselineOf(mixedEU)(top, s); err != nil {
		t.Fatal(err)
	}
	r = s.ReleaseByID("r1")
	cases := []struct {
		regions []string
		want    string
	}{
		{[]string{"us-west-2"}, "0.9"},
		{[]string{"us-west-2", "ap-northeast-1", "us-east-1"}, "1.0"}, // the most common
		{[]string{"us-west-2", "ap-northeast-1"}, "0.9"},              // a tie: the first region's
		{[]string{"eu-west-1", "us-west-2"}, "0.9"},                   // a mixed region runs no one version
		{nil, "1.0"}, // last ring: the release's most common
	}
	for _, c := range cases {
		if got := r.BaselineVersion(c.regions); got != c.want {
			t.Errorf("BaselineVersion(%v) = %q, want %q", c.regions, got, c.want)
		}
	}
}
