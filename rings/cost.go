package rings

import (
	"math"
	"time"

	"github.com/ringleader-dev/ringleader/rings/topology"
)

// The error-budget cost of a release: what a release is expected to spend
// of its app's error budget, as the SRE practice plans it,
//
//	cost = failure rate × time at risk × exposure
//
// per ring, where exposure is the share of the app's traffic the release
// reaches once the ring is promoted (topology.CumulativeExposure) and the
// time at risk is how long a bad version would serve that traffic before
// it is gone: the ring's soak, plus the time analysis needs to notice
// (failureThreshold × interval), plus the time a rollback takes to be
// verified (policy.rollback.verify). The release's cost is the sum over
// its rings. Everything here is arithmetic on its arguments.

// FailureRateFloor is the failure rate assumed when the measured history
// says less (or there is none): one release in a hundred.
const FailureRateFloor = 0.01

// Sources of a FailureRate.
const (
	FailureRateOverride = "override" // spec.apps[].risk.failureRate
	FailureRateMeasured = "measured" // the app's history
	FailureRateFloored  = "floor"    // the history says less than the floor, or nothing
)

// FailureRate is the failure rate (0..1) a cost is computed with, where it
// came from, and the history it was measured on.
type FailureRate struct {
	Rate   float64 `json:"rate"`
	Source string  `json:"source"`
	// History is what was measured (also when the rate did not come from
	// it): releases of the app that finished, and how many of them failed.
	History ReleaseHistory `json:"history"`
	// Offline says the history was not read (ringctl plan without a
	// server): only the override or the floor were available.
	Offline bool `json:"offline,omitempty"`
}

// ChooseFailureRate picks the failure rate: the override (a percentage, as
// written in the topology) when given, else the measured share of failed
// releases, never below FailureRateFloor.
func ChooseFailureRate(overridePercent *float64, h ReleaseHistory, offline bool) FailureRate {
	fr := FailureRate{History: h, Offline: offline}
	switch measured := h.Rate(); {
	case overridePercent != nil:
		fr.Rate, fr.Source = *overridePercent/100, FailureRateOverride
	case measured > FailureRateFloor:
		fr.Rate, fr.Source = measured, FailureRateMeasured
	default:
		fr.Rate, fr.Source = FailureRateFloor, FailureRateFloored
	}
	return fr
}

// TimeAtRisk is how long a bad version would serve a ring's traffic.
type TimeAtRisk struct {
	Soak      time.Duration `json:"soak"`
	Detection time.Duration `json:"detection"` // failureThreshold × analysis interval
	Rollback  time.Duration `json:"rollback"`  // policy.rollback.verify
}

// Total is the whole time at risk.
func (r TimeAtRisk) Total() time.Duration { return r.Soak + r.Detection + r.Rollback }

// timeAtRiskInputs reads the soak, analysis and rollback settings that
// make app's time at risk in ring, for a release scored risk (nil: not
// scored). It is the one place that reads them, so a per-app policy or a
// risk tier changes the cost here alone.
func timeAtRiskInputs(t *topology.Topology, app string, risk *topology.DREAD, ring topology.Ring) TimeAtRisk {
	pol := t.EffectivePolicy(app) // the app's own analysis, soak and rollback
	return TimeAtRisk{
		// The soak a release of app scored risk would have (RingSoak): a
		// risk tier's multiplier keeps a risky release at risk longer.
		Soak:      RingSoak(t, &Release{App: app, Risk: risk}, t.RingIndex(ring.Name)),
		Detection: time.Duration(pol.Analysis.FailureThreshold) * pol.Analysis.Interval.D(),
		Rollback:  pol.Rollback.Verify.D(),
	}
}

// ExpectedCost is failure rate × time at risk × exposure, rounded to the
// nanosecond: 0.5 % × 1h × 5 % = 0.9s. A negative or non-finite factor
// costs nothing.
func ExpectedCost(rate float64, atRisk time.Duration, exposure float64) time.Duration {
	c := rate * float64(atRisk) * exposure
	if !(c > 0) || math.IsInf(c, 0) {
		return 0
	}
	return time.Duration(math.Round(c))
}

// ReleasesAllowed is how many releases costing cost each the remaining
// budget allows: 2592s ÷ 0.6s = 4,320. A release that costs nothing is
// not limited by the budget (-1).
func ReleasesAllowed(remaining, cost time.Duration) int64 {
	switch {
	case cost <= 0:
		return -1
	case remaining <= 0:
		return 0
	}
	return int64(remaining / cost)
}

// ShareOf is part ÷ whole (0 when whole is not positive).
func ShareOf(part, whole time.Duration) float64 {
	if whole <= 0 {
		return 0
	}
	return float64(part) / float64(whole)
}
