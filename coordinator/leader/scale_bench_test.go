package leader

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/coordinator/coordtest"
	"github.com/ringleader-dev/ringleader/coordinator/httpapi"
	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/coordinator/store/storetest"
	"github.com/ringleader-dev/ringleader/internal/scalegen"
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/planner"
)

// Scale benchmarks: N apps × 50 regions × 4 rings with a release running
// for every app (each soaking in ring 0, the state the loop spends most of
// its time in). Run them alone:
//
//	go test -run '^$' -bench 'Scale' -benchmem -benchtime 200x ./coordinator/leader/
//	go test -run '^$' -bench 'HaltReach' -benchtime 50x ./coordinator/leader/
//
// BENCHMARKS.md at the repository root records the numbers.

// scaleApps are the sizes every scale benchmark runs at.
var scaleApps = []int{100, 500, 2000}

// scaleFixture is a leader loop over an in-memory store (the real FSM,
// no Raft) holding one running release per app.
type scaleFixture struct {
	store *coordtest.Store
	clock *ManualClock
	loop  *Loop
}

var (
	scaleMu       sync.Mutex
	scaleFixtures = map[int]*scaleFixture{}
)

// scaleState returns the fixture for apps, built once per test binary: the
// benchmark framework calls each benchmark twice (b.N = 1, then the asked
// count) and building the 2,000-app state takes seconds.
func scaleState(b *testing.B, apps int) *scaleFixture {
	b.Helper()
	scaleMu.Lock()
	defer scaleMu.Unlock()
	if f, ok := scaleFixtures[apps]; ok {
		return f
	}
	src, err := scalegen.Topology(scalegen.Shape{Apps: apps, Regions: 50, Rings: 4, Soak: "1h"})
	if err != nil {
		b.Fatal(err)
	}
	f := &scaleFixture{store: coordtest.NewStore(true), clock: NewManualClock(loopStart)}
	seed(b, f.store, command.CmdAdoptTopology, command.AdoptTopology{Revision: rings.TopologyRevision(src), Path: "scale.yaml", Source: src})
	for i := range apps {
		seed(b, f.store, command.CmdCreateRelease, command.CreateRelease{ID: scalegen.AppName(i) + "-v2", App: scalegen.AppName(i), Version: "v2"})
	}
	// The store lends its state in place for the fence check, as *Node does.
	f.loop, err = NewLoop(LoopConfig{
		Store: f.store, Promoter: &MemPromoter{}, Health: &MemHealth{}, Fence: &MemFence{},
		Clock: f.clock, Interval: time.Hour, Logger: coordtest.Discard(),
	})
	if err != nil {
		b.Fatal(err)
	}
	// Passes until every release soaks in ring 0 (start, promote, synced,
	// soak started): a handful of passes, each acting on every release.
	for pass := 0; ; pass++ {
		f.loop.ReconcileOnce(context.Background())
		f.clock.Advance(time.Second)
		if allSoakingRing0(f.store.Snapshot().State, apps) {
			break
		}
		if pass > 20 {
			b.Fatalf("releases not all soaking in ring 0 after %d passes", pass)
		}
	}
	scaleFixtures[apps] = f
	return f
}

func allSoakingRing0(s rings.State, apps int) bool {
	n := 0
	for _, r := range s.Releases {
		if r.State == rings.ReleaseRunning && len(r.Rings) > 0 && r.Rings[0].State == rings.RingSoaking {
			n++
		}
	}
	return n == apps
}

// BenchmarkScaleReconcilePass measures one leader reconcile pass over the
// full state: snapshot, fence sync, observe (nothing due), planner.PlanNext
// (from the same snapshot, since nothing was applied), and nothing to act
// on. One op is one pass; the clock moves 1 ms per pass so no soak or
// analysis interval falls due. The store lends its state and its applied
// index as *Node does.
func BenchmarkScaleReconcilePass(b *testing.B) {
	benchScaleOp(b, func(_ *testing.B, f *scaleFixture) func() {
		return func() {
			f.clock.Advance(time.Millisecond) // a fake clock: nanoseconds next to a pass
			f.loop.ReconcileOnce(context.Background())
		}
	})
}

// benchScaleOp runs, at every scale, the op that setup prepares (untimed)
// b.N times and reports the op's latency percentiles.
func benchScaleOp(b *testing.B, setup func(b *testing.B, f *scaleFixture) func()) {
	for _, apps := range scaleApps {
		b.Run(fmt.Sprintf("apps=%d", apps), func(b *testing.B) {
			op := setup(b, scaleState(b, apps))
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				start := time.Now()
				op()
				lat = append(lat, time.Since(start))
			}
			b.StopTimer()
			storetest.ReportPercentiles(b, lat)
		})
	}
}

// BenchmarkScalePlanNext measures planner.PlanNext alone over the same state.
func BenchmarkScalePlanNext(b *testing.B) {
	benchScaleOp(b, func(_ *testing.B, f *scaleFixture) func() {
		snap := f.store.Snapshot()
		now := f.clock.Now()
		return func() { planner.PlanNext(snap.Topology, &snap.State, now) }
	})
}

// BenchmarkScaleSnapshot measures the Raft snapshot of the FSM: Snapshot
// (the part under the FSM's lock, which holds up Apply, reported alone as
// locked-ms) plus Persist (encode), its size, and Restore of the persisted
// bytes into a fresh FSM. One op is snapshot+persist+restore.
func BenchmarkScaleSnapshot(b *testing.B) {
	for _, apps := range scaleApps {
		b.Run(fmt.Sprintf("apps=%d", apps), func(b *testing.B) {
			f := scaleState(b, apps)
			var snapT, lockT, restoreT []time.Duration
			size := 0
			b.ResetTimer()
			for range b.N {
				start := time.Now()
				s, err := f.store.FSM.Snapshot()
				if err != nil {
					b.Fatal(err)
				}
				lockT = append(lockT, time.Since(start))
				sink := &storetest.Sink{}
				if err := s.Persist(sink); err != nil {
					b.Fatal(err)
				}
				snapT = append(snapT, time.Since(start))
				size = sink.Len()
				start = time.Now()
				if err := store.NewFSM(0).Restore(io.NopCloser(sink)); err != nil {
					b.Fatal(err)
				}
				restoreT = append(restoreT, time.Since(start))
			}
			b.StopTimer()
			slices.Sort(snapT)
			slices.Sort(lockT)
			slices.Sort(restoreT)
			b.ReportMetric(storetest.Millis(snapT[len(snapT)/2]), "snapshot-ms")
			b.ReportMetric(storetest.Millis(lockT[len(lockT)/2]), "locked-ms")
			b.ReportMetric(storetest.Millis(restoreT[len(restoreT)/2]), "restore-ms")
			b.ReportMetric(float64(size)/(1<<20), "snapshot-MiB")
		})
	}
}

// BenchmarkHaltReach measures what a halt reaches: per trial, a leader loop
// promotes ring 0 of 20 releases through a slow promoter (5 ms per push,
// the writer's re-check right before it "pushes"); once the first push is
// under way a global halt is acknowledged through the store. Reported: the
// promotions in flight at the acknowledgement (the loop promotes one at a
// time, so at most 1), and how many promotions landed after it (must be 0).
func BenchmarkHaltReach(b *testing.B) {
	src, err := scalegen.Topology(scalegen.Shape{Apps: 20, Regions: 50, Rings: 4, Soak: "1h"})
	if err != nil {
		b.Fatal(err)
	}
	var inFlightAtAck, landedAfter, landedBefore int64
	for i := range b.N {
		store := coordtest.NewStore(true)
		seed(b, store, command.CmdAdoptTopology, command.AdoptTopology{Revision: rings.TopologyRevision(src), Path: "scale.yaml", Source: src})
		for a := range 20 {
			seed(b, store, command.CmdCreateRelease, command.CreateRelease{ID: fmt.Sprintf("%s-t%d", scalegen.AppName(a), i), App: scalegen.AppName(a), Version: "v2"})
		}
		var (
			inFlight atomic.Int64
			started  = make(chan struct{}, 64)
			mu       sync.Mutex
			acked    bool
			after    int64
			before   int64
		)
		prom := &MemPromoter{}
		prom.PromoteFn = func(ctx context.Context, p rings.Promotion) (rings.PromotionResult, error) {
			inFlight.Add(1)
			defer inFlight.Add(-1)
			started <- struct{}{}
			select { // the fetch, edit and commit of a real push
			case <-time.After(5 * time.Millisecond):
			case <-ctx.Done():
				return rings.PromotionResult{}, ctx.Err()
			}
			// The push: re-check, then land, as one step (the Git server's
			// compare-and-swap against the fence commit plays this part).
			mu.Lock()
			defer mu.Unlock()
			if err := p.Check(ctx); err != nil {
				return rings.PromotionResult{}, err
			}
			if acked {
				after++
			} else {
				before++
			}
			return rings.PromotionResult{Commit: "c-" + p.PromotionID}, nil
		}
		loop := newBenchLoop(b, store, prom)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			for ctx.Err() == nil {
				loop.ReconcileOnce(ctx)
			}
		}()
		<-started
		if _, err := store.Apply(context.Background(), benchCommand(b, command.CmdPlaceHalt, command.PlaceHalt{ID: fmt.Sprintf("halt-%d", i), Scope: rings.HaltScope{Global: true}, Reason: "bench"})); err != nil {
			b.Fatal(err)
		}
		mu.Lock()
		acked = true
		mu.Unlock()
		inFlightAtAck += inFlight.Load()
		// Let the loop run on for a while: nothing more may land.
		time.Sleep(50 * time.Millisecond) // observation window, not synchronisation
		cancel()
		<-done
		landedAfter += after
		landedBefore += before
	}
	b.ReportMetric(float64(inFlightAtAck)/float64(b.N), "inflight-at-ack/op")
	b.ReportMetric(float64(landedAfter), "landed-after-ack")
	b.ReportMetric(float64(landedBefore)/float64(b.N), "landed-before-ack/op")
}

func benchCommand(b *testing.B, typ command.Type, payload any) command.Command {
	b.Helper()
	cmd, err := command.New(typ, "bench", payload)
	if err != nil {
		b.Fatal(err)
	}
	cmd.RequestID = command.NewRequestID()
	cmd.At = loopStart
	return cmd
}

// seed applies one command to the store's FSM directly (coordtest.Store.mustApply
// takes a deep copy per command to find the index, quadratic at 2,000 apps).
func seed(b *testing.B, s *coordtest.Store, typ command.Type, payload any) {
	b.Helper()
	cmd := benchCommand(b, typ, payload)
	if _, err := s.FSM.ApplyCommand(s.FSM.AppliedIndex()+1, cmd); err != nil {
		b.Fatalf("apply %s: %v", typ, err)
	}
}

// BenchmarkScaleHaltAPI measures the HTTP API's share of a halt at scale:
// POST /v1/halts and POST /v1/halts/{id}/resume, alternately, through the
// API handler over the in-memory store holding the N-app state (no Raft,
// no network). One op is one command.
func BenchmarkScaleHaltAPI(b *testing.B) {
	benchScaleOp(b, func(b *testing.B, f *scaleFixture) func() {
		api, err := httpapi.NewAPI(httpapi.APIConfig{Store: f.store, Fence: &MemFence{}, Logger: coordtest.Discard()})
		if err != nil {
			b.Fatal(err)
		}
		serve := func(path, body string, want int) string {
			req := httptest.NewRequest("POST", path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			api.ServeHTTP(rec, req)
			if rec.Code != want {
				b.Fatalf("POST %s: %d %s", path, rec.Code, rec.Body.String())
			}
			var h struct{ ID string }
			_ = json.Unmarshal(rec.Body.Bytes(), &h)
			return h.ID
		}
		open := ""
		b.Cleanup(func() {
			if open != "" { // leave no halt active for the other benchmarks
				serve("/v1/halts/"+open+"/resume", `{"reason":"bench"}`, 200)
			}
		})
		return func() {
			if open == "" {
				open = serve("/v1/halts", `{"global":true,"reason":"bench"}`, 201)
			} else {
				serve("/v1/halts/"+open+"/resume", `{"reason":"bench"}`, 200)
				open = ""
			}
		}
	})
}

// BenchmarkScaleHaltAck measures a halt's acknowledgement in process, the
// way ringd wires it: POST /v1/halts and POST /v1/halts/{id}/resume,
// alternately, through the API handler over the in-memory store, while a
// real leader loop runs (Run) and is told about every halt. The same run
// serves an empty state (a topology, no release) and the 2,000-app state
// in alternating blocks of 50 commands, so a change of machine load hits
// both; it reports p50/p99 of each and their ratios (2,000 apps / empty).
//
//   - kick=pass: every halt kicks a pass (OnWrite: Loop.Kick), as before;
//   - kick=halts: a halt writes the fence and plans within HaltReplan
//     (OnHaltChange: Loop.HaltsChanged), as ringd does now.
//
// No Raft and no network: what is left is the API, the FSM and whatever
// the loop's work takes from them (the FSM's lock, the CPU, the garbage
// collector).
func BenchmarkScaleHaltAck(b *testing.B) {
	big := scaleState(b, 2000)
	empty := emptyScaleStore(b)
	for _, mode := range []string{"kick=pass", "kick=halts"} {
		b.Run(mode, func(b *testing.B) {
			sides := []*haltAckSide{newHaltAckSide(b, mode, empty), newHaltAckSide(b, mode, big.store)}
			const block = 50
			b.ResetTimer()
			for done := 0; done < b.N; done += block {
				for _, s := range sides {
					for range min(block, b.N-done) {
						s.toggle(b)
					}
				}
			}
			b.StopTimer()
			for _, s := range sides {
				slices.Sort(s.lat)
			}
			pct := func(s *haltAckSide, p float64) float64 { return storetest.Millis(storetest.Percentile(s.lat, p)) }
			e, l := sides[0], sides[1]
			b.ReportMetric(pct(e, 0.5), "empty-p50-ms")
			b.ReportMetric(pct(e, 0.99), "empty-p99-ms")
			b.ReportMetric(pct(l, 0.5), "apps2000-p50-ms")
			b.ReportMetric(pct(l, 0.99), "apps2000-p99-ms")
			b.ReportMetric(pct(l, 0.5)/pct(e, 0.5), "p50-ratio")
			b.ReportMetric(pct(l, 0.99)/pct(e, 0.99), "p99-ratio")
			b.ReportMetric(float64(sides[1].loop.Stats().Passes), "apps2000-passes")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// emptyScaleStore is a leader store holding the scale topology of one
// app and no release.
func emptyScaleStore(b *testing.B) *coordtest.Store {
	src, err := scalegen.Topology(scalegen.Shape{Apps: 1, Regions: 50, Rings: 4, Soak: "1h"})
	if err != nil {
		b.Fatal(err)
	}
	s := coordtest.NewStore(true)
	seed(b, s, command.CmdAdoptTopology, command.AdoptTopology{Revision: rings.TopologyRevision(src), Path: "scale.yaml", Source: src})
	return s
}

// haltAckSide is one store with its API and a running leader loop.
type haltAckSide struct {
	api  *httpapi.API
	loop *Loop
	open string
	lat  []time.Duration
}

// newHaltAckSide starts a leader loop over s (stopped when b ends) and an
// API that tells it about halts as mode says.
func newHaltAckSide(b *testing.B, mode string, s *coordtest.Store) *haltAckSide {
	loop := newBenchLoop(b, s, &MemPromoter{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = loop.Run(ctx)
	}()
	b.Cleanup(func() { cancel(); <-done })
	cfg := httpapi.APIConfig{Store: s, Fence: &MemFence{}, OnWrite: loop.Kick, Logger: coordtest.Discard()}
	if mode == "kick=halts" {
		cfg.OnHaltChange = loop.HaltsChanged
	}
	api, err := httpapi.NewAPI(cfg)
	if err != nil {
		b.Fatal(err)
	}
	side := &haltAckSide{api: api, loop: loop}
	b.Cleanup(func() {
		if side.open != "" { // leave no halt active for the other benchmarks
			side.post(b, "/v1/halts/"+side.open+"/resume", `{"reason":"bench"}`, 200)
		}
	})
	return side
}

// toggle places a global halt, or resumes the open one, and times it.
func (s *haltAckSide) toggle(b *testing.B) {
	start := time.Now()
	if s.open == "" {
		s.open = s.post(b, "/v1/halts", `{"global":true,"reason":"bench"}`, 201)
	} else {
		s.post(b, "/v1/halts/"+s.open+"/resume", `{"reason":"bench"}`, 200)
		s.open = ""
	}
	s.lat = append(s.lat, time.Since(start))
}

// post serves one request and returns the ID in its answer.
func (s *haltAckSide) post(b *testing.B, path, body string, want int) string {
	req := httptest.NewRequest("POST", path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	s.api.ServeHTTP(rec, req)
	if rec.Code != want {
		b.Fatalf("POST %s: %d %s", path, rec.Code, rec.Body.String())
	}
	var h struct{ ID string }
	_ = json.Unmarshal(rec.Body.Bytes(), &h)
	return h.ID
}

// newBenchLoop is a leader loop over s with in-memory effects, a stopped
// clock and an hour between passes.
func newBenchLoop(b *testing.B, s Store, p Promoter) *Loop {
	loop, err := NewLoop(LoopConfig{Store: s, Promoter: p, Health: &MemHealth{}, Fence: &MemFence{},
		Clock: NewManualClock(loopStart), Interval: time.Hour, Logger: coordtest.Discard()})
	if err != nil {
		b.Fatal(err)
	}
	return loop
}
