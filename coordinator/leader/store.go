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
	// Leadership: whether this node leads now, every change of it, a
	// quorum's confirmation right before a side effect, and a barrier
	// after gaining it.
	IsLeader() bool
	LeaderChanges() <-chan bool
	VerifyLeader() error
	Barrier(timeout time.Duration) error
	// Apply records one of the loop's decisions through Raft; it returns
	// once the entry is applied here (ErrNotLeader on a follower).
	Apply(ctx context.Context, cmd command.Command) (store.ApplyResult, error)
	// Reads of the applied state: a deep copy, a copy-on-write view that
	// must not be written, the state lent to fn under the read lock (fn
	// must not keep it), and the index of the last applied entry.
	Snapshot() store.Snapshot
	View() store.Snapshot
	ViewState(fn func(s *rings.State))
	AppliedIndex() uint64
}

var _ Store = (*store.Node)(nil)
