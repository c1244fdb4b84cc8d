package leader

import (
	"context"
	"fmt"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// BudgetSource measures the remaining error budget of every app of the
// topology in each of its regions at a moment (cmd/ringd wires
// Prometheus): one rings.Budget per app and region, App and Region set. It
// returns the budgets it could measure and, joined, an error for those it
// could not.
type BudgetSource interface {
	Budgets(ctx context.Context, topo *topology.Topology, at time.Time) ([]rings.Budget, error)
}

// BudgetFunc adapts a function to BudgetSource.
type BudgetFunc func(ctx context.Context, topo *topology.Topology, at time.Time) ([]rings.Budget, error)

// Budgets implements BudgetSource.
func (f BudgetFunc) Budgets(ctx context.Context, topo *topology.Topology, at time.Time) ([]rings.Budget, error) {
	return f(ctx, topo, at)
}

// refreshBudgets measures the error budgets at most once per
// BudgetInterval while this node leads and records each one
// (CmdRecordBudget), so the planner's error-budget gate, the status and the
// dashboard see them. It does nothing without a BudgetSource or an
// error-budget policy. An app and region that could not be measured get
// nothing new: the last figure stays, and one never measured stays
// unmeasured (the gate holds its releases); the failure is logged. A figure
// without an app or region is refused, never recorded. The request ID is
// the app, region and the leader's clock, so a retried proposal of the
// same measurement applies once; a new leader measures afresh.
func (l *Loop) refreshBudgets(ctx context.Context, snap store.Snapshot) {
	if l.cfg.Budgets == nil || snap.Topology == nil || !snap.Topology.AnyErrorBudget() {
		return
	}
	now := l.cfg.Clock.Now()
	l.mu.Lock()
	due := l.budgetsAt.IsZero() || now.Sub(l.budgetsAt) >= l.cfg.BudgetInterval
	if due {
		l.budgetsAt = now
	}
	l.mu.Unlock()
	if !due {
		return
	}
	bctx, cancel := context.WithTimeout(ctx, l.cfg.HealthTimeout)
	budgets, err := l.cfg.Budgets.Budgets(bctx, snap.Topology, now)
	cancel()
	if err != nil {
		l.stats.errors.Add(1)
		l.cfg.Logger.Warn("error budgets could not all be measured; those keep their last figures, and releases of an app never measured in a region wait there (is Prometheus reachable?)", "err", err)
	}
	for _, b := range budgets {
		if ctx.Err() != nil {
			return
		}
		if b.App == "" || b.Region == "" {
			l.stats.errors.Add(1)
			l.cfg.Logger.Warn("error budget source returned a figure without an app or region; not recorded: fix the source", "app", b.App, "region", b.Region)
			continue
		}
		if b.At.IsZero() {
			b.At = now
		}
		key := fmt.Sprintf("budget/%s/%s/%d", b.App, b.Region, now.UnixNano())
		if rerr := l.record(ctx, command.CmdRecordBudget, key, b); rerr != nil {
			l.stats.errors.Add(1)
			l.cfg.Logger.Warn("record error budget failed", "app", b.App, "region", b.Region, "err", rerr)
		}
	}
}
