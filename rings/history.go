package rings

import "slices"

// The state's history is bounded: halts and releases that are over stay
// for a while, so people can look at them, and then leave the replicated
// state, which every node holds in memory, copies into every snapshot and
// walks on every pass. The audit trail, the fence's Git history and the
// GitOps commits keep the record. Forgetting depends only on the state,
// so every replica forgets the same things at the same log index.

// KeepResumedHalts is how many resumed halts placed by people the state
// keeps, the most recently resumed. Active halts are always kept, and so are automatic
// halts (the planner reads a resumed one to know a person lifted it and
// not to place it again; there is at most one per failed ring). Without a
// bound every halt ever placed stayed in the replicated state, so every
// copy of it, every snapshot and every halt's own answer grew with the
// halt history (a cluster that had seen 3,000 halts answered a halt 2×
// slower). The record stays in the audit trail (its last 10,000
// decisions by default) and in the fence file's Git history.
const KeepResumedHalts = 100

// forgetResumedHalts drops the resumed manual halts resumed longest ago
// (by resume time, then by place in the list) beyond keep, except the halt
// named except (the one just resumed: its resume's answer shows it). The
// rest keep their order. It depends only on the state, so every replica
// forgets the same halts.
func (s *State) forgetResumedHalts(keep int, except string) {
	var idx []int
	for i, h := range s.Halts {
		if !h.Active() && !h.Auto {
			idx = append(idx, i)
		}
	}
	drop := len(idx) - keep
	if drop <= 0 {
		return
	}
	slices.SortStableFunc(idx, func(a, b int) int { return s.Halts[a].ResumedAt.Compare(s.Halts[b].ResumedAt) })
	gone := map[int]bool{}
	for _, i := range idx {
		if drop == 0 {
			break
		}
		if s.Halts[i].ID != except {
			gone[i] = true
			drop--
		}
	}
	s.ownHalts()
	kept := s.Halts[:0]
	for i, h := range s.Halts {
		if !gone[i] {
			kept = append(kept, h)
		}
	}
	clear(s.Halts[len(kept):])
	s.Halts = kept
}

// KeepFinishedReleases is how many completed releases of each app the
// state keeps, newest first, and how many aborted or rolled-back ones:
// counted apart, so a run of failed attempts never pushes out the
// completed releases a new release takes its rollback target from. Never
// forgotten: a release still running, a completed release being rolled
// back, and the release whose transition is being applied.
const KeepFinishedReleases = 5

// finished reports whether nothing more will happen to r.
func finished(r *Release) bool {
	return r.State.Terminal() && !(r.State == ReleaseCompleted && r.RollbackRequested)
}

// forgetFinishedReleases drops app's finished releases that finished
// longest ago (by UpdatedAt, then by place in the list) beyond keep
// completed and keep others, except the release named except. The rest
// keep their order. The list is the state's own (a view copies it), so it
// is compacted in place; the releases themselves are not touched.
func (s *State) forgetFinishedReleases(app string, keep int, except string) {
	// Two groups, completed and the other finished; except is kept and
	// counted in its group.
	var groups [2][]int
	var room [2]int
	room[0], room[1] = keep, keep
	for i, r := range s.Releases {
		if r.App != app || !finished(r) {
			continue
		}
		g := 1
		if r.State == ReleaseCompleted {
			g = 0
		}
		if r.ID == except {
			room[g]--
			continue
		}
		groups[g] = append(groups[g], i)
	}
	gone := map[int]bool{}
	for g, idx := range groups {
		drop := len(idx) - max(room[g], 0)
		if drop <= 0 {
			continue
		}
		slices.SortStableFunc(idx, func(a, b int) int { return s.Releases[a].UpdatedAt.Compare(s.Releases[b].UpdatedAt) })
		for _, i := range idx[:drop] {
			gone[i] = true
		}
	}
	if len(gone) == 0 {
		return
	}
	kept := s.Releases[:0]
	for i, r := range s.Releases {
		if gone[i] {
			delete(s.cow.ownedAt, r)
			continue
		}
		kept = append(kept, r)
	}
	clear(s.Releases[len(kept):])
	s.Releases = kept
}
