package leader

import (
	"time"

	"github.com/ringleader-dev/ringleader/rings"
)

// PlanFunc is the planner's signature (rings.PlanNext); tests swap in
// their own to drive the loop.
type PlanFunc func(t *rings.Topology, s *rings.State, now time.Time) rings.Plan

// defaultPlanner is the planner used when a config names none.
var defaultPlanner PlanFunc = rings.PlanNext
