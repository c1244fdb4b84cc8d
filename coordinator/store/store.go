package store

import (
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
