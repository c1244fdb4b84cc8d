package store

import (
	"encoding/json"
	"maps"
	"slices"
	"sync"

	"github.com/hashicorp/raft"

	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// FSM is the replicated state machine. It is deliberately thin: Apply
// decodes the envelope and hands the command to ApplyCommand, which checks
// the version, resolves repeated RequestIDs and dispatches to one processor
// per command type (processors.go). Nothing in it reads a clock: every time
// comes from Command.At, stamped by the leader.
//
// ApplyCommand works without Raft, so tests replay command lists through it.
type FSM struct {
	mu sync.RWMutex
	m  *machine
	// requestLogSize is kept to rebuild the request log on Restore.
	requestLogSize int
	// auditRetention bounds the audit trail (audit.go).
	auditRetention AuditRetention
}

// machine is everything the log replicates. Only the FSM's processors
// change it, under the FSM's write lock.
type machine struct {
	state *rings.State
	// topology is the last good adopted topology (nil before the first);
	// topologySource is what it was parsed from, so a snapshot carries the
	// source and Restore parses it again.
	topology         *topology.Topology
	topologyRevision string
	topologyPath     string
	topologySource   []byte
	// topologyRejected is the last revision that failed validation since
	// the last adoption (nil when none).
	topologyRejected *command.TopologyRejection
	// members maps Raft server IDs to HTTP API addresses.
	members map[string]string
	// requests remembers the outcome of recent RequestIDs.
	requests *requestLog
	// audit is the trail of accepted commands (audit.go).
	audit auditTrail
	// applied is the Raft index of the last applied entry.
	applied uint64
}

// NewFSM returns an empty state machine that remembers the last
// requestLogSize RequestIDs (DefaultRequestLogSize when <= 0).
func NewFSM(requestLogSize int) *FSM {
	if requestLogSize <= 0 {
		requestLogSize = DefaultRequestLogSize
	}
	return &FSM{m: newMachine(requestLogSize), requestLogSize: requestLogSize}
}

func newMachine(requestLogSize int) *machine {
	return &machine{
		state:    &rings.State{},
		members:  map[string]string{},
		requests: newRequestLog(requestLogSize),
	}
}

// applyResponse is what FSM.Apply hands back to the proposer through
// raft.ApplyFuture.Response.
type applyResponse struct {
	result ApplyResult
	err    error
}

// Apply implements raft.FSM: decode the envelope, then ApplyCommand.
func (f *FSM) Apply(l *raft.Log) any {
	var cmd command.Command
	if err := json.Unmarshal(l.Data, &cmd); err != nil {
		f.mu.Lock()
		f.m.applied = l.Index
		f.mu.Unlock()
		return &applyResponse{result: ApplyResult{Index: l.Index},
			err: invalidf("decode command at index %d: %v; the entry was written by an incompatible node", l.Index, err)}
	}
	res, err := f.ApplyCommand(l.Index, cmd)
	return &applyResponse{result: res, err: err}
}

// ApplyCommand applies one command as the entry at index. A command whose
// RequestID was applied before changes nothing and returns the first
// outcome. Errors wrap ErrInvalid, ErrNotFound or ErrConflict (and the
// rings sentinel they came from).
func (f *FSM) ApplyCommand(index uint64, cmd command.Command) (ApplyResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.m.applied = index
	if cmd.Version > command.Version || cmd.Version < 1 {
		return ApplyResult{Index: index}, invalidf("command %s has envelope version %d; this node understands up to %d: upgrade every node before proposing it",
			cmd.Type, cmd.Version, command.Version)
	}
	if cmd.RequestID != "" {
		if o, ok := f.m.requests.get(cmd.RequestID); ok {
			return o.result(), o.err()
		}
	}
	id, err := f.m.process(cmd)
	err = mapRingsError(err)
	if cmd.RequestID != "" {
		f.m.requests.add(cmd.RequestID, newOutcome(id, index, err))
	}
	if err == nil {
		f.m.audit.record(index, cmd, id, f.auditRetention, f.m)
	}
	return ApplyResult{ID: id, Index: index}, err
}

// process dispatches cmd to its processor.
func (m *machine) process(cmd command.Command) (string, error) {
	p, ok := processors[cmd.Type]
	if !ok {
		return "", invalidf("command type %q is unknown to this node: upgrade it or fix the proposer", cmd.Type)
	}
	return p(m, cmd)
}

// Copy returns a deep copy of the applied state (Node.Snapshot).
func (f *FSM) Copy() Snapshot {
	f.mu.RLock()
	defer f.mu.RUnlock()
	snap := f.m.snapshotWith(f.m.state.Clone())
	snap.TopologySource = slices.Clone(snap.TopologySource)
	return snap
}

// snapshotWith is the machine's Snapshot around st. The topology and its
// source are shared (a parsed topology is never changed, and the source
// is replaced, never changed in place); the rest is copied.
func (m *machine) snapshotWith(st *rings.State) Snapshot {
	return Snapshot{
		State:            *st,
		Topology:         m.topology,
		TopologyRevision: m.topologyRevision,
		TopologySource:   m.topologySource,
		TopologyRejected: m.topologyRejected.Clone(),
		Members:          maps.Clone(m.members),
		AppliedIndex:     m.applied,
	}
}

// memberHTTPAddr returns the HTTP address recorded for a server ID.
func (f *FSM) memberHTTPAddr(id string) string {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.m.members[id]
}

// membersCopy returns the ID → HTTP address map.
func (f *FSM) membersCopy() map[string]string {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return maps.Clone(f.m.members)
}

// AppliedIndex is the Raft index of the last command the FSM applied.
func (f *FSM) AppliedIndex() uint64 {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.m.applied
}
