package ui

import (
	"slices"
	"strings"
	"time"

	"github.com/ringleader-dev/ringleader/rings"
)

// TimelineEntry is one moment in a release's life.
type TimelineEntry struct {
	At time.Time
	// Kind is created, approved, promoted, soak-started, done, failed,
	// rolled-back, halted, resumed, completed, aborted (the CSS class).
	Kind string
	Text string
}

// Timeline reconstructs a release's history from the timestamps the state
// keeps: creation, per ring the first promotion, soak start, approval,
// done, failure and rollback, the halts that cover the release, and how it
// ended. Entries are in time order; equal times keep ring order.
func Timeline(s rings.State, rel *rings.Release) []TimelineEntry {
	var out []TimelineEntry
	add := func(at time.Time, kind, text string) {
		if !at.IsZero() {
			out = append(out, TimelineEntry{At: at.UTC(), Kind: kind, Text: text})
		}
	}
	created := "created " + rel.App + " " + rel.Version
	if rel.CreatedBy != "" {
		created += " by " + rel.CreatedBy
	}
	add(rel.CreatedAt, "created", created)
	for _, rp := range rel.Rings {
		var promoted, rolledBack time.Time
		var regions, rbRegions []string
		for _, g := range rp.Regions {
			if g.Promoted() {
				regions = append(regions, g.Name)
				if promoted.IsZero() || g.PromotedAt.Before(promoted) {
					promoted = g.PromotedAt
				}
			}
			if g.RolledBack() {
				rbRegions = append(rbRegions, g.Name)
				if g.RolledBackAt.After(rolledBack) {
					rolledBack = g.RolledBackAt
				}
			}
		}
		if rp.Approval != nil {
			add(rp.Approval.At, "approved", "ring "+rp.Name+" approved by "+rp.Approval.By)
		}
		add(promoted, "promoted", "ring "+rp.Name+" promoted to "+strings.Join(regions, ", "))
		add(rp.SoakStartedAt, "soak-started", "ring "+rp.Name+" synced and healthy; soak started")
		add(rp.DoneAt, "done", "ring "+rp.Name+" soaked and done")
		add(rp.FailedAt, "failed", withText("ring "+rp.Name+" failed", rp.Reason))
		add(rolledBack, "rolled-back", "ring "+rp.Name+" rolled back in "+strings.Join(rbRegions, ", "))
	}
	for _, h := range s.Halts {
		if !haltTouches(h, rel) {
			continue
		}
		add(h.CreatedAt, "halted", withText("halt "+h.ID+" placed by "+h.Author, h.Reason))
		add(h.ResumedAt, "resumed", withText("halt "+h.ID+" resumed by "+h.ResumedBy, h.ResumeReason))
	}
	if rel.State.Terminal() {
		add(rel.UpdatedAt, string(rel.State), withText("release "+string(rel.State), rel.Reason))
	}
	slices.SortStableFunc(out, func(x, y TimelineEntry) int { return x.At.Compare(y.At) })
	return out
}

// haltTouches reports whether a halt concerns the release and was placed
// while it was alive: global, or naming the release, its app, or (for
// automatic halts) placed because of it.
func haltTouches(h rings.Halt, rel *rings.Release) bool {
	if !h.Active() && h.ResumedAt.Before(rel.CreatedAt) {
		return false
	}
	if rel.State.Terminal() && !rel.UpdatedAt.IsZero() && h.CreatedAt.After(rel.UpdatedAt) {
		return false
	}
	sc := h.Scope
	return sc.Global || slices.Contains(sc.Releases, rel.ID) || slices.Contains(sc.Apps, rel.App) ||
		(h.Auto && strings.Contains(h.ID, rel.ID))
}

func withText(s, reason string) string {
	if r := strings.TrimSpace(reason); r != "" {
		return s + ": " + r
	}
	return s
}
