package leader

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/coordinator/coordtest"
	"github.com/ringleader-dev/ringleader/internal/scalegen"
	"github.com/ringleader-dev/ringleader/rings"
)

// countingPromoter is a MemPromoter that counts the Git reads a pass asks
// for and how many promotions or apps each asked about.
type countingPromoter struct {
	*MemPromoter
	mu                           sync.Mutex
	baselineCalls, landedCalls   int
	baselineAsked, landedAskedAt []int
}

func (c *countingPromoter) ReadBaselines(ctx context.Context, qs []rings.BaselineQuery) []rings.BaselineAnswer {
	c.mu.Lock()
	c.baselineCalls++
	c.baselineAsked = append(c.baselineAsked, len(qs))
	c.mu.Unlock()
	return c.MemPromoter.ReadBaselines(ctx, qs)
}

func (c *countingPromoter) FindLanded(ctx context.Context, ids []string) (map[string]string, error) {
	c.mu.Lock()
	c.landedCalls++
	c.landedAskedAt = append(c.landedAskedAt, len(ids))
	c.mu.Unlock()
	return c.MemPromoter.FindLanded(ctx, ids)
}

// A train of many releases: the pass reads every baseline with one call
// and asks once which promotions already landed (one fetch of the branch
// each, not one per release), records the releases' commands while others
// are in flight, and promotes every release's ring 0 exactly once.
func TestPassCarriesOutManyReleasesAtOnce(t *testing.T) {
	t.Parallel()
	const apps = 40
	st := coordtest.NewScaleStore(t, scalegen.Shape{Apps: apps, Regions: 3, Rings: 2, Soak: "1h", NoHealthSources: true}, apps)
	// The first start-release waits (up to 5 s) for a second command to
	// be in flight: one release after the other it never sees one.
	var inFlight, most atomic.Int32
	var first sync.Once
	st.SetApplyHook(func(ctx context.Context, cmd command.Command) error {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		if cmd.Type == command.CmdStartRelease {
			first.Do(func() {
				deadline := time.Now().Add(5 * time.Second)
				for most.Load() < 2 && time.Now().Before(deadline) {
					time.Sleep(time.Millisecond)
				}
			})
		}
		return nil
	})
	p := &countingPromoter{MemPromoter: &MemPromoter{}}
	var gated atomic.Int32
	l, err := NewLoop(LoopConfig{Store: st, Promoter: p, Health: &MemHealth{}, Fence: &MemFence{}, Clock: NewManualClock(loopStart),
		Interval: time.Hour, Logger: coordtest.Logger(t),
		BeforePromote: func(context.Context, rings.Promotion) error { gated.Add(1); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		l.ReconcileOnce(context.Background())
	}
	promoted := 0
	for _, c := range st.Commands() {
		if c.Type == command.CmdPromoted {
			promoted++
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	expect(t, []check{
		{"commands of several releases in flight at once", most.Load() > 1, true},
		{"one baseline read for the train", p.baselineCalls, 1},
		{"asking about every release", p.baselineAsked[0], apps},
		{"one landed lookup for the train", p.landedCalls, 1},
		{"about every promotion", p.landedAskedAt[0], apps},
		{"the gate asked once per promotion", int(gated.Load()), apps},
		{"every ring 0 promoted", promoted, apps},
		{"each exactly once in Git", len(p.Landed()), apps},
	})
}
