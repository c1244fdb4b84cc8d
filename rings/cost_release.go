package rings

import (
	"encoding/json"
	"time"

	"github.com/ringleader-dev/ringleader/rings/topology"
)

// ReleaseCost is the expected error-budget cost of releasing app once,
// ring by ring and in total, against the budget it has left. Seconds are
// seconds of budget: of the app's global budget for a ring and the total,
// of the region's own budget for a region.
type ReleaseCost struct {
	App         string      `json:"app"`
	FailureRate FailureRate `json:"failureRate"`
	Rings       []RingCost  `json:"rings"`
	// TotalSeconds is the sum of the rings' costs.
	TotalSeconds float64 `json:"totalSeconds"`
	// WholeBudgetSeconds is what the SLO allows over its window, (1 − SLO)
	// × window; 0 when the topology has no errorBudget policy, and then
	// there is no Budget.
	WholeBudgetSeconds float64 `json:"wholeBudgetSeconds"`
	SLO                float64 `json:"slo,omitempty"`
	WindowSeconds      float64 `json:"windowSeconds,omitempty"`
	// Budget is the app's remaining budget as a whole (each region's
	// remaining budget weighted by its traffic share) and what this release
	// costs of it.
	Budget *BudgetShare `json:"budget,omitempty"`
	// Regions is each region's own budget and what the release costs of
	// it: the region serves all its traffic on the release from its
	// ring's promotion on, so it is at risk in its ring and every later one.
	Regions []RegionCost `json:"regions"`
	// Tightest names the region whose budget allows the fewest releases
	// ("" without a budget policy).
	Tightest string `json:"tightest,omitempty"`
}

// RingCost is one ring's share of a ReleaseCost.
type RingCost struct {
	Ring    string   `json:"ring"`
	Regions []string `json:"regions"`
	// Exposure is the share (0..1) of the app's traffic on the release
	// once this ring is promoted (cumulative).
	Exposure    float64    `json:"exposure"`
	TimeAtRisk  TimeAtRisk `json:"timeAtRisk"`
	CostSeconds float64    `json:"costSeconds"`
}

// RegionCost is one region's share of a ReleaseCost.
type RegionCost struct {
	Region string `json:"region"`
	Ring   string `json:"ring"`
	// TrafficShare is the share (0..1) of the app's traffic the region serves.
	TrafficShare float64      `json:"trafficShare"`
	CostSeconds  float64      `json:"costSeconds"`
	Budget       *BudgetShare `json:"budget,omitempty"`
}

// BudgetShare is a remaining budget and what one release costs of it.
type BudgetShare struct {
	// Measured is false when the budget was not measured (ringctl plan
	// without a server, a region never measured): it is assumed whole.
	Measured         bool    `json:"measured"`
	RemainingSeconds float64 `json:"remainingSeconds"`
	// ShareOfRemaining is the release's cost ÷ the remaining budget.
	ShareOfRemaining float64 `json:"shareOfRemaining"`
	// Spent says no budget is left (ShareOfRemaining is then 0).
	Spent bool `json:"spent,omitempty"`
	// ReleasesAllowed is how many releases of this kind the remaining
	// budget allows this window; -1 when a release costs nothing.
	ReleasesAllowed int64 `json:"releasesAllowed"`
}

// MarshalJSON writes the time at risk in seconds.
func (r TimeAtRisk) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Soak      float64 `json:"soakSeconds"`
		Detection float64 `json:"detectionSeconds"`
		Rollback  float64 `json:"rollbackSeconds"`
		Total     float64 `json:"totalSeconds"`
	}{r.Soak.Seconds(), r.Detection.Seconds(), r.Rollback.Seconds(), r.Total().Seconds()})
}

// CostOfRelease computes the cost of releasing app with rate. budgets are
// the recorded budgets by BudgetKey (State.Budgets); a region of the app
// with no figure in them, and every region when budgets is nil (offline),
// is assumed to have its whole budget left.
func CostOfRelease(t *topology.Topology, app string, risk *topology.DREAD, rate FailureRate, budgets map[string]Budget) ReleaseCost {
	c := ReleaseCost{App: app, FailureRate: rate}
	exposure := t.CumulativeExposure(app)
	atRisk := make([]time.Duration, len(t.Spec.Rings))
	var total time.Duration
	for i, ring := range t.Spec.Rings {
		tr := timeAtRiskInputs(t, app, risk, ring)
		atRisk[i] = tr.Total()
		cost := ExpectedCost(rate.Rate, tr.Total(), exposure[i])
		total += cost
		c.Rings = append(c.Rings, RingCost{Ring: ring.Name, Regions: ring.Regions, Exposure: exposure[i], TimeAtRisk: tr, CostSeconds: cost.Seconds()})
	}
	c.TotalSeconds = total.Seconds()
	pol := t.EffectivePolicy(app).ErrorBudget
	whole := topology.AllowedDowntime(pol.SLO, pol.Window.D())
	if pol.Enabled() {
		c.WholeBudgetSeconds, c.SLO, c.WindowSeconds = whole.Seconds(), pol.SLO, pol.Window.D().Seconds()
	}
	shares := t.TrafficShares(app)
	shareTotal := 0.0
	for _, g := range t.Spec.Regions {
		shareTotal += shares[g.Name]
	}
	var weighted float64 // remaining budget of the app as a whole, in ns
	measuredAny := false
	for i, ring := range t.Spec.Rings {
		var later time.Duration // time at risk of this ring and every later one
		for _, d := range atRisk[i:] {
			later += d
		}
		for _, name := range ring.Regions {
			rc := RegionCost{Region: name, Ring: ring.Name, CostSeconds: ExpectedCost(rate.Rate, later, 1).Seconds()}
			if shareTotal > 0 {
				rc.TrafficShare = shares[name] / shareTotal
			}
			if pol.Enabled() {
				remaining, measured := whole, false
				if b, ok := budgets[BudgetKey(app, name)]; ok {
					remaining, measured = time.Duration(b.RemainingSeconds*float64(time.Second)), true
					measuredAny = true
				}
				rc.Budget = budgetShare(remaining, ExpectedCost(rate.Rate, later, 1), measured)
				weighted += rc.TrafficShare * float64(remaining)
				if c.Tightest == "" || fewer(rc.Budget.ReleasesAllowed, c.regionAllows(c.Tightest)) {
					c.Tightest = name
				}
			}
			c.Regions = append(c.Regions, rc)
		}
	}
	if pol.Enabled() {
		c.Budget = budgetShare(time.Duration(weighted), total, measuredAny)
	}
	return c
}

// regionAllows returns the releases the named region's budget allows.
func (c ReleaseCost) regionAllows(region string) int64 {
	for _, rc := range c.Regions {
		if rc.Region == region && rc.Budget != nil {
			return rc.Budget.ReleasesAllowed
		}
	}
	return -1
}

// fewer reports whether a allows fewer releases than b (-1 is no limit).
func fewer(a, b int64) bool { return a >= 0 && (b < 0 || a < b) }

// budgetShare is what cost takes of remaining.
func budgetShare(remaining, cost time.Duration, measured bool) *BudgetShare {
	return &BudgetShare{Measured: measured, RemainingSeconds: remaining.Seconds(), Spent: remaining <= 0,
		ShareOfRemaining: ShareOf(cost, remaining), ReleasesAllowed: ReleasesAllowed(remaining, cost)}
}
