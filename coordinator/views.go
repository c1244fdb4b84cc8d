package coordinator

import (
	"context"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/rings"
)

// Store is what the HTTP API, the leader loop and the metrics need from
// the replicated node. *store.Node implements it; tests use an FSM-backed
// fake. Every method is required: no reader finds one by type assertion.
type Store interface {
	// Apply proposes cmd through Raft and waits until it is committed by a
	// quorum and applied locally. ErrNotLeader on followers.
	Apply(ctx context.Context, cmd command.Command) (store.ApplyResult, error)
	// Snapshot returns a deep copy of the applied state.
	Snapshot() store.Snapshot
	// IsLeader reports whether this node believes it is the leader.
	IsLeader() bool
	// Leader returns the leader's server ID and HTTP address ("" if unknown).
	Leader() (id, httpAddr string)
	// VerifyLeader confirms leadership with a quorum (for consistent reads
	// and right before side effects).
	VerifyLeader() error
	// Barrier waits until every entry committed before it is applied.
	Barrier(timeout time.Duration) error
	// LeaderChanges delivers true on gaining and false on losing leadership.
	LeaderChanges() <-chan bool
	// Members lists the cluster configuration with HTTP addresses.
	Members() ([]apiclient.Member, error)
	// Join adds a voter; Remove removes a server. Leader only.
	Join(id, raftAddr, httpAddr string) error
	Remove(id string) error
	// View returns a read-only view of the applied state that shares
	// memory with the FSM (copy-on-write): nothing reachable from it may
	// be written. Cheaper than Snapshot for readers that only look.
	View() store.Snapshot
	// ViewState lends the applied state to fn under the FSM's read lock,
	// without a copy; fn must only read and must not keep it.
	ViewState(fn func(s *rings.State))
	// AppliedIndex is the Raft index of the last applied entry.
	AppliedIndex() uint64
	// LeaderReady reports whether this node leads and has applied every
	// entry committed before its term.
	LeaderReady() bool
	// Audit returns the audit trail entries matching q.
	Audit(q apiclient.AuditQuery) []apiclient.AuditEntry
	// RaftStats reports this node's Raft term and indexes.
	RaftStats() store.RaftStats
}

var _ Store = (*store.Node)(nil)

// haltView copies, from s's applied state, the halt named id (nil when
// there is none) and the active halts: what the halt endpoints need, at a
// cost that grows with neither the releases nor the resumed halts.
func haltView(s Store, id string) (named *rings.Halt, active []rings.Halt) {
	s.ViewState(func(st *rings.State) {
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

// ReadView returns a read-only view of s's applied state (Store.View), for
// readers that only look: nothing reachable from it may be written.
func ReadView(s Store) store.Snapshot { return s.View() }
