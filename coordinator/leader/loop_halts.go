package leader

import (
	"context"
	"time"

	"github.com/ringleader-dev/ringleader/rings"
)

// defaultHaltReplan is LoopConfig.HaltReplan's default.
const defaultHaltReplan = 200 * time.Millisecond

// HaltsChanged tells the loop that a halt was placed or resumed on this
// node. It never blocks. Unlike Kick it does not start a pass at once:
//
//   - the fence is written at once from the halts alone (syncHaltFence),
//     a cost that grows with the active halts, not with the releases;
//   - the loop plans again within HaltReplan, once for a burst of halt
//     changes, so a resumed halt's promotions go out without waiting for
//     the next Interval.
//
// A placed halt needs no pass to take effect: the fence check before every
// push (fenceCheck) reads the halts, and the next plan leaves the covered
// promotions out. Before this, every halt kicked a pass (PlanNext over
// every release), and at 2,000 apps those passes ran back to back on one
// of the cores the next halt's commit needed.
func (l *Loop) HaltsChanged() {
	select {
	case l.halts <- struct{}{}:
	default:
	}
}

// syncHaltFence writes the active halts to the fence when they changed
// since the last write in this term, reading only the halts.
func (l *Loop) syncHaltFence(ctx context.Context) {
	if l.cfg.Fence == nil {
		return
	}
	l.fenceMu.Lock()
	defer l.fenceMu.Unlock()
	var active []rings.Halt
	// ActiveHalts copies each halt; a halt's scope is never changed
	// after it is placed, so the copies may outlive the read lock.
	l.cfg.Store.ViewState(func(s *rings.State) { active = rings.ActiveHalts(rings.State{Halts: s.Halts}) })
	l.writeFence(ctx, active)
}
