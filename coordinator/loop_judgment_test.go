package coordinator

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/rings"
)

// judgmentTopology has a two-region canary ring with a metrics source in
// each region, an analysis every minute failing a region after 3 failed
// checks, and rollbacks verified for 2m within 15m.
const judgmentTopology = `apiVersion: ringleader.dev/v1alpha1
kind: Topology
metadata: {name: judgment}
spec:
  gitops: {repo: https://git.example.com/deploy.git, branch: main}
  regions:
    - {name: us-east-1, timezone: UTC, prometheus: {url: "http://prom-use1.example.com:9090"}}
    - {name: us-east-2, timezone: UTC, prometheus: {url: "http://prom-use2.example.com:9090"}}
    - {name: eu-west-1, timezone: UTC, prometheus: {url: "http://prom-euw1.example.com:9090"}}
  rings:
    - {name: canary, regions: [us-east-1, us-east-2], soak: 30m}
    - {name: early, regions: [eu-west-1], soak: 1h}
  policy:
    onFailure: halt-later-rings
    rollback: {mode: automatic, verify: 2m, timeout: 15m}
    analysis:
      interval: 1m
      failureThreshold: 3
      metrics: [{name: error-rate, query: 'errors{region="{{region}}"}', max: 0.05}]
  apps:
    - name: checkout
      targets: [{file: "apps/checkout/{{region}}/values.yaml", yamlPath: image.tag}]
`

// regionWorld answers health queries like regions running versions: a
// region in bad serves 50 % errors on the version being judged, unless the
// version is in cured.
type regionWorld struct {
	mu    sync.Mutex
	bad   map[string]bool // region → bad on the new version
	stuck map[string]bool // region → bad whatever it runs (a rollback does not cure it)
	asked []HealthQuery
}

func (w *regionWorld) Observe(_ context.Context, q HealthQuery) ([]RegionHealth, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.asked = append(w.asked, q)
	var out []RegionHealth
	for _, tg := range q.Regions {
		bad := w.stuck[tg.Region] || (w.bad[tg.Region] && q.Version == "v2")
		h := RegionHealth{Region: tg.Region, Synced: true, Healthy: true}
		if q.Soaking {
			c := rings.Observation{Check: "error-rate", Value: 0.001, Threshold: "<= 0.05", Pass: true}
			if bad {
				c.Value, c.Pass = 0.5, false
			}
			h.Checks = []rings.Observation{c}
		}
		out = append(out, h)
	}
	return out, nil
}

func newJudgmentFixture(t *testing.T, world *regionWorld) *loopFixture {
	t.Helper()
	f := &loopFixture{store: newTStore(true), promoter: &MemPromoter{}, fence: &MemFence{}, clock: NewManualClock(loopStart)}
	src := []byte(judgmentTopology)
	f.store.mustApply(t, command.CmdAdoptTopology, command.AdoptTopology{Revision: TopologyRevision(src), Path: "judgment.yaml", Source: src})
	f.loop = f.newLoop(t, world)
	return f
}

// newLoop is another leader loop over the fixture's store and clock (a new
// leader after failover sees the same replicated state).
func (f *loopFixture) newLoop(t *testing.T, world *regionWorld) *Loop {
	t.Helper()
	l, err := NewLoop(LoopConfig{Store: f.store, Promoter: f.promoter, Health: world, Fence: f.fence, Clock: f.clock, Interval: time.Hour, Logger: loopLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func (f *loopFixture) releaseFrom(t *testing.T, version, previous string) string {
	t.Helper()
	return f.store.mustApply(t, command.CmdCreateRelease, command.CreateRelease{ID: "checkout-" + version, App: "checkout", Version: version, PreviousVersion: previous}).ID
}

// TestLoopOneBadRegionFailsTheRingAndRollsBackBoth: us-east-2 serves
// errors on v2, us-east-1 does not. The ring fails within threshold ×
// interval + one interval of its soak start, naming us-east-2; both
// regions are rolled back; early is never promoted; the release is
// rolled-back only once both regions verified the old version.
func TestLoopOneBadRegionFailsTheRingAndRollsBackBoth(t *testing.T) {
	t.Parallel()
	world := &regionWorld{bad: map[string]bool{"us-east-2": true}}
	f := newJudgmentFixture(t, world)
	id := f.releaseFrom(t, "v2", "v1")
	f.passUntil(t, 100, time.Minute, func(s store.Snapshot) bool { return !s.State.ReleaseByID(id).Ring("canary").FailedAt.IsZero() })
	snap0 := f.store.Snapshot()
	canary := snap0.State.ReleaseByID(id).Ring("canary")
	if took := canary.FailedAt.Sub(canary.SoakStartedAt); took > 4*time.Minute {
		t.Errorf("ring failed %s after its soak started; want within 3 × 1m + 1m", took)
	}
	if !strings.Contains(canary.Reason, "us-east-2") || !strings.Contains(canary.Reason, "error-rate = 0.5") {
		t.Errorf("failure reason %q does not name us-east-2 and its value", canary.Reason)
	}
	f.passUntil(t, 100, time.Minute, func(s store.Snapshot) bool { return s.State.ReleaseByID(id).State.Terminal() })
	snap1 := f.store.Snapshot()
	rel := snap1.State.ReleaseByID(id)
	if rel.State != rings.ReleaseRolledBack {
		t.Fatalf("release %s (%s), want rolled-back", rel.State, rel.Reason)
	}
	var rolledBack []string
	for _, p := range f.promoter.Landed() {
		if p.Ring == "early" {
			t.Fatalf("early was promoted after canary failed: %+v", p)
		}
		if p.Rollback {
			rolledBack = append(rolledBack, p.Regions...)
		}
	}
	slices.Sort(rolledBack)
	if !slices.Equal(rolledBack, []string{"us-east-1", "us-east-2"}) {
		t.Errorf("rolled back %v, want both canary regions", rolledBack)
	}
	for _, g := range rel.Ring("canary").Regions {
		if !g.RollbackVerified() || g.RollbackVerifiedAt.Sub(g.RolledBackAt) < 2*time.Minute {
			t.Errorf("%s: rollback verified at %s, landed at %s; want verified after 2m of good evidence", g.Name, g.RollbackVerifiedAt, g.RolledBackAt)
		}
	}
	// The rollback was judged on the version it restores.
	world.mu.Lock()
	defer world.mu.Unlock()
	last := world.asked[len(world.asked)-1]
	if last.Version != "v1" || last.Regions[0].Commit == "" || !last.Soaking {
		t.Errorf("verification asked %+v; want v1 at the rollback commit, analysed", last)
	}
}

// TestLoopRollbackThatStaysDegradedFails: us-east-2 stays bad after its
// rollback. The release ends rollback-failed at the timeout, a halt on
// us-east-2 is active and fenced into Git, and a new leader taking over in
// the middle of the verification keeps the deadline.
func TestLoopRollbackThatStaysDegradedFails(t *testing.T) {
	t.Parallel()
	world := &regionWorld{stuck: map[string]bool{"us-east-2": true}}
	f := newJudgmentFixture(t, world)
	id := f.releaseFrom(t, "v2", "v1")
	f.passUntil(t, 100, time.Minute, func(s store.Snapshot) bool {
		return s.State.ReleaseByID(id).Ring("canary").State == rings.RingRollingBack
	})
	snap0 := f.store.Snapshot()
	landed := snap0.State.ReleaseByID(id).Ring("canary").Region("us-east-2").RolledBackAt

	// Failover: a new leader picks up the verification 5 minutes later.
	f.clock.Set(landed.Add(5 * time.Minute))
	f.loop = f.newLoop(t, world)
	f.passUntil(t, 100, time.Minute, func(s store.Snapshot) bool { return s.State.ReleaseByID(id).State.Terminal() })
	snap := f.store.Snapshot()
	rel := snap.State.ReleaseByID(id)
	if rel.State != rings.ReleaseRollbackFailed {
		t.Fatalf("release %s (%s), want rollback-failed", rel.State, rel.Reason)
	}
	g := rel.Ring("canary").Region("us-east-2")
	if failedAfter := g.RollbackFailedAt.Sub(landed); failedAfter < 15*time.Minute || failedAfter > 16*time.Minute {
		t.Errorf("rollback failed %s after it landed; want at the 15m timeout, kept across the failover", failedAfter)
	}
	if ok := rel.Ring("canary").Region("us-east-1"); !ok.RollbackVerified() {
		t.Errorf("us-east-1 recovered but its rollback is not verified: %+v", ok)
	}
	halts := snap.State.CoveringHalts("another-release", "another-app", "any-ring", []string{"us-east-2"})
	if len(halts) != 1 || !halts[0].Auto || !strings.Contains(halts[0].Reason, "us-east-2") {
		t.Fatalf("halts covering us-east-2: %+v; want one automatic halt naming it", halts)
	}
	fenced, _ := f.fence.Halts()
	if !slices.Contains(fenced, halts[0].ID) {
		t.Errorf("fence holds %v, want the rollback halt %s", fenced, halts[0].ID)
	}
	if n := len(f.commandsOf(command.CmdRollbackFailed)); n != 1 {
		t.Errorf("%d rollback-failed commands, want 1", n)
	}
	if a := Attentions(&snap.State); len(a) != 1 || a[0].ReleaseID != id || !slices.Equal(a[0].Regions, []string{"us-east-2"}) {
		t.Errorf("attention %+v, want the failed rollback of us-east-2", a)
	}
	// Resuming the halt (a person looked) takes it off the list.
	f.store.mustApply(t, command.CmdResumeHalt, command.ResumeHalt{HaltID: halts[0].ID, Reason: "drained us-east-2 by hand"})
	after := f.store.Snapshot()
	if a := Attentions(&after.State); len(a) != 0 {
		t.Errorf("attention %+v after the halt was resumed, want none", a)
	}
}
