package coordinator

import (
	"context"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// Snapshot is a deep copy of the replicated state, safe to read and to
// serialise without locks.
type Snapshot struct {
	// State is what the planner decides from.
	State rings.State `json:"state"`
	// Topology in force, its revision and where it came from; nil until one
	// was adopted.
	Topology         *topology.Topology `json:"topology,omitempty"`
	TopologyRevision string             `json:"topologyRevision,omitempty"`
	TopologySource   []byte             `json:"-"`
	// TopologyRejected is the last revision refused since the last
	// adoption, with its errors (nil when none).
	TopologyRejected *command.TopologyRejection `json:"topologyRejected,omitempty"`
	// Members maps Raft server IDs to HTTP addresses.
	Members map[string]string `json:"members,omitempty"`
	// AppliedIndex is the Raft index of the last applied entry.
	AppliedIndex uint64 `json:"appliedIndex"`
}

// ApplyResult is what applying one command returned: the ID of what it
// created, if anything.
type ApplyResult struct {
	ID    string `json:"id,omitempty"`
	Index uint64 `json:"index"`
}

// Store is what the HTTP API and the leader loop need from the replicated
// node. *Node implements it.
type Store interface {
	// Apply proposes cmd through Raft and waits until it is committed by a
	// quorum and applied locally. ErrNotLeader on followers.
	Apply(ctx context.Context, cmd command.Command) (ApplyResult, error)
	// Snapshot returns a deep copy of the applied state.
	Snapshot() Snapshot
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
}
