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
