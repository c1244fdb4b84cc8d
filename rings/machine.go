package rings

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ringleader-dev/ringleader/rings/topology"
)

// The transitions below are the only way the replicated state changes. Each
// one validates first and changes nothing when it returns an error, uses the
// time it is given (the leader's clock carried by the log entry) and never
// the local clock, and is deterministic: every node of the cluster applies the
// same entry to the same state and gets the same result. Errors wrap
// ErrNotFound, ErrTransition or ErrConflict.

// release returns the release with the given ID or an error wrapping
// ErrNotFound.
// The release is the state's own to change (share.go): every transition
// that changes a release finds it here.
func (s *State) release(id string) (*Release, error) {
	for i, r := range s.Releases {
		if r.ID == id {
			return s.ownRelease(i), nil
		}
	}
	return nil, fmt.Errorf("release %q: %w; list releases with ringctl release list", id, ErrNotFound)
}

// releaseWithReason returns the release (the state's own to change) that a
// person asks to change; what names the change ("abort", "roll back"). A
// request without a reason is refused.
func (s *State) releaseWithReason(id, what, reason string) (*Release, error) {
	r, err := s.release(id)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(reason) == "" {
		return nil, fmt.Errorf("%s release %q: a reason is required: %w", what, id, ErrTransition)
	}
	return r, nil
}

// releaseRing returns the release (the state's own to change) and its
// named ring, or an error wrapping ErrNotFound.
func (s *State) releaseRing(id, ring string) (*Release, *RingProgress, error) {
	r, err := s.release(id)
	if err != nil {
		return nil, nil, err
	}
	rp, _, err := ringOf(r, ring)
	if err != nil {
		return nil, nil, err
	}
	return r, rp, nil
}

// ringOf returns the named ring of a release and its index.
func ringOf(r *Release, ring string) (*RingProgress, int, error) {
	if i := r.ringIndex(ring); i >= 0 {
		return &r.Rings[i], i, nil
	}
	return nil, -1, fmt.Errorf("ring %q of release %q: %w", ring, r.ID, ErrNotFound)
}

// CreateRelease adds a scheduled release of version of app. Its rings are
// copied from the topology in ring order, every region pending. priority
// defaults to normal. An empty previousVersion is taken from the newest
// completed release of the same app, if any; a given one is marked
// PreviousVersionGiven. Either is only a fallback for rollback: what Git
// holds before the first promotion (RecordBaseline) is the truth. Releases
// are kept in creation order.
func (s *State) CreateRelease(t *topology.Topology, id, app, version, priority, train string, startAt, at time.Time, by, previousVersion string) (*Release, error) {
	if t == nil {
		return nil, fmt.Errorf("create release %q: no topology in force; adopt one first: %w", id, ErrTransition)
	}
	if strings.TrimSpace(id) == "" {
		return nil, fmt.Errorf("create release: empty release id: %w", ErrTransition)
	}
	if strings.TrimSpace(version) == "" {
		return nil, fmt.Errorf("create release %q: empty version; pass the version to roll out: %w", id, ErrTransition)
	}
	if s.ReleaseByID(id) != nil {
		return nil, fmt.Errorf("create release %q: id already used: %w", id, ErrConflict)
	}
	if _, ok := t.AppByName(app); !ok {
		return nil, fmt.Errorf("create release %q: app %q is not in the topology: %w", id, app, ErrNotFound)
	}
	if train != "" {
		tr, ok := t.TrainByName(train)
		if !ok {
			return nil, fmt.Errorf("create release %q: train %q is not in the topology: %w", id, train, ErrNotFound)
		}
		if len(tr.Apps) > 0 && !slices.Contains(tr.Apps, app) {
			return nil, fmt.Errorf("create release %q: train %q does not carry app %q; add it to the train's apps: %w", id, train, app, ErrTransition)
		}
	}
	if priority == "" {
		priority = topology.PriorityNormal
	}
	given := previousVersion != ""
	if !given {
		for i := len(s.Releases) - 1; i >= 0; i-- {
			if p := s.Releases[i]; p.App == app && p.State == ReleaseCompleted {
				previousVersion = p.Version
				break
			}
		}
	}
	r := &Release{
		ID:                   id,
		App:                  app,
		Version:              version,
		PreviousVersion:      previousVersion,
		PreviousVersionGiven: given,
		Priority:             priority,
		Train:                train,
		StartAt:              startAt,
		CreatedAt:            at,
		CreatedBy:            by,
		State:                ReleaseScheduled,
		UpdatedAt:            at,
		Rings:                make([]RingProgress, 0, len(t.Spec.Rings)),
	}
	for _, ring := range t.Spec.Rings {
		rp := RingProgress{Name: ring.Name, State: RingPending, Regions: make([]RegionProgress, 0, len(ring.Regions))}
		for _, name := range ring.Regions {
			rp.Regions = append(rp.Regions, RegionProgress{Name: name})
		}
		r.Rings = append(r.Rings, rp)
	}
	s.Releases = append(s.Releases, r)
	s.adoptRelease(r)
	return r, nil
}

// StartRelease moves a scheduled release to running.
func (s *State) StartRelease(id string, at time.Time) error {
	r, err := s.release(id)
	if err != nil {
		return err
	}
	if r.State != ReleaseScheduled {
		return fmt.Errorf("start release %q: it is %s, not scheduled: %w", id, r.State, ErrTransition)
	}
	r.State = ReleaseRunning
	r.Reason = ""
	r.UpdatedAt = at
	return nil
}

// displayStates are the states SetReleaseState moves among.
func displayState(st ReleaseState) bool {
	return st == ReleaseRunning || st == ReleaseAwaitingApproval || st == ReleaseHalted
}

// SetReleaseState moves a release among running, awaiting-approval and
// halted, recording why it waits. Setting the state it already has only
// updates the reason.
func (s *State) SetReleaseState(id string, st ReleaseState, reason string, at time.Time) error {
	r, err := s.release(id)
	if err != nil {
		return err
	}
	if !displayState(st) {
		return fmt.Errorf("set release %q state: %q is not one of running, awaiting-approval, halted: %w", id, st, ErrTransition)
	}
	if !displayState(r.State) {
		return fmt.Errorf("set release %q state to %s: it is %s: %w", id, st, r.State, ErrTransition)
	}
	r.State = st
	r.Reason = reason
	r.UpdatedAt = at
	return nil
}

// Approve records a person's approval of one ring of a non-terminal release.
// The ring must not be done, failed or rolled back; a ring approved already
// is a conflict.
func (s *State) Approve(id, ring, by, reason string, at time.Time) error {
	r, rp, err := s.releaseRing(id, ring)
	if err != nil {
		return err
	}
	if r.State.Terminal() {
		return fmt.Errorf("approve ring %q of release %q: the release is %s: %w", ring, id, r.State, ErrTransition)
	}
	if rp.State == RingDone || rp.State == RingFailed || rp.State == RingRolledBack {
		return fmt.Errorf("approve ring %q of release %q: the ring is %s: %w", ring, id, rp.State, ErrTransition)
	}
	if strings.TrimSpace(by) == "" {
		return fmt.Errorf("approve ring %q of release %q: approver unknown: %w", ring, id, ErrTransition)
	}
	if rp.Approval != nil {
		return fmt.Errorf("approve ring %q of release %q: already approved by %s: %w", ring, id, rp.Approval.By, ErrConflict)
	}
	rp.Approval = &Approval{By: by, At: at, Reason: reason}
	r.UpdatedAt = at
	return nil
}

// Abort stops a non-terminal release; nothing more is written for it.
func (s *State) Abort(id, by, reason string, at time.Time) error {
	r, err := s.releaseWithReason(id, "abort", reason)
	if err != nil {
		return err
	}
	if r.State.Terminal() {
		return fmt.Errorf("abort release %q: it is already %s: %w", id, r.State, ErrTransition)
	}
	r.Reason = reasonBy(reason, by)
	s.finish(r, ReleaseAborted, at)
	return nil
}

// RequestRollback asks for every promoted region of a non-terminal or
// completed release to be set back to its previous version. A release with
// nothing promoted yet is rolled back at once (there is nothing to write).
// Without a previous version there is nothing to roll back to: abort instead.
func (s *State) RequestRollback(id, by, reason string, at time.Time) error {
	r, err := s.releaseWithReason(id, "roll back", reason)
	if err != nil {
		return err
	}
	if r.State.Terminal() && r.State != ReleaseCompleted {
		return fmt.Errorf("roll back release %q: it is %s: %w", id, r.State, ErrTransition)
	}
	if r.RollbackRequested {
		return fmt.Errorf("roll back release %q: rollback already requested: %w", id, ErrConflict)
	}
	promoted := false
	for _, rp := range r.Rings {
		for _, g := range rp.Regions {
			if !g.Promoted() {
				continue
			}
			promoted = true
			if prev := r.PreviousFor(g.Name); prev.Unknown != "" {
				return fmt.Errorf("roll back release %q: %s, so it cannot be rolled back automatically; set it back by hand and abort the release: %w", id, prev.Unknown, ErrTransition)
			}
		}
	}
	r.RollbackRequested = true
	r.Reason = reasonBy(reason, by)
	r.UpdatedAt = at
	if !promoted {
		s.finish(r, ReleaseRolledBack, at)
	}
	return nil
}

// CompleteRelease marks a running release whose rings are all done as
// completed.
func (s *State) CompleteRelease(id string, at time.Time) error {
	r, err := s.release(id)
	if err != nil {
		return err
	}
	if r.State.Terminal() || r.State == ReleaseScheduled {
		return fmt.Errorf("complete release %q: it is %s: %w", id, r.State, ErrTransition)
	}
	for _, rp := range r.Rings {
		if rp.State != RingDone {
			return fmt.Errorf("complete release %q: ring %q is %s: %w", id, rp.Name, rp.State, ErrTransition)
		}
	}
	r.Reason = ""
	s.finish(r, ReleaseCompleted, at)
	return nil
}

// finish moves release r to the terminal state st at at. The state then
// forgets the app's finished releases beyond what the history keeps
// (history.go), never r itself.
func (s *State) finish(r *Release, st ReleaseState, at time.Time) {
	r.State = st
	r.UpdatedAt = at
	s.forgetFinishedReleases(r.App, KeepFinishedReleases, r.ID)
}

// PlaceHalt adds a halt. Its scope must name something, its ID must be new
// and it must say why.
func (s *State) PlaceHalt(h Halt) error {
	if strings.TrimSpace(h.ID) == "" {
		return fmt.Errorf("place halt: empty halt id: %w", ErrTransition)
	}
	if h.Scope.Empty() {
		return fmt.Errorf("place halt %q: the scope names nothing; use global or name regions, rings, apps or releases: %w", h.ID, ErrTransition)
	}
	if strings.TrimSpace(h.Reason) == "" {
		return fmt.Errorf("place halt %q: a reason is required: %w", h.ID, ErrTransition)
	}
	for _, o := range s.Halts {
		if o.ID == h.ID {
			return fmt.Errorf("place halt %q: id already used: %w", h.ID, ErrConflict)
		}
	}
	h.Scope = cloneScope(h.Scope)
	h.ResumedAt, h.ResumedBy, h.ResumeReason = time.Time{}, "", ""
	s.Halts = append(s.Halts, h)
	return nil
}

// ResumeHalt lifts an active halt.
func (s *State) ResumeHalt(id, by, reason string, at time.Time) error {
	for i := range s.Halts {
		if s.Halts[i].ID != id {
			continue
		}
		h := s.Halts[i]
		if !h.Active() {
			return fmt.Errorf("resume halt %q: already resumed by %s at %s: %w", id, h.ResumedBy, h.ResumedAt.UTC().Format(time.RFC3339), ErrConflict)
		}
		if strings.TrimSpace(reason) == "" {
			return fmt.Errorf("resume halt %q: a reason is required: %w", id, ErrTransition)
		}
		s.ownHalts()
		s.Halts[i].ResumedAt, s.Halts[i].ResumedBy, s.Halts[i].ResumeReason = at, by, reason
		s.forgetResumedHalts(KeepResumedHalts, id)
		return nil
	}
	return fmt.Errorf("halt %q: %w; list halts with ringctl status", id, ErrNotFound)
}

// RecordBudget stores the latest error-budget figure of an app in a region
// under BudgetKey. A figure without an app (a log entry written before
// budgets were kept per app) is stored under its region alone and gates
// nothing; the first per-app figure of that region replaces it.
func (s *State) RecordBudget(b Budget) {
	if s.Budgets == nil {
		s.Budgets = map[string]Budget{}
	}
	s.ownBudgets()
	if b.App != "" {
		delete(s.Budgets, b.Region)
	}
	s.Budgets[b.Key()] = b
}

func reasonBy(reason, by string) string {
	if by == "" {
		return reason
	}
	return reason + " (" + by + ")"
}
