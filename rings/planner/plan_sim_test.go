package planner

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/ringstest"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// The -update flag rewrites golden files. Another test file of the package
// may declare it already; register it only if nobody did.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files under testdata/")
	}
}

func updateGolden() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// simEvent is something the world does at a time: a region reports, a
// person approves or halts.
type simEvent struct {
	at   time.Time
	what string
	do   func(s *rings.State, at time.Time) error
}

// sim drives PlanNext the way the coordinator's leader loop does: carry out
// every action through the transitions, plan again at once, and when there
// is nothing to do move the clock to the next check or the next event.
type sim struct {
	t      *testing.T
	top    *topology.Topology
	s      *rings.State
	now    time.Time
	events []simEvent
	out    strings.Builder
	// failing names app/ring pairs whose analysis checks fail.
	failing map[string]bool
}

func (m *sim) at(at time.Time, what string, do func(s *rings.State, at time.Time) error) {
	m.events = append(m.events, simEvent{at: at, what: what, do: do})
	slices.SortStableFunc(m.events, func(a, b simEvent) int { return a.at.Compare(b.at) })
}

func (m *sim) logf(format string, args ...any) {
	fmt.Fprintf(&m.out, "%s  %s\n", m.now.Format("Mon 2006-01-02 15:04Z"), fmt.Sprintf(format, args...))
}

// apply carries out one action and schedules the world's answer to it.
func (m *sim) apply(a Action) error {
	switch a.Kind {
	case ActPromote:
		if err := m.s.MarkPromoted(a.ReleaseID, a.Ring, a.Regions, a.PromotionID, "c-"+a.PromotionID, m.now); err != nil {
			return err
		}
		for _, name := range a.Regions {
			region, _ := m.top.RegionByName(name)
			if !region.HasHealthSources() {
				continue
			}
			id, ring := a.ReleaseID, a.Ring
			m.at(m.now.Add(3*time.Minute), fmt.Sprintf("%s reports %s synced and healthy", name, id), func(s *rings.State, at time.Time) error {
				return s.Observe(id, ring, name, true, true, "Healthy", nil, at)
			})
		}
		return nil
	case ActStartSoak:
		if err := m.s.StartSoak(a.ReleaseID, a.Ring, m.now); err != nil {
			return err
		}
		r := m.s.ReleaseByID(a.ReleaseID)
		if m.failing[r.App+"/"+a.Ring] {
			id, ring := a.ReleaseID, a.Ring
			region := r.Ring(ring).Regions[0].Name
			for i := 1; i <= 5; i++ {
				m.at(m.now.Add(time.Duration(i)*time.Minute), fmt.Sprintf("analysis of %s in %s fails", id, region), func(s *rings.State, at time.Time) error {
					o := &rings.Observation{Region: region, Check: "success-rate", Value: 97.5, Threshold: ">= 99", At: at}
					return s.Observe(id, ring, region, true, true, "Healthy", o, at)
				})
			}
		}
		return nil
	case ActRollback:
		if err := m.s.MarkRolledBack(a.ReleaseID, a.Ring, a.Regions, a.PromotionID, "c-"+a.PromotionID, m.now); err != nil {
			return err
		}
		// The regions sync the rollback and report good evidence every
		// minute until it is verified.
		for _, name := range a.Regions {
			region, _ := m.top.RegionByName(name)
			if !region.HasHealthSources() {
				continue
			}
			id, ring := a.ReleaseID, a.Ring
			for i := 1; i <= 3; i++ {
				m.at(m.now.Add(time.Duration(i)*time.Minute), fmt.Sprintf("%s reports the rollback of %s synced and healthy", name, id), func(s *rings.State, at time.Time) error {
					o := &rings.Observation{Region: name, Check: "success-rate", Value: 99.9, Threshold: ">= 99", Pass: true, At: at}
					return s.Observe(id, ring, name, true, true, "Healthy", o, at)
				})
			}
		}
		return nil
	}
	return simulate(m.s, a, m.now)
}

func (m *sim) run(until time.Time) {
	m.t.Helper()
	for step := 0; step < 5000; step++ {
		plan := PlanNext(m.top, m.s, m.now)
		if len(plan.Actions) > 0 {
			for _, a := range plan.Actions {
				m.logf("%s", describeAction(a))
				if err := m.apply(a); err != nil {
					m.t.Fatalf("apply %s at %s: %v", a.Kind, stamp(m.now), err)
				}
			}
			continue
		}
		for _, w := range plan.Waits {
			m.logf("    wait %s", describeWait(w))
		}
		next := plan.NextCheck
		if len(m.events) > 0 && (next.IsZero() || !m.events[0].at.After(next)) {
			next = m.events[0].at
		}
		if next.IsZero() || next.After(until) {
			m.logf("end")
			return
		}
		if !next.After(m.now) && (len(m.events) == 0 || m.events[0].at.After(m.now)) {
			m.t.Fatalf("the clock would not move at %s", stamp(m.now))
		}
		m.now = next
		for len(m.events) > 0 && !m.events[0].at.After(m.now) {
			e := m.events[0]
			m.events = m.events[1:]
			m.logf("event: %s", e.what)
			if err := e.do(m.s, m.now); err != nil {
				m.t.Fatalf("event %q at %s: %v", e.what, stamp(m.now), err)
			}
		}
	}
	m.t.Fatal("the simulation did not end within 5000 steps")
}

func describeAction(a Action) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", a.Kind, a.ReleaseID)
	if a.Ring != "" {
		fmt.Fprintf(&b, " ring=%s", a.Ring)
	}
	if len(a.Regions) > 0 {
		fmt.Fprintf(&b, " regions=%s", strings.Join(a.Regions, ","))
	}
	if a.Version != "" {
		fmt.Fprintf(&b, " version=%s", a.Version)
	}
	if a.PromotionID != "" {
		fmt.Fprintf(&b, " id=%s", a.PromotionID)
	}
	if a.State != "" {
		fmt.Fprintf(&b, " state=%s", a.State)
	}
	if a.Halt != nil {
		fmt.Fprintf(&b, " scope=%+v", *a.Halt)
	}
	if a.Reason != "" {
		fmt.Fprintf(&b, " (%s)", a.Reason)
	}
	return b.String()
}

func describeWait(w Wait) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", w.Reason, w.ReleaseID)
	if w.Ring != "" {
		fmt.Fprintf(&b, " ring=%s", w.Ring)
	}
	if len(w.Regions) > 0 {
		fmt.Fprintf(&b, " regions=%s", strings.Join(w.Regions, ","))
	}
	if !w.Until.IsZero() {
		fmt.Fprintf(&b, " until=%s", stamp(w.Until))
	}
	return b.String() + ": " + w.Detail
}

// TestSimulatedRollout rolls three releases through the example topology
// with an incident halt, approvals, a queued release and a failing canary,
// and compares the trace with testdata/plan/rollout.golden.
func TestSimulatedRollout(t *testing.T) {
	t.Parallel()
	top := exampleTopology(t)
	start := ringstest.Time(t, "2026-12-03T20:00:00Z") // Thursday evening
	m := &sim{t: t, top: top, s: &rings.State{}, now: start, failing: map[string]bool{"ledger/canary": true}}
	fxMeasureBudgets(top, m.s, 100)
	create := func(id, app, version, prev string) {
		if _, err := m.s.CreateRelease(top, id, app, version, "", "", time.Time{}, m.now, "alice", prev); err != nil {
			t.Fatal(err)
		}
	}
	create("r1", "checkout", "2.0", "1.0")
	create("r2", "checkout", "2.1", "")
	create("r3", "ledger", "5.0", "4.9")
	m.at(ringstest.Time(t, "2026-12-04T09:00:00Z"), "bob approves ring early of r1", func(s *rings.State, at time.Time) error {
		return s.Approve("r1", "early", "bob", "canary looks fine", at)
	})
	m.at(ringstest.Time(t, "2026-12-07T08:00:00Z"), "incident commander halts everything", func(s *rings.State, at time.Time) error {
		return s.PlaceHalt(rings.Halt{ID: "h-incident", Scope: rings.HaltScope{Global: true}, Author: "ic", Reason: "INC-42 payment errors", CreatedAt: at})
	})
	m.at(ringstest.Time(t, "2026-12-07T09:30:00Z"), "incident commander resumes", func(s *rings.State, at time.Time) error {
		return s.ResumeHalt("h-incident", "ic", "INC-42 mitigated", at)
	})
	m.at(ringstest.Time(t, "2026-12-08T00:30:00Z"), "carol approves ring early of r2", func(s *rings.State, at time.Time) error {
		return s.Approve("r2", "early", "carol", "ok", at)
	})
	m.logf("start")
	m.run(ringstest.Time(t, "2026-12-31T00:00:00Z"))

	for _, want := range []struct{ id, state string }{{"r1", "completed"}, {"r2", "completed"}, {"r3", "rolled-back"}} {
		if got := string(m.s.ReleaseByID(want.id).State); got != want.state {
			t.Errorf("release %s ended %s, want %s", want.id, got, want.state)
		}
	}
	path := filepath.Join("testdata", "plan", "rollout.golden")
	if updateGolden() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(m.out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if got := m.out.String(); got != string(want) {
		t.Fatalf("trace differs from %s (run with -update after checking the diff):\n%s", path, got)
	}
}

// BenchmarkPlanNext plans 1000 running releases of 1000 apps, a third each
// pending on a windowed ring, syncing and soaking, plus 1000 queued ones.
func BenchmarkPlanNext(b *testing.B) {
	top := ringstest.Topology(b)
	s := &rings.State{}
	at := ringstest.T0
	for i := 0; i < 1000; i++ {
		app := fmt.Sprintf("app-%d", i)
		top.Spec.Apps = append(top.Spec.Apps, topology.App{Name: app})
	}
	fxMeasureBudgets(top, s, 100)
	for i := 0; i < 1000; i++ {
		app, id := fmt.Sprintf("app-%d", i), fmt.Sprintf("r%d", i)
		if _, err := s.CreateRelease(top, id, app, "2.0", "", "", time.Time{}, at, "bench", "1.0"); err != nil {
			b.Fatal(err)
		}
		must := func(err error) {
			if err != nil {
				b.Fatal(err)
			}
		}
		must(s.StartRelease(id, at))
		must(s.MarkPromoted(id, "canary", []string{"us-east-1"}, id+"/c", "c", at))
		switch i % 3 {
		case 0:
			must(s.StartSoak(id, "canary", at))
			must(s.CompleteRing(id, "canary", at))
		case 1:
			must(s.StartSoak(id, "canary", at))
		}
	}
	for i := 0; i < 1000; i++ {
		if _, err := s.CreateRelease(top, fmt.Sprintf("q%d", i), fmt.Sprintf("app-%d", i), "2.1", "", "", time.Time{}, at, "bench", ""); err != nil {
			b.Fatal(err)
		}
	}
	now := ringstest.Time(b, "2026-12-04T15:00:00Z")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = PlanNext(top, s, now)
	}
}
