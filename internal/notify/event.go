package notify

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ringleader-dev/ringleader/rings"
)

// Kind says what happened.
type Kind string

// Event kinds.
const (
	KindRingPromoted      Kind = "ring.promoted"       // every region of a ring was written to Git
	KindRingFailed        Kind = "ring.failed"         // a ring failed analysis, sync or health
	KindHaltPlaced        Kind = "halt.placed"         // a person or a ring failure placed a halt
	KindHaltResumed       Kind = "halt.resumed"        // a halt was lifted
	KindApprovalNeeded    Kind = "approval.needed"     // a ring of a release waits for a person
	KindReleaseCompleted  Kind = "release.completed"   // every ring done
	KindReleaseRolledBack Kind = "release.rolled-back" // the release's regions were set back
	KindReleaseAborted    Kind = "release.aborted"     // a person stopped the release
	// KindReleaseRollbackFailed: a rollback landed but its regions did not
	// run the previous version well within policy.rollback.timeout; they
	// are halted. Urgent: a person must look now.
	KindReleaseRollbackFailed Kind = "release.rollback-failed"
)

// Event is one notification. ID is derived from what happened (not from
// when it was seen), so a receiver can drop the duplicates a leader change
// may cause.
type Event struct {
	ID      string    `json:"id"`
	Kind    Kind      `json:"kind"`
	At      time.Time `json:"at"`
	Release string    `json:"release,omitempty"`
	App     string    `json:"app,omitempty"`
	Version string    `json:"version,omitempty"`
	Ring    string    `json:"ring,omitempty"`
	Regions []string  `json:"regions,omitempty"`
	Halt    string    `json:"halt,omitempty"`
	Actor   string    `json:"actor,omitempty"`
	Reason  string    `json:"reason,omitempty"`
	// Text is a one-line human summary (what Slack shows).
	Text string `json:"text"`
	// Urgent marks an event a person must act on now (a failed rollback).
	Urgent bool `json:"urgent,omitempty"`
}

// Events derives every notification the state implies, in a stable order
// (releases in creation order, ring order, then halts in creation order).
// It is pure: the same state gives the same events with the same IDs on
// every node and after every restart.
func Events(s *rings.State) []Event {
	if s == nil {
		return nil
	}
	var out []Event
	for _, r := range s.Releases {
		out = append(out, releaseEvents(r)...)
	}
	for _, h := range s.Halts {
		out = append(out, haltEvents(h)...)
	}
	return out
}

// releaseEvents derives the ring and release events of one release.
func releaseEvents(r *rings.Release) []Event {
	var out []Event
	base := Event{Release: r.ID, App: r.App, Version: r.Version}
	for _, rp := range r.Rings {
		if at, ok := allPromoted(rp); ok {
			ev := base
			ev.ID, ev.Kind, ev.At, ev.Ring, ev.Regions = "ring-promoted/"+r.ID+"/"+rp.Name, KindRingPromoted, at, rp.Name, regionNames(rp)
			ev.Text = fmt.Sprintf("%s %s promoted to ring %s (%s)", r.App, r.Version, rp.Name, strings.Join(ev.Regions, ", "))
			out = append(out, ev)
		}
		if !rp.FailedAt.IsZero() {
			ev := base
			ev.ID, ev.Kind, ev.At, ev.Ring, ev.Regions, ev.Reason = "ring-failed/"+r.ID+"/"+rp.Name, KindRingFailed, rp.FailedAt, rp.Name, regionNames(rp), rp.Reason
			ev.Text = fmt.Sprintf("ring %s failed for %s %s: %s", rp.Name, r.App, r.Version, orDash(rp.Reason))
			out = append(out, ev)
		}
	}
	switch r.State {
	case rings.ReleaseAwaitingApproval:
		if rp := awaitingRing(r); rp != nil {
			ev := base
			ev.ID, ev.Kind, ev.At, ev.Ring, ev.Reason = "approval-needed/"+r.ID+"/"+rp.Name, KindApprovalNeeded, r.UpdatedAt, rp.Name, r.Reason
			ev.Text = fmt.Sprintf("%s %s waits for an approval of ring %s: ringctl release approve %s --ring %s", r.App, r.Version, rp.Name, r.ID, rp.Name)
			out = append(out, ev)
		}
	case rings.ReleaseCompleted:
		ev := base
		ev.ID, ev.Kind, ev.At = "release-completed/"+r.ID, KindReleaseCompleted, r.UpdatedAt
		ev.Text = fmt.Sprintf("%s %s completed: every ring is done", r.App, r.Version)
		out = append(out, ev)
	case rings.ReleaseRolledBack:
		ev := base
		ev.ID, ev.Kind, ev.At, ev.Reason = "release-rolled-back/"+r.ID, KindReleaseRolledBack, r.UpdatedAt, r.Reason
		ev.Text = fmt.Sprintf("%s %s rolled back to %s", r.App, r.Version, previousText(r))
		out = append(out, ev)
	case rings.ReleaseRollbackFailed:
		ev := base
		ev.ID, ev.Kind, ev.At, ev.Reason, ev.Urgent = "release-rollback-failed/"+r.ID, KindReleaseRollbackFailed, r.UpdatedAt, r.Reason, true
		ev.Regions = rollbackFailedRegions(r)
		ev.Text = fmt.Sprintf("URGENT: rollback of %s %s did not verify in %s; those regions are halted until a person resumes them: %s",
			r.App, r.Version, strings.Join(ev.Regions, ", "), orDash(r.Reason))
		out = append(out, ev)
	case rings.ReleaseAborted:
		ev := base
		ev.ID, ev.Kind, ev.At, ev.Reason = "release-aborted/"+r.ID, KindReleaseAborted, r.UpdatedAt, r.Reason
		ev.Text = fmt.Sprintf("%s %s aborted: %s", r.App, r.Version, orDash(r.Reason))
		out = append(out, ev)
	}
	return out
}

// haltEvents derives the placed and resumed events of one halt.
func haltEvents(h rings.Halt) []Event {
	by := h.Author
	if h.Auto {
		by = "automatic"
	}
	scope := h.Scope.Describe()
	out := []Event{{ID: "halt-placed/" + h.ID, Kind: KindHaltPlaced, At: h.CreatedAt, Halt: h.ID, Actor: by, Reason: h.Reason,
		Regions: slices.Clone(h.Scope.Regions),
		Text:    fmt.Sprintf("halt %s placed by %s on %s: %s", h.ID, by, scope, orDash(h.Reason))}}
	if !h.Active() {
		out = append(out, Event{ID: "halt-resumed/" + h.ID, Kind: KindHaltResumed, At: h.ResumedAt, Halt: h.ID, Actor: h.ResumedBy, Reason: h.ResumeReason,
			Regions: slices.Clone(h.Scope.Regions),
			Text:    fmt.Sprintf("halt %s on %s resumed by %s: %s", h.ID, scope, orDash(h.ResumedBy), orDash(h.ResumeReason))})
	}
	return out
}

// allPromoted reports whether every region of the ring was written, and
// when the last one was.
func allPromoted(rp rings.RingProgress) (time.Time, bool) {
	if len(rp.Regions) == 0 {
		return time.Time{}, false
	}
	var last time.Time
	for _, g := range rp.Regions {
		if !g.Promoted() {
			return time.Time{}, false
		}
		if g.PromotedAt.After(last) {
			last = g.PromotedAt
		}
	}
	return last, true
}

// awaitingRing is the ring a release awaiting approval waits on: the first
// ring that is not done and has no approval.
func awaitingRing(r *rings.Release) *rings.RingProgress {
	for i := range r.Rings {
		rp := &r.Rings[i]
		if rp.State == rings.RingDone {
			continue
		}
		if rp.Approval == nil {
			return rp
		}
		return nil
	}
	return nil
}

// previousText names what a rolled-back release went back to: the
// previous version recorded per region from Git (several when regions
// differed), else the one given or inferred at creation.
func previousText(r *rings.Release) string {
	var vs []string
	for _, rp := range r.Rings {
		for _, g := range rp.Regions {
			if v := r.PreviousVersions[g.Name]; g.RolledBack() && v != "" && !slices.Contains(vs, v) {
				vs = append(vs, v)
			}
		}
	}
	if len(vs) == 0 {
		return orDash(r.PreviousVersion)
	}
	return strings.Join(vs, ", ")
}

// rollbackFailedRegions are the regions of r whose rollback did not verify.
func rollbackFailedRegions(r *rings.Release) []string {
	var out []string
	for _, rp := range r.Rings {
		for _, g := range rp.Regions {
			if !g.RollbackFailedAt.IsZero() {
				out = append(out, g.Name)
			}
		}
	}
	return out
}

func regionNames(rp rings.RingProgress) []string {
	out := make([]string, 0, len(rp.Regions))
	for _, g := range rp.Regions {
		out = append(out, g.Name)
	}
	return out
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
