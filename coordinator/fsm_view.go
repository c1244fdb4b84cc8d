package coordinator

import (
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// stateViewer is implemented by stores that can lend their applied state
// for a short read without a deep copy. The leader loop uses it for its
// most frequent read, the fence check before every push (one per
// promotion: with a deep copy each, a pass promoting every release of a
// large state was quadratic). Stores without it fall back to Snapshot.
type stateViewer interface {
	ViewState(fn func(s *rings.State))
}

// ViewState calls fn with the applied state under the FSM's read lock,
// without copying it. fn must only read, must not keep s or anything
// reachable from it after returning, and must not call back into the FSM.
func (f *FSM) ViewState(fn func(s *rings.State)) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	fn(f.m.state)
}

// ViewState lends the node's applied state to fn (see FSM.ViewState).
func (n *Node) ViewState(fn func(s *rings.State)) { n.fsm.ViewState(fn) }

// Both the FSM's and the node's views satisfy the loop's interface.
var _ stateViewer = (*Node)(nil)

// Topology returns the topology in force (nil before the first adoption)
// without copying the state: a parsed topology is never mutated.
func (f *FSM) Topology() *topology.Topology {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.m.topology
}

// Topology returns the node's topology in force (see FSM.Topology).
func (n *Node) Topology() *topology.Topology { return n.fsm.Topology() }

// viewState lends s's applied state to fn: in place when s is a
// stateViewer, else through a deep copy (Snapshot).
func viewState(s Store, fn func(st *rings.State)) {
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
func haltView(s Store, id string) (named *rings.Halt, active []rings.Halt) {
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
// without copying the state (*Node).
type appliedIndexer interface {
	AppliedIndex() uint64
}

// appliedSince reports whether s applied anything after index; true when
// s cannot tell.
func appliedSince(s Store, index uint64) bool {
	if a, ok := s.(appliedIndexer); ok {
		return a.AppliedIndex() != index
	}
	return true
}

var _ appliedIndexer = (*Node)(nil)

// appliedIndexOf returns s's applied index without copying the state when
// s can tell it.
func appliedIndexOf(s Store) uint64 {
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
	View() Snapshot
}

// View returns the applied state as a read-only view: its State shares
// memory with the FSM (copy-on-write, rings/share.go), so the caller must
// not write any of its fields; the FSM's later changes never show through
// it. The other fields are copies, as in Copy.
func (f *FSM) View() Snapshot {
	// The write lock: taking a view updates the state's bookkeeping.
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.m.snapshotWith(f.m.state.View())
}

// View returns a read-only view of the node's applied state (FSM.View).
func (n *Node) View() Snapshot { return n.fsm.View() }

var _ snapshotViewer = (*Node)(nil)

// ReadView returns a read-only view of s's applied state, for readers that
// only look (the leader loop, the API, the dashboard, the metrics): shared
// with the FSM when s can (snapshotViewer; copy-on-write, rings/share.go),
// a deep copy otherwise. Nothing reachable from it may be written.
func ReadView(s Store) Snapshot {
	if v, ok := s.(snapshotViewer); ok {
		return v.View()
	}
	return s.Snapshot()
}
