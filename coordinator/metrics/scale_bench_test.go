package metrics

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ringleader-dev/ringleader/coordinator/coordtest"
	"github.com/ringleader-dev/ringleader/coordinator/leader"
	"github.com/ringleader-dev/ringleader/internal/scalegen"
	"github.com/ringleader-dev/ringleader/rings"
)

// BenchmarkStateCollect measures one scrape's worth of StateCollector.Collect
// over N apps × 50 regions × 4 rings with a release running for every app,
// each soaking in ring 0 (the state a train spends most of its time in).
// apps=0 is the same topology shape with one app and no release. The
// "changed" variants forget the exposures kept from the last scrape
// before each one, as when every release changed in between. Run it
// alone:
//
//	go test -run '^$' -bench StateCollect -benchmem -count 5 ./coordinator/metrics/
//
// BENCHMARKS.md §7d records the numbers.
func BenchmarkStateCollect(b *testing.B) {
	for _, bc := range []struct {
		apps    int
		changed bool
	}{{0, false}, {500, false}, {2000, false}, {500, true}, {2000, true}} {
		name := fmt.Sprintf("apps=%d", bc.apps)
		if bc.changed {
			name += "/changed"
		}
		apps := bc.apps
		b.Run(name, func(b *testing.B) {
			st, clock := scaleStore(b, apps)
			c, err := NewStateCollector(StateCollectorConfig{Store: st, Clock: clock})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if bc.changed {
					c.exposures = exposureMemo{}
				}
				ch := make(chan prometheus.Metric, 64)
				done := make(chan int)
				go func() {
					n := 0
					for range ch {
						n++
					}
					done <- n
				}()
				c.Collect(ch)
				close(ch)
				if n := <-done; n == 0 {
					b.Fatal("the collector sent no metric")
				}
			}
		})
	}
}

var (
	scaleMu     sync.Mutex
	scaleStores = map[int]*coordtest.Store{}
)

// scaleStore returns the in-memory store for apps, built once per test
// binary (the framework calls each benchmark more than once and the
// 2,000-app state takes seconds to build), and a clock at the state's
// time.
func scaleStore(b *testing.B, apps int) (*coordtest.Store, *leader.ManualClock) {
	b.Helper()
	scaleMu.Lock()
	defer scaleMu.Unlock()
	clock := leader.NewManualClock(soakStart.Add(time.Minute))
	if s, ok := scaleStores[apps]; ok {
		return s, clock
	}
	s := coordtest.NewScaleStore(b, scalegen.Shape{Apps: max(apps, 1), Regions: 50, Rings: 4, Soak: "1h"}, apps)
	l := memLoop(b, s, leader.NewManualClock(soakStart), coordtest.Discard())
	for range 4 { // start, promote, synced, soak started
		l.ReconcileOnce(context.Background())
	}
	soaking := 0
	for _, r := range s.Snapshot().State.Releases {
		if len(r.Rings) > 0 && r.Rings[0].State == rings.RingSoaking {
			soaking++
		}
	}
	if soaking != apps {
		b.Fatalf("%d of %d releases soak in ring 0", soaking, apps)
	}
	scaleStores[apps] = s
	return s, clock
}
