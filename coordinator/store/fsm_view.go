package store

import (
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

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

// Topology returns the topology in force (nil before the first adoption)
// without copying the state: a parsed topology is never mutated.
func (f *FSM) Topology() *topology.Topology {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.m.topology
}

// Topology returns the node's topology in force (see FSM.Topology).
func (n *Node) Topology() *topology.Topology { return n.fsm.Topology() }

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
