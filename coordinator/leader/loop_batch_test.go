package leader

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/coordinator/coordtest"
	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/rings"
)

// withApps adopts the test topology plus apps, each with one target.
func (f *loopFixture) withApps(t *testing.T, apps ...string) {
	t.Helper()
	src := string(coordtest.Topology)
	for _, a := range apps {
		src += fmt.Sprintf("    - name: %s\n      targets: [{file: \"apps/%s/{{region}}/values.yaml\", yamlPath: image.tag}]\n", a, a)
	}
	f.store.MustApply(t, command.CmdAdoptTopology, command.AdoptTopology{Revision: rings.TopologyRevision([]byte(src)), Path: coordtest.TopologyPath, Source: []byte(src)})
}

// Releases of four apps fall due in the same pass: their promotions reach
// the promoter as one batch, and each outcome is recorded on its own, as
// for a promotion written alone: landed, needs a person, transient,
// fenced.
func TestLoopBatchesPromotionsDueInOnePass(t *testing.T) {
	t.Parallel()
	f := newLoopFixture(t, nil)
	f.withApps(t, "cart", "search", "web")
	answer := map[string]error{
		"checkout": nil,
		"cart":     fmt.Errorf("%w: file apps/cart/us-east-1/values.yaml: path image.tag not found", rings.ErrNeedsHuman),
		"search":   errors.New("push: connection refused"),
		"web":      fmt.Errorf("%w: at abc: halt h-1", rings.ErrFenced),
	}
	for _, app := range []string{"checkout", "cart", "search", "web"} {
		f.store.MustApply(t, command.CmdCreateRelease, command.CreateRelease{ID: app + "-v2", App: app, Version: "v2"})
	}
	var batches []string
	f.promoter.PromoteBatchFn = func(ctx context.Context, ps []rings.Promotion, check func(context.Context) error) []PromotionOutcome {
		if err := check(ctx); err != nil {
			t.Errorf("batch check of the leader: %v", err)
		}
		var apps []string
		outs := make([]PromotionOutcome, len(ps))
		for i, p := range ps {
			apps = append(apps, p.App+"@"+p.Ring)
			if err := p.Check(ctx); err != nil {
				t.Errorf("%s: own check: %v", p.PromotionID, err)
			}
			outs[i].Err = answer[p.App]
			if outs[i].Err == nil {
				outs[i].Commit = "batch-1"
			}
		}
		batches = append(batches, strings.Join(apps, ","))
		return outs
	}
	f.passUntil(t, 5, time.Second, func(store.Snapshot) bool { return len(batches) > 0 })
	promoted := f.commandsOf(command.CmdPromoted)
	expect(t, []check{
		{"one batch of every due promotion, in plan order", strings.Join(batches, " | "), "checkout@canary,cart@canary,search@canary,web@canary"},
		{"landed: recorded", len(promoted), 1},
		{"landed with the batch commit", len(promoted) == 1 && strings.Contains(string(promoted[0].Payload), `"batch-1"`), true},
		{"needs a person: the ring fails", len(f.commandsOf(command.CmdPromotionFailed)), 1},
		{"transient: retried later", len(f.commandsOf(command.CmdPromotionRetry)), 1},
		{"fenced: nothing recorded", f.loop.Stats().Fenced, int64(1)},
	})
}

// A halt placed in the state after the promotions were staged stops the
// covered one inside the batch (its own Check), not the others.
func TestLoopHaltWhileTheBatchIsBuiltStopsOnlyTheCovered(t *testing.T) {
	t.Parallel()
	f := newLoopFixture(t, nil)
	f.withApps(t, "cart")
	for _, app := range []string{"checkout", "cart"} {
		f.store.MustApply(t, command.CmdCreateRelease, command.CreateRelease{ID: app + "-v2", App: app, Version: "v2"})
	}
	halted := false
	f.promoter.PromoteBatchFn = func(ctx context.Context, ps []rings.Promotion, check func(context.Context) error) []PromotionOutcome {
		if !halted {
			f.store.MustApply(t, command.CmdPlaceHalt, command.PlaceHalt{ID: "h-cart", Scope: rings.HaltScope{Apps: []string{"cart"}}, Reason: "cart incident"})
			halted = true
		}
		return PromoteEach(ctx, f.promoter, ps, check)
	}
	f.passUntil(t, 5, time.Second, func(store.Snapshot) bool { return len(f.commandsOf(command.CmdPromoted)) > 0 })
	var landed []string
	for _, l := range f.promoter.Landed() {
		landed = append(landed, l.App)
	}
	expect(t, []check{
		{"only checkout in Git", strings.Join(landed, ","), "checkout"},
		{"cart fenced", f.loop.Stats().Fenced, int64(1)},
	})
}
