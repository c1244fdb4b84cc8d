package leader

import (
	"context"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/rings"
)

// Store is what the leader loop needs from the replicated node.
// *store.Node implements it; tests use coordtest.Store. Every method is
// required: the loop finds none by type assertion.
type Store interface {
	// Apply proposes cmd through Raft and waits until it is committed by a
	// quorum and applied locally. ErrNotLeader on followers.
	Apply(ctx context.Context, cmd command.Command) (store.ApplyResult, error)
	// IsLeader reports whether this node believes it is the leader.
	IsLeader() bool
	// LeaderChanges delivers true on gaining and false on losing leadership.
	LeaderChanges() <-chan bool
	// VerifyLeader confirms leadership with a quorum, right before a side
	// effect.
	VerifyLeader() error
	// Barrier waits until every entry committed before it is applied.
	Barrier(timeout time.Duration) error
	// Snapshot returns a deep copy of the applied state.
	Snapshot() store.Snapshot
	// View returns a read-only view of the applied state that shares
	// memory with the FSM: nothing reachable from it may be written.
	View() store.Snapshot
	// ViewState lends the applied state to fn under the FSM's read lock,
	// without a copy; fn must only read and must not keep it.
	ViewState(fn func(s *rings.State))
	// AppliedIndex is the Raft index of the last applied entry.
	AppliedIndex() uint64
}

var _ Store = (*store.Node)(nil)
