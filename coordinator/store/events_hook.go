package store

import (
	"encoding/json"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"

	"github.com/ringleader-dev/ringleader/coordinator/command"
)

// Observers let the event stream and the metrics follow the node without
// the FSM knowing about either. They are called synchronously on Raft's
// apply goroutine (ApplyObserver) or on the proposing goroutine
// (ProposalObserver), so they must return quickly and never block: the
// event broker only copies the event into bounded buffers.

// AppliedCommand is one command this node's state machine applied.
type AppliedCommand struct {
	// Index is the Raft log index of the entry.
	Index uint64
	// Command is the decoded envelope.
	Command command.Command
	// ResultID is the ID of what the command created or touched.
	ResultID string
	// Err is the state machine's refusal (nothing changed), or nil.
	Err error
	// Took is the time spent in the state machine on this node.
	Took time.Duration
}

// ApplyObserver is told about every command the FSM applied through Raft,
// on every node (leader and followers alike), in log order.
type ApplyObserver func(AppliedCommand)

// ProposalObserver is told, on the node that proposed it, how long a
// command took from Node.Apply handing it to Raft until it was committed
// by a quorum and applied locally, and the Raft-level error (nil when it
// committed).
type ProposalObserver func(t command.Type, took time.Duration, err error)

// nodeObservers holds the registered observers. Registration is rare
// (start-up) and copies the slice; notification reads it without a lock.
type nodeObservers struct {
	mu       sync.Mutex
	applied  atomic.Pointer[[]ApplyObserver]
	proposed atomic.Pointer[[]ProposalObserver]
}

// OnApply registers fn to be called after every command this node applies
// through Raft. Entries applied before registration (the log replayed at
// start-up) are not reported.
func (n *Node) OnApply(fn ApplyObserver) {
	if fn == nil {
		return
	}
	addObserver(&n.obs.mu, &n.obs.applied, fn)
}

// OnPropose registers fn to be called after every Node.Apply on this node
// that reached Raft (the leader's commit latency).
func (n *Node) OnPropose(fn ProposalObserver) {
	if fn == nil {
		return
	}
	addObserver(&n.obs.mu, &n.obs.proposed, fn)
}

// addObserver registers fn in list under mu. It stores a new slice, so the
// one a notification loaded stays as it was.
func addObserver[F any](mu *sync.Mutex, list *atomic.Pointer[[]F], fn F) {
	mu.Lock()
	defer mu.Unlock()
	var fns []F
	if p := list.Load(); p != nil {
		fns = append(fns, *p...)
	}
	fns = append(fns, fn)
	list.Store(&fns)
}

// proposedCommand notifies the proposal observers.
func (o *nodeObservers) proposedCommand(t command.Type, took time.Duration, err error) {
	p := o.proposed.Load()
	if p == nil {
		return
	}
	for _, fn := range *p {
		fn(t, took, err)
	}
}

// observedFSM is the raft.FSM handed to Raft: the FSM, plus a notification
// of the apply observers after each entry. Snapshot and Restore are the
// FSM's own.
type observedFSM struct {
	*FSM
	obs *nodeObservers
}

// Apply implements raft.FSM.
func (o observedFSM) Apply(l *raft.Log) any {
	start := time.Now()
	resp := o.FSM.Apply(l)
	p := o.obs.applied.Load()
	if p == nil || len(*p) == 0 {
		return resp
	}
	ac := AppliedCommand{Index: l.Index, Took: time.Since(start)}
	if err := json.Unmarshal(l.Data, &ac.Command); err != nil {
		return resp // undecodable entries are refused by the FSM; nothing to report
	}
	if r, ok := resp.(*applyResponse); ok {
		ac.ResultID, ac.Err = r.result.ID, r.err
	}
	for _, fn := range *p {
		fn(ac)
	}
	return resp
}
