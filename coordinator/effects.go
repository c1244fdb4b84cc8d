package coordinator

import (
	"context"
	"errors"
	"time"

	"github.com/ringleader-dev/ringleader/rings"
)

// The interfaces below are what the leader loop needs from the world. They
// are declared here, by their consumer; cmd/ringd wires in the real ones
// (internal/gitops, regions/…) and tests use in-memory ones.

// ErrFenced is returned by a Promoter when the promotion must not land: a
// halt covers it, or this node is no longer the leader. It needs no retry.
var ErrFenced = errors.New("promotion fenced")

// ErrNeedsHuman is returned (wrapped) by a Promoter when the write cannot
// succeed by trying again: a target file or field is missing, a YAML does
// not parse, the Git server refuses the push (a protected branch, a hook).
// The error's text names the file, the path and the cause. The leader
// loop fails the ring (or, for a rollback, halts the release) with it
// instead of retrying. Any other error is transient and retried with
// backoff.
var ErrNeedsHuman = errors.New("needs a person")

// Promotion is one commit to write: Version of App for Regions of Ring.
type Promotion struct {
	ReleaseID   string
	App         string
	Ring        string
	Regions     []string
	Version     string
	PromotionID string
	// Rollback marks a commit that writes a previous version back.
	Rollback bool
	// Targets, on a rollback of one region whose targets held different
	// values before the release, are each target's own value to write back
	// (planner.Action.Targets); Version then only names the commit.
	Targets []rings.TargetValue
	// PreviousRing and PreviousRingSoakedAt are the evidence that the ring
	// before this one finished its soak (its DoneAt); empty for the first
	// ring and for rollbacks. The Git writer records them in a trailer so
	// `ringctl verify-history` checks soak from the history alone.
	PreviousRing         string
	PreviousRingSoakedAt time.Time
	// Check is called by the writer right before it pushes (and again after
	// every rebase). It returns an error wrapping ErrFenced when a halt in the
	// replicated state now covers the promotion or this node lost leadership.
	Check func(ctx context.Context) error
}

// PromotionResult says what landed.
type PromotionResult struct {
	Commit string
	// AlreadyLanded is set when a commit with the same promotion ID was
	// already on the branch (an earlier leader pushed it and died before
	// recording it); nothing new was written.
	AlreadyLanded bool
}

// Promoter writes promotions to the GitOps repository, exactly once per
// PromotionID.
type Promoter interface {
	Promote(ctx context.Context, p Promotion) (PromotionResult, error)
}

// LandedFinder is implemented by promoters that can tell whether a
// promotion already landed (a commit carrying its promotion ID is on the
// branch): a new leader finds there what an earlier leader pushed but did
// not get to record, and records it without asking the pre-promotion gate
// again (a refusal then would only delay recording a fact).
type LandedFinder interface {
	FindLanded(ctx context.Context, promotionID string) (commit string, ok bool, err error)
}

// HaltFence mirrors the active halts into the GitOps repository, so that a
// promotion prepared before a halt is rejected by the Git server.
type HaltFence interface {
	WriteHalts(ctx context.Context, active []rings.Halt) error
}

// HealthQuery asks for evidence about the promoted regions of one ring.
type HealthQuery struct {
	ReleaseID string
	App       string
	Version   string
	// BaselineVersion is the version the regions still on the old release
	// run (for canary-vs-baseline comparisons).
	BaselineVersion string
	Ring            string
	// Regions are the promoted regions with the commit each was promoted at.
	Regions []RegionTarget
	// Baseline are regions not yet promoted to Version.
	Baseline []string
	// Soaking is set when the ring's soak clock runs (analysis applies).
	Soaking bool
}

// RegionTarget is a promoted region and the commit that promoted it.
type RegionTarget struct {
	Region string
	Commit string
}

// RegionHealth is the evidence for one region at one moment.
type RegionHealth struct {
	Region  string
	Synced  bool
	Healthy bool
	Reason  string
	// Checks are analysis results (may be empty when not soaking or when
	// the region has no metrics source).
	Checks []rings.Observation
	// InProgress: the promoted version is still rolling out (Argo CD
	// Progressing or Suspended, a sync running), not failing. The planner
	// lets the region wait up to its ring's syncTimeout.
	InProgress bool
}

// HealthSource reports evidence about regions. An error or missing region
// counts as failing evidence (fail closed).
type HealthSource interface {
	Observe(ctx context.Context, q HealthQuery) ([]RegionHealth, error)
}

// Clock is the leader loop's source of time.
type Clock interface {
	Now() time.Time
}
