package planner

import (
	"fmt"
	"strings"

	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// exposureGate holds ring (topology ring j) of r for a person's approval
// when promoting it would take the release above the ring's maxExposure:
// the share of the app's traffic on the release once the ring and every
// earlier one are promoted (topology.CumulativeExposure). It waits like a
// ring whose approval is required, with a detail saying why, for the
// regions in open (those no halt holds), and reports whether it did. A
// ring that requires an approval anyway (itself or by the release's risk
// tier), or was approved, is not held again.
func (p *planner) exposureGate(r *rings.Release, rp *rings.RingProgress, ring topology.Ring, j int, open []string) bool {
	if ring.MaxExposure == nil || rings.RingApproval(p.t, r, j) || rp.Approval != nil || len(open) == 0 {
		return false
	}
	exposure := p.t.CumulativeExposure(r.App)[j] * 100
	if exposure <= *ring.MaxExposure+1e-9 {
		return false
	}
	p.wait(Wait{ReleaseID: r.ID, Ring: rp.Name, Regions: open, Reason: WaitApproval,
		Detail: fmt.Sprintf("ring %s would take %s %s to %s of its traffic, above the ring's maxExposure of %s; a person approves going further: ringctl release approve %s --ring %s",
			rp.Name, r.App, r.Version, Percent(exposure), Percent(*ring.MaxExposure), r.ID, rp.Name)})
	return true
}

// Percent renders a percentage for people: "60 %", "12.5 %", "0.05 %".
func Percent(v float64) string {
	return fmt.Sprintf("%s %%", trimFloat(v))
}

// trimFloat renders v with at most two decimals and no trailing zeros.
func trimFloat(v float64) string {
	s := strings.TrimRight(fmt.Sprintf("%.2f", v), "0")
	return strings.TrimSuffix(s, ".")
}
