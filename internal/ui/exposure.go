package ui

import (
	"github.com/ringleader-dev/ringleader/rings/planner"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// ringExposure is what a ring header says about exposure: the share of
// app's traffic on the release once the ring is promoted, and the ring's
// maxExposure when it has one ("exposure 60 % · max 50 %"); "" without a
// topology or for a ring it does not have.
func ringExposure(t *topology.Topology, app, ring string) string {
	if t == nil {
		return ""
	}
	i := t.RingIndex(ring)
	if i < 0 {
		return ""
	}
	s := "exposure " + planner.Percent(t.CumulativeExposure(app)[i]*100)
	if m := t.Spec.Rings[i].MaxExposure; m != nil {
		s += " · max " + planner.Percent(*m)
	}
	return s
}
