package planner

import (
	"fmt"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/internal/scalegen"
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// BenchmarkPlanNextTrain plans the departure of a train over a parsed
// topology of N apps × 50 regions × 4 rings: every app has a started
// release whose ring 0 is due and whose baseline is not recorded yet, so
// every release goes through the promotion gates of 13 regions and asks
// for its baseline (the state of the leader's first passes in
// BenchmarkTrain). Run it alone:
//
//	go test -run '^$' -bench PlanNextTrain -benchmem -count 5 ./rings/planner/
//
// BENCHMARKS.md §7d records the numbers.
func BenchmarkPlanNextTrain(b *testing.B) {
	for _, apps := range []int{500, 2000} {
		b.Run(fmt.Sprintf("apps=%d", apps), func(b *testing.B) {
			src, err := scalegen.Topology(scalegen.Shape{Apps: apps, Regions: 50, Rings: 4, Soak: "1h"})
			if err != nil {
				b.Fatal(err)
			}
			top, err := topology.Parse("scale.yaml", src)
			if err != nil {
				b.Fatal(err)
			}
			at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
			s := &rings.State{}
			for i := range apps {
				app := scalegen.AppName(i)
				if _, err := s.CreateRelease(top, app+"-v2", app, "v2", "", "", time.Time{}, at, "bench", ""); err != nil {
					b.Fatal(err)
				}
				if err := s.StartRelease(app+"-v2", at); err != nil {
					b.Fatal(err)
				}
			}
			if got := len(PlanNext(top, s, at).Actions); got != apps {
				b.Fatalf("the plan has %d actions, want a baseline per release (%d)", got, apps)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				_ = PlanNext(top, s, at)
			}
		})
	}
}
