package planner

import (
	"time"

	"github.com/ringleader-dev/ringleader/rings"
)

// ActionKind is what the leader should do next.
type ActionKind string

// Actions the planner asks for. The coordinator carries each out through its
// interfaces and records the outcome as a replicated command.
const (
	// ActStartRelease moves a scheduled release to running (StartAt reached,
	// its train departed, no earlier release of the app still running).
	ActStartRelease ActionKind = "start-release"
	// ActPromote writes Version for Regions of Ring to Git, one commit
	// carrying PromotionID.
	ActPromote ActionKind = "promote"
	// ActStartSoak starts the soak clock: every region of the ring is synced
	// and healthy.
	ActStartSoak ActionKind = "start-soak"
	// ActCompleteRing marks the ring done: it soaked for its full window.
	ActCompleteRing ActionKind = "complete-ring"
	// ActFailRing marks the ring failed with Reason.
	ActFailRing ActionKind = "fail-ring"
	// ActPlaceHalt places Halt (an automatic halt after a ring failure).
	ActPlaceHalt ActionKind = "place-halt"
	// ActRollback writes the previous version back to Regions of Ring.
	ActRollback ActionKind = "rollback"
	// ActVerifyRollback records that the rollback of Regions of Ring is
	// verified: each runs the previous version, synced, healthy and passing
	// its checks for policy.rollback.verify.
	ActVerifyRollback ActionKind = "verify-rollback"
	// ActFailRollback records that the rollback of Regions of Ring did not
	// verify within policy.rollback.timeout (Reason says why) and halts
	// those regions (Halt).
	ActFailRollback ActionKind = "fail-rollback"
	// ActCompleteRelease marks the release completed.
	ActCompleteRelease ActionKind = "complete-release"
	// ActSetReleaseState moves the release to State (awaiting-approval,
	// halted, running) so people see where it stands.
	ActSetReleaseState ActionKind = "set-release-state"
	// ActRecordBaseline reads, from the GitOps branch, what every target of
	// App holds in each of Regions (every region of the release) and
	// records it (State.RecordBaseline) before the release's first
	// promotion.
	ActRecordBaseline ActionKind = "record-baseline"
)

// Action is one step the leader should take now.
type Action struct {
	Kind        ActionKind         `json:"kind"`
	ReleaseID   string             `json:"releaseId"`
	App         string             `json:"app,omitempty"`
	Ring        string             `json:"ring,omitempty"`
	Regions     []string           `json:"regions,omitempty"`
	Version     string             `json:"version,omitempty"`
	PromotionID string             `json:"promotionId,omitempty"`
	State       rings.ReleaseState `json:"state,omitempty"`
	Halt        *rings.HaltScope   `json:"halt,omitempty"`
	Reason      string             `json:"reason,omitempty"`
	// Targets, on an ActRollback of one region whose targets held different
	// values before the release, are each target's own value to write back
	// (Version then only summarises them).
	Targets []rings.TargetValue `json:"targets,omitempty"`
}

// WaitReason says why something cannot proceed yet.
type WaitReason string

// Wait reasons.
const (
	WaitHalt        WaitReason = "halt"         // a halt covers the next step
	WaitSoak        WaitReason = "soak"         // the previous ring has not soaked its window
	WaitSync        WaitReason = "sync"         // regions not yet synced and healthy
	WaitWindow      WaitReason = "window"       // outside the ring's release windows
	WaitFreeze      WaitReason = "freeze"       // inside a freeze that does not allow the priority
	WaitApproval    WaitReason = "approval"     // the ring needs a person's approval
	WaitErrorBudget WaitReason = "error-budget" // the error budget asks for approval or is exhausted
	WaitSchedule    WaitReason = "schedule"     // the release's StartAt or train has not come
	WaitQueue       WaitReason = "queue"        // an earlier release of the same app is still running
	WaitEvidence    WaitReason = "evidence"     // no health evidence yet
	WaitRollback    WaitReason = "rollback"     // a rollback landed and is being verified in its regions
	WaitRetry       WaitReason = "retry"        // the last Git write failed transiently; retried with backoff
	WaitBaseline    WaitReason = "baseline"     // what the regions run now is not yet read from Git
)

// Wait is one thing that cannot proceed, why, and until when if known (zero
// Until means "until something else changes", e.g. an approval or a resume).
type Wait struct {
	ReleaseID string     `json:"releaseId"`
	Ring      string     `json:"ring,omitempty"`
	Regions   []string   `json:"regions,omitempty"`
	Reason    WaitReason `json:"reason"`
	Detail    string     `json:"detail"`
	Until     time.Time  `json:"until,omitempty"`
}

// Plan is the planner's answer: what to do now and what waits.
type Plan struct {
	Actions []Action `json:"actions"`
	Waits   []Wait   `json:"waits"`
	// NextCheck is the earliest time at which the answer may change by the
	// passage of time alone (a soak ends, a window opens); zero if none.
	NextCheck time.Time `json:"nextCheck,omitempty"`
}
