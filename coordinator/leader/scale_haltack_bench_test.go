package leader

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/coordinator/coordtest"
	"github.com/ringleader-dev/ringleader/coordinator/httpapi"
	"github.com/ringleader-dev/ringleader/coordinator/store/storetest"
	"github.com/ringleader-dev/ringleader/internal/scalegen"
	"github.com/ringleader-dev/ringleader/rings"
)

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
	loop, err := NewLoop(LoopConfig{Store: s, Promoter: &MemPromoter{}, Health: &MemHealth{}, Fence: &MemFence{},
		Clock: NewManualClock(loopStart), Interval: time.Hour, Logger: coordtest.Discard()})
	if err != nil {
		b.Fatal(err)
	}
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
