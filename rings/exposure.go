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
		for i := range rp.Regions {
			if g := &rp.Regions[i]; g.Promoted() && !g.RolledBack() { // by pointer: a RegionProgress is ~300 bytes
				on = append(on, g.Name)
			}
		}
	}
	return t.ExposureOf(r.App, on)
}
