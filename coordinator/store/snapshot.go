package store

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"

	"github.com/hashicorp/raft"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// snapshotFormat versions the persisted snapshot document. Restore refuses
// a newer one.
const snapshotFormat = 1

// persistedState is the snapshot document: the whole machine as JSON.
type persistedState struct {
	Format           int                        `json:"format"`
	State            *rings.State               `json:"state"`
	TopologyRevision string                     `json:"topologyRevision,omitempty"`
	TopologyPath     string                     `json:"topologyPath,omitempty"`
	TopologySource   []byte                     `json:"topologySource,omitempty"`
	TopologyRejected *command.TopologyRejection `json:"topologyRejected,omitempty"`
	Members          map[string]string          `json:"members,omitempty"`
	Requests         []requestEntry             `json:"requests,omitempty"`
	Audit            []apiclient.AuditEntry     `json:"audit,omitempty"`
	AppliedIndex     uint64                     `json:"appliedIndex"`
}

// fsmSnapshot is a point-in-time view taken under the lock; Persist
// encodes it while later entries are applied.
type fsmSnapshot struct{ p persistedState }

// Snapshot implements raft.FSM. It takes a copy-on-write view of the state
// (rings/share.go: a copy of the list of releases, not of the releases)
// and copies of the small parts, under the write lock that a view needs;
// encoding and writing happen in Persist, concurrently with Apply, which
// never changes what the view shows.
func (f *FSM) Snapshot() (raft.FSMSnapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := f.m
	return &fsmSnapshot{p: persistedState{
		Format:           snapshotFormat,
		State:            m.state.View(),
		TopologyRevision: m.topologyRevision,
		TopologyPath:     m.topologyPath,
		TopologySource:   m.topologySource, // never mutated after adoption
		TopologyRejected: m.topologyRejected.Clone(),
		Members:          maps.Clone(m.members),
		Requests:         m.requests.entries(),
		Audit:            m.audit.all(),
		AppliedIndex:     m.applied,
	}}, nil
}

// Persist writes the snapshot as one JSON document.
func (s *fsmSnapshot) Persist(sink raft.SnapshotSink) error {
	if err := json.NewEncoder(sink).Encode(&s.p); err != nil {
		sink.Cancel()
		return fmt.Errorf("persist snapshot: %w", err)
	}
	return sink.Close()
}

// Release implements raft.FSMSnapshot; the copy holds no resources.
func (s *fsmSnapshot) Release() {}

// Restore implements raft.FSM: it replaces everything with the snapshot.
// The topology source is parsed again, exactly as on adoption, so every
// node derives the same topology from the same bytes.
func (f *FSM) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	var p persistedState
	if err := json.NewDecoder(rc).Decode(&p); err != nil {
		return fmt.Errorf("restore snapshot: decode: %w", err)
	}
	m, err := p.machine(f.requestLogSize)
	if err != nil {
		return err
	}
	f.mu.Lock()
	f.m = m
	f.mu.Unlock()
	return nil
}

// machine rebuilds the state machine from a snapshot document.
func (p *persistedState) machine(requestLogSize int) (*machine, error) {
	if p.Format > snapshotFormat {
		return nil, fmt.Errorf("restore snapshot: format %d is newer than this node's %d: upgrade the node", p.Format, snapshotFormat)
	}
	m := newMachine(requestLogSize)
	if p.State != nil {
		m.state = p.State
	}
	if len(p.TopologySource) > 0 {
		t, err := topology.Parse(p.TopologyPath, p.TopologySource)
		if err != nil {
			return nil, fmt.Errorf("restore snapshot: topology revision %s no longer parses: %w", p.TopologyRevision, err)
		}
		m.topology = t
		m.topologyRevision = p.TopologyRevision
		m.topologyPath = p.TopologyPath
		m.topologySource = p.TopologySource
	}
	m.topologyRejected = p.TopologyRejected
	if p.Members != nil {
		m.members = p.Members
	}
	for _, e := range p.Requests {
		m.requests.add(e.RequestID, e.Outcome)
	}
	m.audit.load(p.Audit)
	m.applied = p.AppliedIndex
	return m, nil
}
