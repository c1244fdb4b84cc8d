package rings

import "github.com/ringleader-dev/ringleader/rings/topology"

// Exposure is the share (0..1) of r's app's traffic served by r's version
// now: its regions whose promotion landed and was not rolled back,
// weighted by their traffic share (topology.ExposureOf).
func Exposure(t *topology.Topology, r *Release) float64 {
	if t == nil || r == nil {
		return 0
	}
	var on []string
	for _, rp := range r.Rings {
		for _, g := range rp.Regions {
			if g.Promoted() && !g.RolledBack() {
				on = append(on, g.Name)
			}
		}
	}
	return t.ExposureOf(r.App, on)
}
