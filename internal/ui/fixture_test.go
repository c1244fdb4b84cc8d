package ui

import (
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/ringstest"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// t0 is when the fixture release is created.
var t0 = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

// fixture is a snapshot with one release whose canary soaks, a global halt
// and three budgets, and "now" 25 minutes after creation.
func fixture(t *testing.T) (store.Snapshot, time.Time) {
	t.Helper()
	top := ringstest.ParseFile(t, "testdata/topology.yaml")
	s := &rings.State{}
	must := ringstest.Must(t)
	_, err := s.CreateRelease(top, "checkout-v2", "checkout", "v2", "", "", time.Time{}, t0, "alice", "v1")
	must(err)
	must(s.SetRisk("checkout-v2", &topology.DREAD{Damage: 8, Reproducibility: 8, Exploitability: 8, Affected: 9, Discoverability: 9}, "alice", "touches payments", t0))
	must(s.StartRelease("checkout-v2", t0.Add(time.Minute)))
	must(s.MarkPromoted("checkout-v2", "canary", []string{"us-east-1"}, "checkout-v2/canary/us-east-1", "abc123", t0.Add(2*time.Minute)))
	must(s.Observe("checkout-v2", "canary", "us-east-1", true, true, "", &rings.Observation{Check: "error-rate", Value: 0.002, Threshold: "< 0.01", Pass: true, At: t0.Add(5 * time.Minute)}, t0.Add(5*time.Minute)))
	must(s.StartSoak("checkout-v2", "canary", t0.Add(5*time.Minute)))
	must(s.PlaceHalt(rings.Halt{ID: "halt-0000beef", Scope: rings.HaltScope{Global: true}, Author: "bob", Reason: "incident 12: error rate up", CreatedAt: t0.Add(20 * time.Minute)}))
	for region, pct := range map[string]float64{"us-east-1": 80, "eu-west-1": 40, "eu-central-1": 10} {
		s.RecordBudget(rings.Budget{App: "checkout", Region: region, RemainingPercent: pct, RemainingSeconds: pct * 25.92, At: t0})
	}
	s.RecordBudget(rings.Budget{App: "cart", Region: "us-east-1", RemainingPercent: 100, RemainingSeconds: 2592, At: t0})
	s.RecordBudget(rings.Budget{Region: "ap-south-1", RemainingPercent: 3, At: t0}) // an old figure of no app: not shown
	return store.Snapshot{State: *s, Topology: top, TopologyRevision: "rev-1", AppliedIndex: 42}, t0.Add(25 * time.Minute)
}

// stubStore is a Store that serves one snapshot.
type stubStore struct{ snap store.Snapshot }

func (s stubStore) View() store.Snapshot      { return s.snap }
func (s stubStore) IsLeader() bool            { return true }
func (s stubStore) Leader() (id, addr string) { return "n1", "127.0.0.1:7070" }
