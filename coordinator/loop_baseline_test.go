package coordinator

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/rings"
)

// indexOf returns the position of the first applied command of typ, or -1.
func (f *loopFixture) indexOf(typ command.Type) int {
	return slices.IndexFunc(f.store.commands(), func(c command.Command) bool { return c.Type == typ })
}

// The first release of an app has no completed release before it: what Git
// holds is recorded before its first promotion, and a failed canary is
// rolled back automatically to it, each region to its own value.
func TestLoopFirstReleaseOfAnAppIsRolledBackToWhatGitHeld(t *testing.T) {
	t.Parallel()
	f := newLoopFixture(t, nil)
	f.promoter.SetCurrent("checkout", "us-east-1", "v1")
	f.promoter.SetCurrent("checkout", "eu-west-1", "v1")
	f.promoter.SetCurrent("checkout", "ap-south-1", "v0.9")
	f.health.Set(RegionHealth{Region: "us-east-1", Synced: true, Healthy: false, Reason: "Degraded: crash loop"})
	id := f.release(t, "v2")
	f.passUntil(t, 50, time.Minute, func(s store.Snapshot) bool {
		return s.State.ReleaseByID(id).Ring("canary").State == rings.RingRollingBack
	})
	// Back on its old version the region recovers: the rollback verifies.
	f.health.Set(RegionHealth{Region: "us-east-1", Synced: true, Healthy: true})
	f.passUntil(t, 50, time.Minute, func(s store.Snapshot) bool {
		return s.State.ReleaseByID(id).State == rings.ReleaseRolledBack
	})
	rel := releaseOf(f.store, id)
	landed := f.promoter.Landed()
	var writes []string
	for _, p := range landed {
		writes = append(writes, p.Ring+" "+p.Version+" rollback="+map[bool]string{true: "yes", false: "no"}[p.Rollback])
	}
	var baselineAsked string
	for _, q := range f.health.Queries() {
		if q.Version == "v2" { // the canary's, not the rollback's verification
			baselineAsked = q.BaselineVersion
		}
	}
	cases := []struct {
		name      string
		got, want any
	}{
		{"no previous version was given or completed", rel.PreviousVersion, ""},
		{"baseline recorded once", len(f.commandsOf(command.CmdRecordBaseline)), 1},
		{"baseline recorded before the first promotion", f.indexOf(command.CmdRecordBaseline) >= 0 && f.indexOf(command.CmdRecordBaseline) < f.indexOf(command.CmdPromoted), true},
		{"baseline request id derived from the release", firstRequestID(f.commandsOf(command.CmdRecordBaseline)), "loop/baseline/" + id},
		{"each region's previous version", maps.Equal(rel.PreviousVersions, map[string]string{"us-east-1": "v1", "eu-west-1": "v1", "ap-south-1": "v0.9"}), true},
		{"promoted, then rolled back to what Git held", strings.Join(writes, "; "), "canary v2 rollback=no; canary v1 rollback=yes"},
		{"the canary was compared with the baseline regions' version", baselineAsked, "v1"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

// A region whose target did not exist before the release is not written
// back: the release is halted, naming it.
func TestLoopRegionWithoutAPreviousValueHaltsNamingIt(t *testing.T) {
	t.Parallel()
	f := newLoopFixture(t, nil)
	f.health.Set(RegionHealth{Region: "us-east-1", Synced: true, Healthy: false, Reason: "Degraded: crash loop"})
	id := f.release(t, "v2")
	f.passUntil(t, 50, time.Minute, func(s store.Snapshot) bool {
		r := s.State.ReleaseByID(id)
		return r.State == rings.ReleaseHalted && strings.Contains(r.Reason, "rolled back")
	})
	rel := releaseOf(f.store, id)
	if !strings.Contains(rel.Reason, "region us-east-1") || !strings.Contains(rel.Reason, "did not exist") {
		t.Errorf("reason %q; want it to name us-east-1 and say its target did not exist", rel.Reason)
	}
	for _, p := range f.promoter.Landed() {
		if p.Rollback {
			t.Errorf("a rollback was written without a previous value: %+v", p.Promotion)
		}
	}
}

// When Git cannot be read, nothing is promoted and the release says why;
// once it can, the baseline is recorded once and the release goes on.
func TestLoopBaselineReadFailureHoldsTheFirstPromotion(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	failing, reads := true, 0
	f := newLoopFixture(t, nil)
	f.promoter.ReadBaselineFn = func(ctx context.Context, app string, regions []string) (BaselineRead, error) {
		mu.Lock()
		defer mu.Unlock()
		reads++
		if failing {
			return BaselineRead{}, errors.New("fetch: connection refused")
		}
		out := BaselineRead{Commit: "abc", Targets: map[string][]rings.TargetValue{}}
		for _, r := range regions {
			out.Targets[r] = []rings.TargetValue{{File: "f.yaml", Target: "yamlPath image.tag", Value: "v1"}}
		}
		return out, nil
	}
	id := f.release(t, "v2")
	for range 3 {
		f.loop.ReconcileOnce(context.Background())
	}
	waiting := releaseOf(f.store, id)
	promotedWhileFailing := len(f.promoter.Landed())
	reasonsRecorded := 0
	for _, c := range f.commandsOf(command.CmdSetReleaseState) {
		if strings.Contains(string(c.Payload), "connection refused") {
			reasonsRecorded++
		}
	}
	mu.Lock()
	failing = false
	failedReads := reads
	mu.Unlock()
	f.passUntil(t, 10, time.Second, func(store.Snapshot) bool { return len(f.commandsOf(command.CmdPromoted)) == 1 })
	after := releaseOf(f.store, id)
	cases := []struct {
		name      string
		got, want any
	}{
		{"nothing promoted while Git cannot be read", promotedWhileFailing, 0},
		{"the release says why", strings.Contains(waiting.Reason, "connection refused"), true},
		{"the reason is recorded once", reasonsRecorded, 1},
		{"read again every pass (the first started the release)", failedReads, 2},
		{"recorded once it can be read", len(f.commandsOf(command.CmdRecordBaseline)), 1},
		{"from the commit read", after.BaselineCommit, "abc"},
		{"the reason is cleared", after.Reason, ""},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

// After failover the new leader finds the baseline recorded and does not
// read Git again; a retried or repeated record changes nothing.
func TestLoopBaselineIsRecordedOncePerRelease(t *testing.T) {
	t.Parallel()
	f := newLoopFixture(t, nil)
	f.promoter.SetCurrent("checkout", "us-east-1", "v1")
	id := f.release(t, "v2")
	f.passUntil(t, 10, time.Second, func(store.Snapshot) bool { return len(f.commandsOf(command.CmdPromoted)) == 1 })
	before := releaseOf(f.store, id)

	reads := 0
	next := &MemPromoter{ReadBaselineFn: func(ctx context.Context, app string, regions []string) (BaselineRead, error) {
		reads++
		return BaselineRead{}, errors.New("should not be asked")
	}}
	l2, err := NewLoop(LoopConfig{Store: f.store, Promoter: next, Health: f.health, Fence: f.fence, Clock: f.clock, Interval: time.Hour, Logger: loopLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		l2.ReconcileOnce(context.Background())
		f.clock.Advance(time.Minute)
	}
	recorded := f.commandsOf(command.CmdRecordBaseline)
	if len(recorded) != 1 {
		t.Fatalf("%d baselines recorded before the failover, want 1", len(recorded))
	}
	retry := recorded[0]
	other := command.RecordBaseline{ReleaseID: id, Commit: "other", Regions: []rings.RegionBaseline{
		{Region: "us-east-1", Version: "v0"}, {Region: "eu-west-1", Version: "v0"}, {Region: "ap-south-1", Version: "v0"}}}
	_, retryErr := f.store.Apply(context.Background(), retry)
	fresh := mustCommand(t, command.CmdRecordBaseline, other)
	_, freshErr := f.store.Apply(context.Background(), fresh)
	after := releaseOf(f.store, id)
	cases := []struct {
		name      string
		got, want any
	}{
		{"the new leader did not read Git", reads, 0},
		{"a retry with the same request id applies once", retryErr, nil},
		{"a second record is accepted as a no-op", freshErr, nil},
		{"the first record stands", after.BaselineCommit == before.BaselineCommit && maps.Equal(after.PreviousVersions, before.PreviousVersions), true},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestProcessRecordBaselineRefusesBadInput(t *testing.T) {
	t.Parallel()
	store := newTStore(true).withTopology(t)
	id := store.mustApply(t, command.CmdCreateRelease, command.CreateRelease{ID: "r1", App: "checkout", Version: "v2"}).ID
	for _, tc := range []struct {
		name string
		p    command.RecordBaseline
		want error
	}{
		{"no regions", command.RecordBaseline{ReleaseID: id}, command.ErrInvalid},
		{"a region missing", command.RecordBaseline{ReleaseID: id, Regions: []rings.RegionBaseline{{Region: "us-east-1", Version: "v1"}}}, command.ErrInvalid},
		{"unknown release", command.RecordBaseline{ReleaseID: "nope", Regions: []rings.RegionBaseline{{Region: "us-east-1", Version: "v1"}}}, command.ErrNotFound},
	} {
		before := releaseOf(store, id).BaselineAt
		_, err := store.Apply(context.Background(), mustCommand(t, command.CmdRecordBaseline, tc.p))
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
		if !releaseOf(store, id).BaselineAt.Equal(before) {
			t.Errorf("%s: a refused record changed the release", tc.name)
		}
	}
}

// releaseOf returns release id from the store's current state.
func releaseOf(s *tstore, id string) *rings.Release {
	snap := s.Snapshot()
	return snap.State.ReleaseByID(id)
}

// firstRequestID returns the request ID of the first command, "" if none.
func firstRequestID(cmds []command.Command) string {
	if len(cmds) == 0 {
		return ""
	}
	return cmds[0].RequestID
}
