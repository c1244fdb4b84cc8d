package rings

import (
	"fmt"
	"time"

	"github.com/ringleader-dev/ringleader/rings/topology"
)

// SetRisk gives release id a new DREAD score (nil clears it). A release's
// risk is set when it is created (CreateRelease's caller sets Risk on the
// new release) and changes only through this transition, which the audit
// trail records with who and why. A finished release keeps the risk it
// finished with.
func (s *State) SetRisk(id string, risk *topology.DREAD, by, reason string, at time.Time) error {
	r, err := s.releaseWithReason(id, "set the risk of", reason)
	if err != nil {
		return err
	}
	if r.State.Terminal() {
		return fmt.Errorf("set the risk of release %q: it is already %s: %w", id, r.State, ErrTransition)
	}
	if risk != nil {
		if err := risk.Check(); err != nil {
			return fmt.Errorf("set the risk of release %q: %w: %w", id, err, ErrTransition)
		}
		risk = new(*risk)
	}
	r.Risk = risk
	r.UpdatedAt = at
	return nil
}

// RingSoak is how long ring i of the topology soaks for release r: its
// app's soak of the ring (topology.EffectivePolicy: the app's override or
// the ring's own) under the risk tier r's score picks (unchanged when r is
// not scored or its score is in no tier).
func RingSoak(t *topology.Topology, r *Release, i int) time.Duration {
	own := topology.Duration(t.EffectivePolicy(r.App).Soak(t.Spec.Rings[i].Name))
	return t.DecideRisk(r.Risk).Policy.Soak(own).D()
}

// RingApproval reports whether ring i of the topology needs a person's
// approval for release r: its app's setting for the ring (the app's
// override or the ring's own) under r's risk tier.
func RingApproval(t *topology.Topology, r *Release, i int) bool {
	return t.DecideRisk(r.Risk).Policy.RingApproval(t.EffectivePolicy(r.App).ApprovalRequired(t.Spec.Rings[i].Name))
}
