package ui

import (
	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// policyBrief is app's effective policy in brief, for its release cards:
// each app may analyse, soak and ask for approvals its own way, so a card
// says which way. nil before a topology is adopted.
func policyBrief(snap store.Snapshot, app string) *topology.PolicyBrief {
	if snap.Topology == nil {
		return nil
	}
	b := snap.Topology.EffectivePolicy(app).Brief()
	return &b
}
