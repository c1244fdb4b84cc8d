package rings

import (
	"context"
	"errors"
	"time"
)

// The types below are what the leader loop exchanges with the world: the
// promotion it asks the Git writer to land, the health query it asks the
// region adapters to answer, and their results. They live here, with the
// domain, so the loop (coordinator), the Git writer (internal/gitops) and
// the region adapters (regions) share one definition instead of copies
// converted field for field.

// ErrFenced is returned by a promoter when the promotion must not land: a
// halt covers it, or this node is no longer the leader. It needs no retry.
var ErrFenced = errors.New("promotion fenced")

// ErrNeedsHuman is returned (wrapped) by a promoter when the write cannot
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
	// (Action.Targets, by file and Target.Describe); Version then only
	// names the commit. Every target of the app must be listed.
	Targets []TargetValue
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

// BaselineRead is what the GitOps branch head held for every target of an
// app in some regions: a release's rollback target, read before its first
// promotion.
type BaselineRead struct {
	// Commit is the branch head the values were read from ("" when the
	// branch does not exist yet).
	Commit string
	// Targets maps every region asked to each target's value there, in the
	// topology's target order (Absent where the file or field does not
	// exist yet).
	Targets map[string][]TargetValue
}

// BaselineQuery asks for the baseline of one app in some regions. A pass
// that starts many releases asks for all of them at once, so the branch
// is fetched once, not once per release.
type BaselineQuery struct {
	App     string
	Regions []string
}

// BaselineAnswer is the answer to one BaselineQuery: the read, or the
// error that stopped it (one app's error does not stop the others).
type BaselineAnswer struct {
	Read BaselineRead
	Err  error
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
	// Soaking is set when the ring's soak clock runs: analysis and the
	// during-soak webhook apply only then.
	Soaking bool
}

// RegionNames returns the names of the promoted regions, in query order.
func (q HealthQuery) RegionNames() []string {
	out := make([]string, len(q.Regions))
	for i, t := range q.Regions {
		out[i] = t.Region
	}
	return out
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
	// Reason explains an unsynced or unhealthy region (the first failing
	// piece of evidence), or notes missing sources.
	Reason string
	// Checks are analysis results, one per metric (and per canary
	// comparison and during-soak webhook); empty when not soaking or when
	// the region has no metrics source.
	Checks []Observation
	// InProgress: the promoted version is still rolling out (Argo CD
	// Progressing or Suspended, a sync running), not failing. The planner
	// lets the region wait up to its ring's syncTimeout instead of counting
	// it unhealthy.
	InProgress bool
}
