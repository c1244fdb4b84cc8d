package planner

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/ringstest"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// The gates' tests: release windows, freezes and trains (schedule.go, and
// through PlanNext), then the error budget (gates_budget.go).

// fmtOpening renders what OpeningAt or RingWindowAt answered: "open until
// <time>", "closed, next <time>" ("-" for no time) or "error: <error>".
func fmtOpening(o Opening, err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	f := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.UTC().Format(time.RFC3339)
	}
	if o.Open {
		return "open until " + f(o.Until)
	}
	return "closed, next " + f(o.Next)
}

func TestOpeningAt(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		schedule string
		d        time.Duration
		zone     string
		now      string
		want     string
	}{
		{"dublin monday morning open", "0 9 * * MON-THU", 7 * time.Hour, "Europe/Dublin", "2026-12-07T10:00:00Z", "open until 2026-12-07T16:00:00Z"},
		{"opens at the firing instant", "0 9 * * MON-THU", 7 * time.Hour, "Europe/Dublin", "2026-12-07T09:00:00Z", "open until 2026-12-07T16:00:00Z"},
		{"closes at the end instant", "0 9 * * MON-THU", 7 * time.Hour, "Europe/Dublin", "2026-12-10T16:00:00Z", "closed, next 2026-12-14T09:00:00Z"},
		{"friday afternoon waits for monday", "0 9 * * MON-THU", 7 * time.Hour, "Europe/Dublin", "2026-12-04T15:00:00Z", "closed, next 2026-12-07T09:00:00Z"},
		{"tokyo window in utc", "0 9 * * MON-THU", 7 * time.Hour, "Asia/Tokyo", "2026-12-07T00:30:00Z", "open until 2026-12-07T07:00:00Z"},
		{"los angeles window in utc", "0 9 * * MON-THU", 7 * time.Hour, "America/Los_Angeles", "2026-12-07T12:00:00Z", "closed, next 2026-12-07T17:00:00Z"},
		{"dublin after spring forward opens an hour earlier in utc", "0 9 * * MON-THU", 7 * time.Hour, "Europe/Dublin", "2027-03-26T12:00:00Z", "closed, next 2027-03-29T08:00:00Z"},
		{"los angeles after fall back opens an hour later in utc", "0 9 * * MON-THU", 7 * time.Hour, "America/Los_Angeles", "2026-10-30T20:00:00Z", "closed, next 2026-11-02T17:00:00Z"},
		{"open across spring forward lasts elapsed hours", "0 0 * * SUN", 4 * time.Hour, "Europe/Dublin", "2027-03-28T03:30:00Z", "open until 2027-03-28T04:00:00Z"},
		{"freeze open since it fired less than its duration ago", "0 0 20 12 *", 336 * time.Hour, "UTC", "2027-01-02T23:59:00Z", "open until 2027-01-03T00:00:00Z"},
		{"freeze next opening", "0 0 20 12 *", 336 * time.Hour, "UTC", "2026-11-01T00:00:00Z", "closed, next 2026-12-20T00:00:00Z"},
		{"overlapping firings merge", "*/30 9-10 * * *", 45 * time.Minute, "UTC", "2026-12-07T09:10:00Z", "open until 2026-12-07T11:15:00Z"},
		{"never fires within a year", "0 0 30 2 *", time.Hour, "UTC", "2026-12-07T09:10:00Z", "closed, next -"},
		{"zero duration never open", "0 9 * * *", 0, "UTC", "2026-12-07T09:00:00Z", "closed, next 2026-12-08T09:00:00Z"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := fmtOpening(OpeningAt(tc.schedule, tc.d, ringstest.Loc(t, tc.zone), ringstest.Time(t, tc.now))); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestOpeningAtBadSchedule(t *testing.T) {
	t.Parallel()
	if _, err := OpeningAt("0 9 * *", time.Hour, time.UTC, ringstest.T0); err == nil {
		t.Fatal("want an error for a four-field schedule")
	}
}

func TestRingWindowAt(t *testing.T) {
	t.Parallel()
	top := ringstest.Topology(t)
	region := func(name string) topology.Region { r, _ := top.RegionByName(name); return r }
	cases := []struct {
		name   string
		ring   topology.Ring
		region string
		now    string
		want   string
	}{
		{"no windows is always open", top.Spec.Rings[0], "us-east-1", "2026-12-05T03:00:00Z", "open until -"},
		{"region zone tokyo", top.Spec.Rings[2], "ap-northeast-1", "2026-12-07T01:00:00Z", "open until 2026-12-07T07:00:00Z"},
		{"region zone los angeles same instant", top.Spec.Rings[2], "us-west-2", "2026-12-07T01:00:00Z", "closed, next 2026-12-07T17:00:00Z"},
		{"two windows take the earliest opening", topology.Ring{Name: "x", Windows: []string{"business-hours", "sunday"}}, "eu-west-1", "2026-12-04T15:00:00Z", "closed, next 2026-12-06T12:00:00Z"},
		{"two windows one open", topology.Ring{Name: "x", Windows: []string{"business-hours", "sunday"}}, "eu-west-1", "2026-12-06T13:00:00Z", "open until 2026-12-06T14:00:00Z"},
	}
	top.Spec.Windows = append(top.Spec.Windows, topology.Window{Name: "sunday", Schedule: "0 12 * * SUN", Duration: topology.Duration(2 * time.Hour), Timezone: "UTC"})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := fmtOpening(RingWindowAt(top, tc.ring, region(tc.region), ringstest.Time(t, tc.now))); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestRingWindowAtUnknownWindow(t *testing.T) {
	t.Parallel()
	top := ringstest.Topology(t)
	_, err := RingWindowAt(top, topology.Ring{Name: "x", Windows: []string{"nope"}}, top.Spec.Regions[0], ringstest.T0)
	if !errors.Is(err, rings.ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
}

func TestBlockingFreezes(t *testing.T) {
	t.Parallel()
	top := ringstest.Topology(t)
	cases := []struct {
		priority string
		now      string
		want     string
	}{
		{topology.PriorityNormal, "2026-12-24T12:00:00Z", "[year-end until 2027-01-03T00:00:00Z]"},
		{topology.PriorityP0, "2026-12-24T12:00:00Z", "[]"},
		{topology.PrioritySecurity, "2026-12-24T12:00:00Z", "[]"},
		{topology.PriorityReliability, "2026-12-24T12:00:00Z", "[year-end until 2027-01-03T00:00:00Z]"},
		{topology.PriorityNormal, "2027-01-03T00:00:00Z", "[]"},
		{topology.PriorityNormal, "2026-12-19T23:59:59Z", "[]"},
	}
	for _, tc := range cases {
		t.Run(tc.priority+"@"+tc.now, func(t *testing.T) {
			t.Parallel()
			hits, err := BlockingFreezes(top, top.Spec.Regions[1], tc.priority, ringstest.Time(t, tc.now))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, h := range hits {
				got = append(got, h.Freeze.Name+" until "+h.Until.Format(time.RFC3339))
			}
			if s := fmt.Sprintf("%v", got); s != tc.want {
				t.Fatalf("got %s, want %s", s, tc.want)
			}
		})
	}
}

func TestTrainDeparture(t *testing.T) {
	t.Parallel()
	top := ringstest.Topology(t)
	cases := []struct{ after, want string }{
		{"2026-12-08T10:00:00Z", "2026-12-08T10:00:00Z"}, // Tuesday 10:00 Dublin: departs at once
		{"2026-12-08T10:00:01Z", "2026-12-15T10:00:00Z"},
		{"2026-12-04T15:00:00Z", "2026-12-08T10:00:00Z"},
		{"2027-06-01T08:00:00Z", "2027-06-01T09:00:00Z"}, // summer time: 10:00 IST is 09:00 UTC
	}
	for _, tc := range cases {
		t.Run(tc.after, func(t *testing.T) {
			t.Parallel()
			got, err := TrainDeparture(top, "tuesday", ringstest.Time(t, tc.after))
			if err != nil {
				t.Fatal(err)
			}
			if got.Format(time.RFC3339) != tc.want {
				t.Fatalf("got %s, want %s", got.Format(time.RFC3339), tc.want)
			}
		})
	}
	if _, err := TrainDeparture(top, "nope", ringstest.T0); !errors.Is(err, rings.ErrNotFound) {
		t.Fatalf("unknown train: err = %v, want ErrNotFound", err)
	}
}

// trainCreate creates a release of app at created, for train (may be "").
func trainCreate(id, app, train, created string) ringstest.Step {
	return func(tp *topology.Topology, s *rings.State) error {
		at, err := time.Parse(time.RFC3339, created)
		if err != nil {
			return err
		}
		_, err = s.CreateRelease(tp, id, app, "2.0", "", train, time.Time{}, at, "alice", "1.0")
		return err
	}
}

func trainAbort(id string) ringstest.Step {
	return ringstest.On(func(s *rings.State) error {
		return s.Abort(id, "bob", "superseded", ringstest.T0)
	})
}

// TestTrainPlans covers releases queued for a train and the one-release-
// per-app rule, through PlanNext.
func TestTrainPlans(t *testing.T) {
	t.Parallel()
	monday := "2026-11-30T12:00:00Z"
	departure := "2026-12-01T10:00:00Z"
	runPlanCases(t, []planCase{
		{"queued on Monday, the train has not left",
			[]ringstest.Step{trainCreate("r1", "checkout", "tuesday", monday)}, monday, nil,
			"wait schedule r1 until 2026-12-01T10:00:00Z; next 2026-12-01T10:00:00Z"},
		{"the train leaves with the oldest release of the app; the next queues",
			[]ringstest.Step{trainCreate("r1", "checkout", "tuesday", monday), trainCreate("r2", "checkout", "tuesday", monday)}, departure, nil,
			"start-release r1; wait queue r2"},
		{"the queued release starts once the first one ends, the train having left",
			[]ringstest.Step{trainCreate("r1", "checkout", "tuesday", monday), trainCreate("r2", "checkout", "tuesday", monday), ringstest.Start("r1"), trainAbort("r1")}, "2026-12-01T15:00:00Z", nil,
			"start-release r2"},
		{"an app on a train is released at once when no train is named (no implicit train)",
			[]ringstest.Step{trainCreate("r1", "checkout", "", monday)}, monday, nil,
			"start-release r1"},
		{"another app does not wait for the train",
			[]ringstest.Step{trainCreate("r1", "checkout", "tuesday", monday), trainCreate("r2", "ledger", "", monday)}, monday, nil,
			"start-release r2; wait schedule r1 until 2026-12-01T10:00:00Z; next 2026-12-01T10:00:00Z"},
		{"a running release of the app holds a train release at the departure",
			[]ringstest.Step{trainCreate("r1", "checkout", "", monday), ringstest.Start("r1"), ringstest.Baseline("r1", "1.0"), trainCreate("r2", "checkout", "tuesday", monday)}, departure, nil,
			"promote r1 canary [us-east-1] 2.0 r1/canary/us-east-1; wait queue r2"},
	})
}

// TestFreezeIsCheckedAtEveryRingBoundary: the canary ring finished before
// the year-end freeze (20 Dec 00:00 UTC for 14 days); the early ring,
// approved, is planned at several moments. Windows are Monday–Thursday
// 09:00–16:00 in Dublin.
func TestFreezeIsCheckedAtEveryRingBoundary(t *testing.T) {
	t.Parallel()
	normal := ringstest.After(ringstest.CanaryDone, mtApprove("r1", "early"))
	p0 := []ringstest.Step{mtCreateFull("r1", "checkout", topology.PriorityP0, "", time.Time{}), ringstest.Start("r1"),
		ringstest.Promote("r1", "canary", "us-east-1"), ringstest.Soak("r1", "canary"), ringstest.Done("r1", "canary"), mtApprove("r1", "early")}
	runPlanCases(t, []planCase{
		{"before the freeze the next ring goes", normal, "2026-12-17T10:00:00Z", nil,
			"promote r1 early [eu-west-1] 2.0 r1/early/eu-west-1"},
		{"the freeze that opened since ring 0 holds ring 1", normal, "2026-12-21T10:00:00Z", nil,
			"wait freeze r1 early [eu-west-1] until 2027-01-03T00:00:00Z; next 2027-01-03T00:00:00Z"},
		{"an allowed priority passes the freeze", p0, "2026-12-21T10:00:00Z", nil,
			"promote r1 early [eu-west-1] 2.0 r1/early/eu-west-1"},
		{"after the freeze the next ring goes in its window", normal, "2027-01-04T10:00:00Z", nil,
			"promote r1 early [eu-west-1] 2.0 r1/early/eu-west-1"},
	})
}

// TestBudgetGatePerApp: the release's own app's budget in the region
// decides; a budget never measured fails closed unless the priority is
// allowed when exhausted; a region without a Prometheus is not gated; an
// old figure recorded without an app gates nothing. Nothing is measured
// unless a case says so (us-east-1 is the fixture's only region with a
// Prometheus).
func TestBudgetGatePerApp(t *testing.T) {
	t.Parallel()
	const promote = "promote r1 canary [us-east-1] 2.0 r1/canary/us-east-1"
	const neverMeasured = "error budget of app checkout in region us-east-1 has not been measured yet (is Prometheus reachable?): only P0, security, reliability releases may promote until it is"
	legacy := func(pct float64) ringstest.Step {
		return ringstest.On(func(s *rings.State) error {
			s.RecordBudget(rings.Budget{Region: "us-east-1", RemainingPercent: pct, At: ringstest.T0})
			return nil
		})
	}
	cases := []struct {
		name       string
		prep       []ringstest.Step
		now        string
		allow      []string // nil: the fixture's P0, security, reliability
		want       string
		wantDetail string // the budget wait's detail, when there is one
	}{
		{"own budget plenty", ringstest.After(ringstest.Running, mtAppBudget("checkout", "us-east-1", 80)), friday, nil, promote, ""},
		{"another app's exhausted budget does not block", ringstest.After(ringstest.Running, mtAppBudget("checkout", "us-east-1", 80), mtAppBudget("ledger", "us-east-1", 0)), friday, nil, promote, ""},
		{"own budget exhausted, another app's plenty", ringstest.After(ringstest.Running, mtAppBudget("checkout", "us-east-1", 10), mtAppBudget("ledger", "us-east-1", 100)), friday, nil,
			"wait error-budget r1 canary [us-east-1]",
			"the error budget of app checkout in region us-east-1 is exhausted (10.0% remains): only P0, security, reliability releases may promote"},
		{"own budget low asks for approval", ringstest.After(ringstest.Running, mtAppBudget("checkout", "us-east-1", 40), mtAppBudget("ledger", "us-east-1", 100)), friday, nil,
			"set-release-state r1 awaiting-approval; wait error-budget r1 canary [us-east-1]",
			"40.0% of the error budget of app checkout in region us-east-1 remains: promotion needs an approval: ringctl release approve r1 --ring canary"},
		{"never measured fails closed", ringstest.Running, friday, nil, "wait error-budget r1 canary [us-east-1]", neverMeasured},
		{"only another app measured fails closed", ringstest.After(ringstest.Running, mtAppBudget("ledger", "us-east-1", 100)), friday, nil, "wait error-budget r1 canary [us-east-1]", neverMeasured},
		{"never measured, approval does not help", ringstest.After(ringstest.Running, mtApprove("r1", "canary")), friday, nil, "wait error-budget r1 canary [us-east-1]", neverMeasured},
		{"never measured, reliability passes", []ringstest.Step{mtCreateFull("r1", "checkout", topology.PriorityReliability, "", time.Time{}), ringstest.Start("r1"), ringstest.Baseline("r1", "1.0")}, friday, nil, promote, ""},
		{"never measured, none allowed", ringstest.Running, friday, []string{}, "wait error-budget r1 canary [us-east-1]",
			"error budget of app checkout in region us-east-1 has not been measured yet (is Prometheus reachable?): only no releases may promote until it is"},
		{"an old figure without an app gates nothing", ringstest.After(ringstest.Running, legacy(100)), friday, nil, "wait error-budget r1 canary [us-east-1]", neverMeasured},
		{"an old exhausted figure does not hold a measured app", ringstest.After(ringstest.Running, legacy(0), mtAppBudget("checkout", "us-east-1", 90)), friday, nil, promote, ""},
		{"a region without a Prometheus is not gated", ringstest.After(ringstest.CanaryDone, mtApprove("r1", "early")), monday, nil,
			"promote r1 early [eu-west-1] 2.0 r1/early/eu-west-1", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			top := ringstest.Topology(t)
			if tc.allow != nil {
				top.Spec.Policy.ErrorBudget.AllowWhenExhausted = tc.allow
			}
			s := ringstest.NewState(t, top, tc.prep...)
			plan := PlanNext(top, s, ringstest.Time(t, tc.now))
			if got := briefPlan(plan); got != tc.want {
				t.Fatalf("plan:\n got %s\nwant %s", got, tc.want)
			}
			if detail := strings.Join(waitDetails(plan, WaitErrorBudget), "\n"); detail != tc.wantDetail {
				t.Fatalf("budget wait detail:\n got %q\nwant %q", detail, tc.wantDetail)
			}
		})
	}
}

// TestBudgetGateOffWithoutPolicy: without an errorBudget nothing is
// measured and nothing waits for a budget.
func TestBudgetGateOffWithoutPolicy(t *testing.T) {
	t.Parallel()
	top := ringstest.Topology(t)
	top.Spec.Policy.ErrorBudget = topology.ErrorBudgetPolicy{}
	s := &rings.State{}
	for _, step := range ringstest.Running {
		if err := step(top, s); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := briefPlan(PlanNext(top, s, ringstest.Time(t, friday))), "promote r1 canary [us-east-1] 2.0 r1/canary/us-east-1"; got != want {
		t.Fatalf("plan:\n got %s\nwant %s", got, want)
	}
}

// TestRecordBudgetPerApp: budgets are kept per app and region; the first
// per-app figure of a region replaces that region's old figure without an
// app, and leaves other regions' old figures alone.
func TestRecordBudgetPerApp(t *testing.T) {
	t.Parallel()
	s := &rings.State{}
	s.RecordBudget(rings.Budget{Region: "us-east-1", RemainingPercent: 5})
	s.RecordBudget(rings.Budget{Region: "eu-west-1", RemainingPercent: 6})
	s.RecordBudget(rings.Budget{App: "checkout", Region: "us-east-1", RemainingPercent: 70})
	s.RecordBudget(rings.Budget{App: "ledger", Region: "us-east-1", RemainingPercent: 20})
	s.RecordBudget(rings.Budget{App: "checkout", Region: "us-east-1", RemainingPercent: 60})
	if got, want := strings.Join(slices.Sorted(maps.Keys(s.Budgets)), " "), "checkout/us-east-1 eu-west-1 ledger/us-east-1"; got != want {
		t.Fatalf("budget keys = %s, want %s", got, want)
	}
	if b, ok := s.BudgetOf("checkout", "us-east-1"); !ok || b.RemainingPercent != 60 {
		t.Fatalf("BudgetOf(checkout, us-east-1) = %+v, %v; want the latest figure, 60", b, ok)
	}
	if b, ok := s.BudgetOf("ledger", "eu-west-1"); ok {
		t.Fatalf("BudgetOf(ledger, eu-west-1) = %+v; an old figure without an app is no app's", b)
	}
}

// TestOldBudgetsDecode: a state (snapshot) written when budgets were kept
// per region decodes, and its figures stay keyed by region.
func TestOldBudgetsDecode(t *testing.T) {
	t.Parallel()
	old := `{"budgets":{"us-east-1":{"region":"us-east-1","remainingSeconds":1296,"remainingPercent":50,"at":"2026-12-01T10:00:00Z"}}}`
	var s rings.State
	if err := json.Unmarshal([]byte(old), &s); err != nil {
		t.Fatalf("decode an old state: %v", err)
	}
	b, ok := s.Budgets["us-east-1"]
	if !ok || b.App != "" || b.RemainingPercent != 50 || b.Key() != "us-east-1" {
		t.Fatalf("old budget = %+v (present %v); want the region's figure, no app", b, ok)
	}
	s.RecordBudget(rings.Budget{App: "checkout", Region: "us-east-1", RemainingPercent: 90})
	if _, ok := s.Budgets["us-east-1"]; ok || len(s.Budgets) != 1 {
		t.Fatalf("budgets after a per-app figure = %v; want only checkout/us-east-1", s.Budgets)
	}
}
