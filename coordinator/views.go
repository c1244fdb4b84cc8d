package coordinator

import (
	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/rings"
)

// stateViewer is implemented by stores that can lend their applied state
// for a short read without a deep copy. The leader loop uses it for its
// most frequent read, the fence check before every push (one per
// promotion: with a deep copy each, a pass promoting every release of a
// large state was quadratic). Stores without it fall back to Snapshot.
type stateViewer interface {
	ViewState(fn func(s *rings.State))
}

// Both the FSM's and the node's views satisfy the loop's interface.
var _ stateViewer = (*store.Node)(nil)

// viewState lends s's applied state to fn: in place when s is a
// stateViewer, else through a deep copy (Snapshot).
func viewState(s store.Store, fn func(st *rings.State)) {
	if v, ok := s.(stateViewer); ok {
		v.ViewState(fn)
		return
	}
	snap := s.Snapshot()
	fn(&snap.State)
}

// haltView copies, from s's applied state, the halt named id (nil when
// there is none) and the active halts: what the halt endpoints need, at a
// cost that grows with neither the releases nor the resumed halts.
func haltView(s store.Store, id string) (named *rings.Halt, active []rings.Halt) {
	viewState(s, func(st *rings.State) {
		var keep []rings.Halt
		for _, h := range st.Halts {
			if h.ID == id || h.Active() {
				keep = append(keep, h)
			}
		}
		keep = (&rings.State{Halts: keep}).Clone().Halts
		active = []rings.Halt{}
		for i := range keep {
			if keep[i].ID == id {
				named = &keep[i]
			}
			if keep[i].Active() {
				active = append(active, keep[i])
			}
		}
	})
	return named, active
}

// appliedIndexer is implemented by stores that report their applied index
// without copying the state (*store.Node).
type appliedIndexer interface {
	AppliedIndex() uint64
}

// appliedSince reports whether s applied anything after index; true when
// s cannot tell.
func appliedSince(s store.Store, index uint64) bool {
	if a, ok := s.(appliedIndexer); ok {
		return a.AppliedIndex() != index
	}
	return true
}

var _ appliedIndexer = (*store.Node)(nil)

// appliedIndexOf returns s's applied index without copying the state when
// s can tell it.
func appliedIndexOf(s store.Store) uint64 {
	if a, ok := s.(appliedIndexer); ok {
		return a.AppliedIndex()
	}
	return s.Snapshot().AppliedIndex
}

// snapshotViewer is implemented by stores that can hand out a read-only
// view of the applied state that shares memory with it (rings.State.View):
// the leader loop takes one or more per pass, and a deep copy each made a
// pass, and so every write that kicks one, cost time and garbage in
// proportion to the whole state.
type snapshotViewer interface {
	View() store.Snapshot
}

var _ snapshotViewer = (*store.Node)(nil)

// ReadView returns a read-only view of s's applied state, for readers that
// only look (the leader loop, the API, the dashboard, the metrics): shared
// with the FSM when s can (snapshotViewer; copy-on-write, rings/share.go),
// a deep copy otherwise. Nothing reachable from it may be written.
func ReadView(s store.Store) store.Snapshot {
	if v, ok := s.(snapshotViewer); ok {
		return v.View()
	}
	return s.Snapshot()
}
