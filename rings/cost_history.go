package rings

// ReleaseHistory counts an app's releases that finished and those of them
// that failed: a ring failed, or the release was rolled back.
type ReleaseHistory struct {
	Finished int `json:"finished"`
	Failed   int `json:"failed"`
}

// Rate is the share (0..1) of finished releases that failed; 0 with no
// history.
func (h ReleaseHistory) Rate() float64 {
	if h.Finished <= 0 {
		return 0
	}
	return float64(h.Failed) / float64(h.Finished)
}

// Outcome is how a release ended, as the audit trail tells it (the state
// forgets old releases, the trail keeps them longer).
type Outcome struct {
	App    string
	Failed bool
}

// AppHistory counts app's releases that finished, in the state's releases
// and in outcomes (by release ID, from the audit trail), each release
// once: the state's record wins for a release both know. A release still
// running counts only once it has failed.
func AppHistory(app string, releases []*Release, outcomes map[string]Outcome) ReleaseHistory {
	var h ReleaseHistory
	seen := map[string]bool{}
	for _, r := range releases {
		if r == nil || r.App != app {
			continue
		}
		seen[r.ID] = true
		failed := releaseFailed(r)
		if failed || r.State.Terminal() {
			h.Finished++
			if failed {
				h.Failed++
			}
		}
	}
	for id, o := range outcomes {
		if o.App != app || seen[id] {
			continue
		}
		h.Finished++
		if o.Failed {
			h.Failed++
		}
	}
	return h
}

// releaseFailed reports whether a ring of r failed or r was rolled back.
func releaseFailed(r *Release) bool {
	switch r.State {
	case ReleaseRolledBack, ReleaseRollbackFailed:
		return true
	}
	if r.RollbackRequested {
		return true
	}
	for _, rp := range r.Rings {
		if !rp.FailedAt.IsZero() {
			return true
		}
		switch rp.State {
		case RingFailed, RingRollingBack, RingRolledBack:
			return true
		}
	}
	return false
}
