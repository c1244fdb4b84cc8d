package leader

import (
	"context"
	"sync"
	"time"

	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// MemBudgets is an in-memory BudgetSource: every app of the topology has
// its whole error budget (100 %) in every region with a Prometheus, unless
// Set gave it another figure. ringd --effects memory uses it, so a
// topology with an error-budget policy rolls out there as everywhere else
// every check passes.
type MemBudgets struct {
	mu      sync.Mutex
	percent map[string]float64 // by rings.BudgetKey
}

// Set fixes the remaining percentage reported for app in region.
func (m *MemBudgets) Set(app, region string, percent float64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.percent == nil {
		m.percent = map[string]float64{}
	}
	m.percent[rings.BudgetKey(app, region)] = percent
}

// Budgets implements BudgetSource.
func (m *MemBudgets) Budgets(_ context.Context, topo *topology.Topology, at time.Time) ([]rings.Budget, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []rings.Budget
	for _, a := range topo.Spec.Apps {
		p := topo.EffectivePolicy(a.Name).ErrorBudget
		if !p.Enabled() {
			continue
		}
		allowed := topology.AllowedDowntime(p.SLO, p.Window.D()).Seconds()
		for _, g := range topo.Spec.Regions {
			if g.Prometheus == nil {
				continue
			}
			pct, ok := m.percent[rings.BudgetKey(a.Name, g.Name)]
			if !ok {
				pct = 100
			}
			out = append(out, rings.Budget{App: a.Name, Region: g.Name, RemainingPercent: pct, RemainingSeconds: allowed * pct / 100, At: at})
		}
	}
	return out, nil
}
