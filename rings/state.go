package rings

import (
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/ringleader-dev/ringleader/rings/topology"
)

// Errors returned by the state machine's transitions. Callers wrap them; the
// coordinator maps them to API status codes.
var (
	// ErrNotFound: no release, ring, region or halt of that name.
	ErrNotFound = errors.New("not found")
	// ErrTransition: the change is not allowed from the current state (for
	// example approving a ring of a completed release).
	ErrTransition = errors.New("transition not allowed")
	// ErrConflict: the change contradicts the state (a halt already resumed,
	// a release ID already used).
	ErrConflict = errors.New("conflict")
)

// ReleaseState is where a release stands as a whole.
type ReleaseState string

// Release states.
const (
	ReleaseScheduled        ReleaseState = "scheduled"         // created, waiting for StartAt or its train
	ReleaseRunning          ReleaseState = "running"           // rolling through the rings
	ReleaseAwaitingApproval ReleaseState = "awaiting-approval" // next ring needs a person's approval
	ReleaseHalted           ReleaseState = "halted"            // a halt covers its next step, or a ring failed and rollback is manual
	ReleaseCompleted        ReleaseState = "completed"         // every ring done
	ReleaseAborted          ReleaseState = "aborted"           // stopped by a person; nothing more is written
	ReleaseRolledBack       ReleaseState = "rolled-back"       // its regions were set back and verified running the previous version
	// ReleaseRollbackFailed: a rollback commit landed but a region did not
	// verify (synced, healthy and passing its checks at the rollback) within
	// policy.rollback.timeout. A halt on those regions stays in place until
	// a person resumes it; nothing more is written for the release.
	ReleaseRollbackFailed ReleaseState = "rollback-failed"
)

// Terminal reports whether nothing more will happen to a release in this state.
func (s ReleaseState) Terminal() bool {
	return s == ReleaseCompleted || s == ReleaseAborted || s == ReleaseRolledBack || s == ReleaseRollbackFailed
}

// RingState is where one ring of a release stands.
type RingState string

// Ring states: pending → promoting → syncing → soaking → done, or failed;
// a ring being set back goes rolling-back → rolled-back.
const (
	RingPending   RingState = "pending"   // not started
	RingPromoting RingState = "promoting" // some regions written to Git, others still waiting (e.g. for their window)
	RingSyncing   RingState = "syncing"   // every region written; waiting for sync and health
	RingSoaking   RingState = "soaking"   // every region synced and healthy; soak clock running
	RingDone      RingState = "done"      // soaked for the full window
	RingFailed    RingState = "failed"    // failed analysis, sync timeout or degraded
	// RingRollingBack: rollback commits landed for some or all of its
	// regions; it is rolled-back once every promoted region's rollback
	// landed and verified (RegionProgress.RollbackVerifiedAt).
	RingRollingBack RingState = "rolling-back"
	RingRolledBack  RingState = "rolled-back" // previous version written back and verified in every region
)

// State is everything the planner decides from. The coordinator keeps it in
// the replicated state machine; the planner never mutates it.
type State struct {
	Releases []*Release `json:"releases"`
	Halts    []Halt     `json:"halts"`
	// Budgets is the latest error-budget figure per app and region, keyed
	// by BudgetKey ("app/region"; an old figure without an app by its
	// region alone).
	Budgets map[string]Budget `json:"budgets,omitempty"`

	// cow tracks what views share with this state (share.go).
	cow cow
}

// Release is version Version of app App rolling through the rings.
type Release struct {
	ID      string `json:"id"`
	App     string `json:"app"`
	Version string `json:"version"`
	// PreviousVersion is what rollback writes back (per region when known).
	PreviousVersion  string            `json:"previousVersion,omitempty"`
	PreviousVersions map[string]string `json:"previousVersions,omitempty"`
	Priority         string            `json:"priority,omitempty"`
	Train            string            `json:"train,omitempty"`
	StartAt          time.Time         `json:"startAt,omitempty"`
	CreatedAt        time.Time         `json:"createdAt"`
	CreatedBy        string            `json:"createdBy,omitempty"`
	State            ReleaseState      `json:"state"`
	Reason           string            `json:"reason,omitempty"`
	UpdatedAt        time.Time         `json:"updatedAt,omitempty"`
	// RollbackRequested is set when a person asked to roll the release back;
	// the planner then rolls back every promoted region of every ring.
	RollbackRequested bool `json:"rollbackRequested,omitempty"`
	// Risk is the release's DREAD score (nil: not scored), set when it is
	// created and changed only by SetRisk (risk.go).
	Risk *topology.DREAD `json:"risk,omitempty"`

	// The baseline (baseline.go). PreviousVersions is, per region, the
	// version every target of the app held in Git before the release's
	// first promotion; PreviousTargets holds instead each target's own
	// value for a region whose targets disagreed or did not all exist.
	// BaselineAt and BaselineCommit say when and from which commit they
	// were read (zero: not yet; the first promotion waits for it).
	// PreviousVersion is then only a fallback: PreviousVersionGiven says a
	// person gave it when creating the release (else it is the version of
	// the app's last completed release).
	PreviousTargets      map[string][]TargetValue `json:"previousTargets,omitempty"`
	BaselineAt           time.Time                `json:"baselineAt,omitzero"`
	BaselineCommit       string                   `json:"baselineCommit,omitempty"`
	PreviousVersionGiven bool                     `json:"previousVersionGiven,omitempty"`

	// Rings holds one entry per topology ring, in ring order.
	Rings []RingProgress `json:"rings"`
}

// Ring returns the progress of the named ring.
func (r *Release) Ring(name string) *RingProgress {
	if i := r.ringIndex(name); i >= 0 {
		return &r.Rings[i]
	}
	return nil
}

// ringIndex returns the position of the named ring, or -1.
func (r *Release) ringIndex(name string) int {
	return slices.IndexFunc(r.Rings, func(rp RingProgress) bool { return rp.Name == name })
}

// RingProgress is one ring of one release.
type RingProgress struct {
	Name    string           `json:"name"`
	State   RingState        `json:"state"`
	Regions []RegionProgress `json:"regions"`
	// SoakStartedAt is when every region was first seen synced and healthy.
	SoakStartedAt time.Time `json:"soakStartedAt,omitempty"`
	DoneAt        time.Time `json:"doneAt,omitempty"`
	FailedAt      time.Time `json:"failedAt,omitempty"`
	Reason        string    `json:"reason,omitempty"`
	// ConsecutiveFailures is the highest RegionProgress.ConsecutiveFailures
	// of the ring's regions (the ring fails when it reaches the threshold);
	// each region counts its own, so a healthy region never hides a bad one.
	ConsecutiveFailures int       `json:"consecutiveFailures,omitempty"`
	Approval            *Approval `json:"approval,omitempty"`
	// LastObservation is the analysis result recorded last, of any region.
	LastObservation *Observation `json:"lastObservation,omitempty"`
	// Retry is the last transient failure of the ring's promotion or
	// rollback commit, cleared when one lands (machine_retry.go).
	Retry *PromotionRetry `json:"retry,omitempty"`
	// RollbackFailure is set when the ring's rollback cannot be written
	// without a person; no more rollbacks are tried for the ring.
	RollbackFailure *RollbackFailure `json:"rollbackFailure,omitempty"`
}

// Region returns the progress of the named region in the ring.
func (p *RingProgress) Region(name string) *RegionProgress {
	if i := slices.IndexFunc(p.Regions, func(g RegionProgress) bool { return g.Name == name }); i >= 0 {
		return &p.Regions[i]
	}
	return nil
}

// RegionProgress is one region of one ring of one release.
type RegionProgress struct {
	Name        string    `json:"name"`
	PromotionID string    `json:"promotionId,omitempty"`
	Commit      string    `json:"commit,omitempty"`
	PromotedAt  time.Time `json:"promotedAt,omitempty"`
	// Synced and Healthy are the latest evidence from the region's sources.
	Synced     bool      `json:"synced"`
	Healthy    bool      `json:"healthy"`
	ObservedAt time.Time `json:"observedAt,omitempty"`
	Reason     string    `json:"reason,omitempty"`
	// ConsecutiveFailures counts this region's failed analysis checks in a
	// row (while the ring soaks, an unhealthy observation counts as one); a
	// passing check resets it. LastCheck is its latest analysis result.
	ConsecutiveFailures int          `json:"consecutiveFailures,omitempty"`
	LastCheck           *Observation `json:"lastCheck,omitempty"`
	// RollbackID, RollbackCommit and RolledBackAt record the rollback commit
	// that wrote the previous version back to this region (zero when not
	// rolled back).
	RollbackID     string    `json:"rollbackId,omitempty"`
	RollbackCommit string    `json:"rollbackCommit,omitempty"`
	RolledBackAt   time.Time `json:"rolledBackAt,omitempty"`
	// RollbackGoodSince is when the region was first seen synced and
	// healthy at the rollback, with passing checks, in an unbroken run of
	// such observations (zero otherwise); RollbackVerifiedAt is when that
	// run had lasted policy.rollback.verify and the rollback counted as
	// done in the region.
	RollbackGoodSince  time.Time `json:"rollbackGoodSince,omitempty"`
	RollbackVerifiedAt time.Time `json:"rollbackVerifiedAt,omitempty"`
	// RollbackFailedAt is when the region's rollback did not verify within
	// policy.rollback.timeout (zero otherwise).
	RollbackFailedAt time.Time `json:"rollbackFailedAt,omitempty"`
	// InProgress: the latest evidence says the promoted version is still
	// rolling out (Argo CD Progressing or Suspended health, a sync still
	// running), not failing. InProgressSince is when the current stretch
	// began: the first such observation since the region was last seen
	// synced and healthy (progress.go). The ring fails once a region has
	// been in progress for longer than its syncTimeout.
	InProgress      bool      `json:"inProgress,omitzero"`
	InProgressSince time.Time `json:"inProgressSince,omitzero"`
}

// RollbackVerified reports whether the region's rollback was verified.
func (p RegionProgress) RollbackVerified() bool { return !p.RollbackVerifiedAt.IsZero() }

// RolledBack reports whether a rollback commit for this region has landed.
func (p RegionProgress) RolledBack() bool { return !p.RolledBackAt.IsZero() }

// Promoted reports whether a commit for this region has landed.
func (p RegionProgress) Promoted() bool { return !p.PromotedAt.IsZero() }

// Approval records who approved a ring and why.
type Approval struct {
	By     string    `json:"by"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason,omitempty"`
}

// Observation is one health check result.
type Observation struct {
	Region    string    `json:"region,omitempty"`
	Check     string    `json:"check"`
	Value     float64   `json:"value"`
	Threshold string    `json:"threshold,omitempty"`
	Pass      bool      `json:"pass"`
	Reason    string    `json:"reason,omitempty"`
	At        time.Time `json:"at"`
}

// Budget is the remaining error budget of one app in one region. App is
// empty only in figures recorded before budgets were kept per app; those
// gate nothing (see RecordBudget).
type Budget struct {
	App              string    `json:"app,omitempty"`
	Region           string    `json:"region"`
	RemainingSeconds float64   `json:"remainingSeconds"`
	RemainingPercent float64   `json:"remainingPercent"`
	At               time.Time `json:"at"`
}

// Halt is a scoped stop with an author and a reason. It lives until resumed.
type Halt struct {
	ID        string    `json:"id"`
	Scope     HaltScope `json:"scope"`
	Author    string    `json:"author"`
	Reason    string    `json:"reason"`
	CreatedAt time.Time `json:"createdAt"`
	// Auto is set when a ring failure placed the halt.
	Auto         bool      `json:"auto,omitempty"`
	ResumedAt    time.Time `json:"resumedAt,omitempty"`
	ResumedBy    string    `json:"resumedBy,omitempty"`
	ResumeReason string    `json:"resumeReason,omitempty"`
}

// Active reports whether the halt is still in force.
func (h Halt) Active() bool { return h.ResumedAt.IsZero() }

// HaltScope says what a halt covers. Global covers everything. Otherwise each
// non-empty list narrows the halt and all of them must match: {Apps:[a],
// Regions:[r]} covers promotions of app a into region r only.
type HaltScope struct {
	Global   bool     `json:"global,omitempty"`
	Regions  []string `json:"regions,omitempty"`
	Rings    []string `json:"rings,omitempty"`
	Apps     []string `json:"apps,omitempty"`
	Releases []string `json:"releases,omitempty"`
}

// Empty reports whether the scope names nothing (and so is not a valid halt).
func (s HaltScope) Empty() bool {
	return !s.Global && len(s.Regions) == 0 && len(s.Rings) == 0 && len(s.Apps) == 0 && len(s.Releases) == 0
}

// ScopeList is one list that narrows a halt scope: what it names, in the
// singular ("release", "app", "ring" or "region"), and the names.
type ScopeList struct {
	Kind  string
	Names []string
}

// Lists returns the scope's non-empty lists in the order people read them:
// releases, apps, rings, regions. Global is not a list; callers check it.
func (s HaltScope) Lists() []ScopeList {
	var out []ScopeList
	for _, l := range []ScopeList{{"release", s.Releases}, {"app", s.Apps}, {"ring", s.Rings}, {"region", s.Regions}} {
		if len(l.Names) > 0 {
			out = append(out, l)
		}
	}
	return out
}

// Describe says what the scope covers, for people: "everything",
// "releases r1; regions eu-west-1, us-east-1" or, for an empty scope,
// "nothing".
func (s HaltScope) Describe() string {
	if s.Global {
		return "everything"
	}
	lists := s.Lists()
	if len(lists) == 0 {
		return "nothing"
	}
	parts := make([]string, len(lists))
	for i, l := range lists {
		parts[i] = l.Kind + "s " + strings.Join(l.Names, ", ")
	}
	return strings.Join(parts, "; ")
}

// Covers reports whether the scope covers a promotion of release into ring
// for the given regions (any one covered region is enough).
func (s HaltScope) Covers(release, app, ring string, regions []string) bool {
	if s.Global {
		return true
	}
	if s.Empty() {
		return false
	}
	if len(s.Releases) > 0 && !slices.Contains(s.Releases, release) {
		return false
	}
	if len(s.Apps) > 0 && !slices.Contains(s.Apps, app) {
		return false
	}
	if len(s.Rings) > 0 && !slices.Contains(s.Rings, ring) {
		return false
	}
	if len(s.Regions) > 0 {
		for _, r := range regions {
			if slices.Contains(s.Regions, r) {
				return true
			}
		}
		return false
	}
	return true
}

// CoveringHalts returns the active halts that cover the promotion.
func (s *State) CoveringHalts(release, app, ring string, regions []string) []Halt {
	var out []Halt
	for _, h := range s.Halts {
		if h.Active() && h.Scope.Covers(release, app, ring, regions) {
			out = append(out, h)
		}
	}
	return out
}

// ReleaseByID returns the release with the given ID.
func (s *State) ReleaseByID(id string) *Release {
	for _, r := range s.Releases {
		if r.ID == id {
			return r
		}
	}
	return nil
}
