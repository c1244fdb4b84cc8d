package coordinator

import (
	"github.com/ringleader-dev/ringleader/rings/planner"
)

// defaultPlanner is the planner used when a config names none.
var defaultPlanner PlanFunc = planner.PlanNext
