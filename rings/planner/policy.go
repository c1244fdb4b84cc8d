package planner

import (
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// policyOf is the policy release r runs under: its app's effective policy
// (spec.policy and the rings, overridden by spec.apps[].policy). Every gate
// and decision about r reads its analysis, soaks, approvals, budget,
// onFailure and rollback from here, never from Spec.Policy or the rings.
func (p *planner) policyOf(r *rings.Release) topology.EffectivePolicy {
	return p.t.EffectivePolicy(r.App)
}
