package store

// RaftStats is what the Raft metrics show about this node.
type RaftStats struct {
	Leader       bool
	Term         uint64
	CommitIndex  uint64
	AppliedIndex uint64
	LastIndex    uint64
}

// RaftStats reports this node's Raft term and indexes.
func (n *Node) RaftStats() RaftStats {
	return RaftStats{
		Leader:       n.IsLeader(),
		Term:         n.raft.CurrentTerm(),
		CommitIndex:  n.raft.CommitIndex(),
		AppliedIndex: n.raft.AppliedIndex(),
		LastIndex:    n.raft.LastIndex(),
	}
}
