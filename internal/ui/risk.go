package ui

import (
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// releaseRisk is what a release card says of its risk: the score and the
// risk tier it picks under the topology in force, and what that changes;
// "" for a release without a score.
func releaseRisk(t *topology.Topology, rel *rings.Release) string {
	if rel.Risk == nil {
		return ""
	}
	if t == nil {
		return rel.Risk.String()
	}
	return t.DecideRisk(rel.Risk).Why
}
