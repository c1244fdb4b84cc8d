package ui

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/leader"
	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/internal/golden"
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/planner"
	"github.com/ringleader-dev/ringleader/rings/ringstest"
)

func board(t *testing.T) Board {
	t.Helper()
	snap, now := fixture(t)
	return BuildBoard(snap, planner.PlanNext(snap.Topology, &snap.State, now), now)
}

// dashboardOf is a dashboard serving snap, its clock stopped at now.
func dashboardOf(t *testing.T, snap store.Snapshot, now time.Time) *Dashboard {
	t.Helper()
	d, err := New(Config{Store: stubStore{snap: snap}, NodeID: "n1", Clock: leader.NewManualClock(now)})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// get is d's answer to GET path.
func get(d *Dashboard, path string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	d.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec
}

func TestBuildBoard(t *testing.T) {
	t.Parallel()
	b := board(t)
	rel := b.Releases[0]
	canary, early := rel.Rings[0], rel.Rings[1]
	cases := []struct {
		name      string
		got, want any
	}{
		{"releases shown", len(b.Releases), 1},
		{"grid columns", strings.Join(rel.Regions, ","), "us-east-1,eu-west-1,eu-central-1,ap-south-1"},
		{"canary state", canary.State, rings.RingSoaking},
		{"canary soak remaining", canary.SoakRemaining, 40 * time.Minute},
		{"canary soak window", canary.SoakWindow, time.Hour},
		{"canary wait reason", canary.Waits[0].Reason, planner.WaitSoak},
		{"canary wait until", canary.Waits[0].In, 40 * time.Minute},
		{"canary last check", canary.Observation.Check, "error-rate"},
		{"us-east-1 cell health", canary.Cells[0].Health, "healthy"},
		{"us-east-1 cell version", canary.Cells[0].Version, "v2"},
		{"eu-west-1 not in canary", canary.Cells[1].InRing, false},
		{"eu-west-1 pending in early", early.Cells[1].Health, "pending"},
		{"eu-west-1 still runs the previous version", early.Cells[1].Version, "v1"},
		{"us-east-1 not in early", early.Cells[0].InRing, false},
		{"early waits for nothing yet", len(early.Waits), 0},
		{"halt banners", len(b.Halts), 1},
		{"halt author", b.Halts[0].Author, "bob"},
		{"halt reason", b.Halts[0].Reason, "incident 12: error rate up"},
		{"halt scope", b.Halts[0].Scope, "everything, everywhere"},
		{"budget apps in order, old figure without an app left out", len(b.Budgets), 2},
		{"first app", b.Budgets[0].App, "cart"},
		{"cart's budget", b.Budgets[0].Budgets[0].Region + " " + b.Budgets[0].Budgets[0].Level, "us-east-1 ok"},
		{"checkout's regions in order", b.Budgets[1].Budgets[0].Region + "," + b.Budgets[1].Budgets[1].Region + "," + b.Budgets[1].Budgets[2].Region, "eu-central-1,eu-west-1,us-east-1"},
		{"budget 10% is exhausted", b.Budgets[1].Budgets[0].Level, "exhausted"},
		{"budget 40% is low", b.Budgets[1].Budgets[1].Level, "low"},
		{"budget 80% is ok", b.Budgets[1].Budgets[2].Level, "ok"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Fatalf("got %v; want %v", tc.got, tc.want)
			}
		})
	}
}

func TestTimeline(t *testing.T) {
	t.Parallel()
	snap, _ := fixture(t)
	s := snap.State.Clone()
	at := t0.Add(70 * time.Minute)
	if err := s.ResumeHalt("halt-0000beef", "carol", "fixed", t0.Add(30*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.FailRing("checkout-v2", "canary", "error rate 7% > 1%", at); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range Timeline(*s, s.ReleaseByID("checkout-v2")) {
		got = append(got, e.At.Format("15:04")+" "+e.Kind+" "+e.Text)
	}
	want := []string{
		"10:00 created created checkout v2 by alice",
		"10:02 promoted ring canary promoted to us-east-1",
		"10:05 soak-started ring canary synced and healthy; soak started",
		"10:20 halted halt halt-0000beef placed by bob: incident 12: error rate up",
		"10:30 resumed halt halt-0000beef resumed by carol: fixed",
		"11:10 failed ring canary failed: error rate 7% > 1%",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("timeline:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestTimelineLeavesOutUnrelatedHalts(t *testing.T) {
	t.Parallel()
	rel := &rings.Release{ID: "r1", App: "checkout", CreatedAt: t0}
	cases := []struct {
		name string
		halt rings.Halt
		want bool
	}{
		{"global while alive", rings.Halt{Scope: rings.HaltScope{Global: true}, CreatedAt: t0.Add(time.Minute)}, true},
		{"other app", rings.Halt{Scope: rings.HaltScope{Apps: []string{"ledger"}}, CreatedAt: t0.Add(time.Minute)}, false},
		{"same app", rings.Halt{Scope: rings.HaltScope{Apps: []string{"checkout"}}, CreatedAt: t0.Add(time.Minute)}, true},
		{"resumed before the release", rings.Halt{Scope: rings.HaltScope{Global: true}, CreatedAt: t0.Add(-time.Hour), ResumedAt: t0.Add(-time.Minute)}, false},
		{"automatic, because of it", rings.Halt{ID: "halt-auto-r1-canary", Auto: true, Scope: rings.HaltScope{Regions: []string{"x"}}, CreatedAt: t0.Add(time.Minute)}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := haltTouches(tc.halt, rel); got != tc.want {
				t.Fatalf("haltTouches = %v; want %v", got, tc.want)
			}
		})
	}
}

func TestCountdown(t *testing.T) {
	t.Parallel()
	cases := []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"}, {-time.Second, "0s"}, {12 * time.Second, "12s"}, {4*time.Minute + 5*time.Second, "4m 05s"},
		{62 * time.Minute, "1h 02m"}, {1500 * time.Millisecond, "2s"},
	}
	for _, tc := range cases {
		if got := Countdown(tc.d); got != tc.want {
			t.Errorf("Countdown(%s) = %q; want %q", tc.d, got, tc.want)
		}
	}
}

// TestBoardGolden renders the fixture board and compares it with
// testdata/board.golden.html (go test ./internal/ui -run BoardGolden -update
// rewrites it once the diff is understood).
func TestBoardGolden(t *testing.T) {
	t.Parallel()
	snap, now := fixture(t)
	d := dashboardOf(t, snap, now)
	rec := get(d, "/ui/board")
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /ui/board: %d %s", rec.Code, rec.Body)
	}
	golden.Check(t, "testdata/board.golden.html", rec.Body.Bytes())
}

func TestDashboardRoutes(t *testing.T) {
	t.Parallel()
	snap, now := fixture(t)
	d := dashboardOf(t, snap, now)
	cases := []struct {
		path     string
		code     int
		ctype    string
		contains string
	}{
		{"/", 200, "text/html; charset=utf-8", `<main id="board"`},
		{"/ui/board", 200, "text/html; charset=utf-8", `class="halt-banner"`},
		{"/ui/static/app.js", 200, "text/javascript; charset=utf-8", "Last-Event-ID"},
		{"/ui/static/app.css", 200, "text/css; charset=utf-8", ".halt-banner"},
		{"/ui/static/missing.js", 404, "", ""},
		{"/favicon.ico", 404, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			rec := get(d, tc.path)
			if rec.Code != tc.code {
				t.Fatalf("status %d; want %d", rec.Code, tc.code)
			}
			if tc.ctype != "" && rec.Header().Get("Content-Type") != tc.ctype {
				t.Fatalf("content type %q; want %q", rec.Header().Get("Content-Type"), tc.ctype)
			}
			if !strings.Contains(rec.Body.String(), tc.contains) {
				t.Fatalf("body lacks %q", tc.contains)
			}
		})
	}
}

func TestNewRequiresAStore(t *testing.T) {
	t.Parallel()
	if _, err := New(Config{}); err == nil {
		t.Fatal("New without a Store succeeded")
	}
}

func TestCellHealth(t *testing.T) {
	t.Parallel()
	snap, now := fixture(t)
	s := snap.State.Clone()
	if err := s.CompleteRing("checkout-v2", "canary", now); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkPromoted("checkout-v2", "early", []string{"eu-west-1"}, "p-early", "def456", now); err != nil {
		t.Fatal(err)
	}
	snap.State = *s
	b := BuildBoard(snap, planner.PlanNext(snap.Topology, &snap.State, now), now)
	early := b.Releases[0].Rings[1]
	cases := []struct {
		region, health, version string
	}{
		{"eu-west-1", "unobserved", "v2"}, // promoted; no Argo CD or Prometheus: soak time alone
		{"eu-central-1", "pending", "v1"},
	}
	for _, tc := range cases {
		t.Run(tc.region, func(t *testing.T) {
			for _, c := range early.Cells {
				if c.Region == tc.region {
					if c.Health != tc.health || c.Version != tc.version {
						t.Fatalf("cell %s: %s %s; want %s %s", tc.region, c.Health, c.Version, tc.health, tc.version)
					}
					return
				}
			}
			t.Fatalf("no cell for %s", tc.region)
		})
	}
}

// TestCellShowsFailingChecksAndRollbacks: a region's cell names its
// failed checks in a row and its last failing check, and tells a rollback
// being verified from a verified and a failed one.
func TestCellShowsFailingChecksAndRollbacks(t *testing.T) {
	t.Parallel()
	snap, now := fixture(t)
	s := snap.State.Clone()
	must := ringstest.Must(t)
	bad := &rings.Observation{Check: "error-rate", Value: 0.5, Threshold: "< 0.01", At: now}
	must(s.Observe("checkout-v2", "canary", "us-east-1", true, true, "", bad, now))
	must(s.Observe("checkout-v2", "canary", "us-east-1", true, true, "", bad, now))
	cell := func() CellView {
		t.Helper()
		snap.State = *s
		b := BuildBoard(snap, planner.PlanNext(snap.Topology, &snap.State, now), now)
		return b.Releases[0].Rings[0].Cells[0]
	}
	if c := cell(); c.Failures != 2 || c.Check == nil || c.Check.Value != 0.5 {
		t.Fatalf("cell %+v; want 2 failures and the failing check", c)
	}
	d := dashboardOf(t, snap, now)
	rec := get(d, "/ui/board")
	if body := rec.Body.String(); !strings.Contains(body, "2 failed · error-rate = 0.5 (&lt; 0.01)") {
		t.Errorf("board does not show the failing check:\n%s", body)
	}
	must(s.FailRing("checkout-v2", "canary", "region us-east-1 failed", now))
	must(s.MarkRolledBack("checkout-v2", "canary", []string{"us-east-1"}, "rb", "c9", now))
	if c := cell(); c.Health != "rolling-back" || c.Version != "v1" {
		t.Fatalf("after the rollback landed: %s %s; want rolling-back v1", c.Health, c.Version)
	}
	must(s.FailRollback("checkout-v2", "canary", []string{"us-east-1"}, "still degraded", rings.Halt{ID: "h-rb", Scope: rings.HaltScope{Regions: []string{"us-east-1"}}, Author: "ringleader", Reason: "rollback failed"}, now))
	if c := cell(); c.Health != "rollback-failed" {
		t.Fatalf("after the rollback failed: %s; want rollback-failed", c.Health)
	}
}

// A ring whose last Git write failed transiently shows "retrying: <error>
// (attempt N)" on the board.
func TestBoardShowsAPromotionRetry(t *testing.T) {
	t.Parallel()
	snap, now := fixture(t)
	st := snap.State.Clone()
	rt := rings.PromotionRetry{PromotionID: "checkout-v2/early/eu-west-1", Attempt: 2, Error: "push to git://git/gitops: connection refused", NextAttemptAt: now.Add(2 * time.Second)}
	if err := st.RecordPromotionRetry("checkout-v2", "early", rt, now); err != nil {
		t.Fatal(err)
	}
	snap.State = *st
	d := dashboardOf(t, snap, now)
	rec := get(d, "/ui/board")
	if want := "retrying: push to git://git/gitops: connection refused (attempt 2)"; !strings.Contains(rec.Body.String(), want) {
		t.Fatalf("board lacks %q:\n%s", want, rec.Body)
	}
}

// TestCellHealthInProgress: a region whose rollout is paused shows as in
// progress, not as unhealthy.
func TestCellHealthInProgress(t *testing.T) {
	t.Parallel()
	snap, now := fixture(t)
	s := snap.State.Clone()
	if err := s.ObserveInProgress("checkout-v2", "canary", "us-east-1", true, false, "Suspended: Rollout is paused", nil, now.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	snap.State = *s
	b := BuildBoard(snap, planner.PlanNext(snap.Topology, &snap.State, now), now)
	if got := b.Releases[0].Rings[0].Cells[0]; got.Region != "us-east-1" || got.Health != "in-progress" {
		t.Fatalf("cell %s: %s; want us-east-1 in-progress", got.Region, got.Health)
	}
}
