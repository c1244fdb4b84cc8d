package leader

import (
	"time"

	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/planner"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// PlanFunc is the planner's signature (planner.PlanNext); tests swap in
// their own to drive the loop.
type PlanFunc func(t *topology.Topology, s *rings.State, now time.Time) planner.Plan

// defaultPlanner is the planner used when a config names none.
var defaultPlanner PlanFunc = planner.PlanNext
