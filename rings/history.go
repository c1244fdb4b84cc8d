package rings

// The state's history is bounded: halts and releases that are over stay
// for a while, so people can look at them, and then leave the replicated
// state, which every node holds in memory, copies into every snapshot and
// walks on every pass. The audit trail, the fence's Git history and the
// GitOps commits keep the record. Forgetting depends only on the state,
// so every replica forgets the same things at the same log index.

// KeepResumedHalts is how many resumed halts placed by people the state
// keeps, newest first. Active halts are always kept, and so are automatic
// halts (the planner reads a resumed one to know a person lifted it and
// not to place it again; there is at most one per failed ring). Without a
// bound every halt ever placed stayed in the replicated state, so every
// copy of it, every snapshot and every halt's own answer grew with the
// halt history (a cluster that had seen 3,000 halts answered a halt 2×
// slower). The whole history stays in the audit trail and in the fence's
// Git history.
const KeepResumedHalts = 100

// forgetResumedHalts drops the resumed manual halts placed longest ago
// beyond keep, keeping the order of the rest. It depends only on the
// state, so every replica forgets the same halts.
func (s *State) forgetResumedHalts(keep int) {
	forgettable := func(h Halt) bool { return !h.Active() && !h.Auto }
	resumed := 0
	for _, h := range s.Halts {
		if forgettable(h) {
			resumed++
		}
	}
	drop := resumed - keep
	if drop <= 0 {
		return
	}
	s.ownHalts()
	kept := s.Halts[:0]
	for _, h := range s.Halts {
		if forgettable(h) && drop > 0 {
			drop--
			continue
		}
		kept = append(kept, h)
	}
	clear(s.Halts[len(kept):])
	s.Halts = kept
}

// KeepFinishedReleases is how many finished releases (completed, aborted,
// rolled back) of each app the state keeps, newest first. Never forgotten:
// a release still running, a completed release being rolled back, and the
// newest completed release of each app (a new release takes its version
// as the one to roll back to).
const KeepFinishedReleases = 5

// finished reports whether nothing more will happen to r.
func finished(r *Release) bool {
	return r.State.Terminal() && !(r.State == ReleaseCompleted && r.RollbackRequested)
}

// forgetFinishedReleases drops app's finished releases created longest
// ago beyond keep, keeping the order of the rest.
func (s *State) forgetFinishedReleases(app string, keep int) {
	newestCompleted, count := -1, 0
	for i, r := range s.Releases {
		if r.App != app {
			continue
		}
		if r.State == ReleaseCompleted {
			newestCompleted = i
		}
		if finished(r) {
			count++
		}
	}
	drop := count - keep
	if drop <= 0 {
		return
	}
	// The list is the state's own (a view copies it), so it is compacted
	// in place; the releases themselves are not touched.
	kept := s.Releases[:0]
	for i, r := range s.Releases {
		if drop > 0 && r.App == app && finished(r) && i != newestCompleted {
			drop--
			delete(s.cow.ownedAt, r)
			continue
		}
		kept = append(kept, r)
	}
	clear(s.Releases[len(kept):])
	s.Releases = kept
}
