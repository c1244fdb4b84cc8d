package coordtest

import (
	"context"
	_ "embed"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/rings"
)

// Store is an in-memory stand-in for *store.Node over the real FSM:
// commands are applied at once (no Raft), leadership is whatever the test
// says. It records every command that reached Apply, so tests can assert
// that bad input changed nothing. It implements every method of the
// httpapi, leader and metrics Store interfaces.
type Store struct {
	// FSM is the real state machine the fake applies to.
	FSM *store.FSM

	mu         sync.Mutex
	leader     bool
	leaderID   string
	leaderHTTP string
	verifyErr  error
	applied    []command.Command
	members    []apiclient.Member
	changes    chan bool
	// applyHook, when set, runs before a command is applied; an error
	// refuses it.
	applyHook func(ctx context.Context, cmd command.Command) error
	// snapshots and views count the deep copies and the views taken.
	snapshots, views atomic.Int64
}

// Topology is a small valid topology document (testdata/topology.yaml):
// apps web and api, rings canary, early and broad.
//
//go:embed testdata/topology.yaml
var Topology []byte

// TopologyPath is the path recorded when a test adopts Topology.
const TopologyPath = "testdata/api-topology.yaml"

// NewStore returns a fake over a new FSM that names n1 its leader; leader
// says whether this node is n1.
func NewStore(leader bool) *Store {
	s := NewStoreOn(store.NewFSM(0), leader)
	s.leaderID = "n1"
	return s
}

// NewStoreOn returns a fake over fsm that knows no leader yet.
func NewStoreOn(fsm *store.FSM, leader bool) *Store {
	return &Store{FSM: fsm, leader: leader, changes: make(chan bool, 16)}
}

// WithTopology adopts Topology.
func (s *Store) WithTopology(t testing.TB) *Store {
	t.Helper()
	s.MustApply(t, command.CmdAdoptTopology, command.AdoptTopology{Revision: rings.TopologyRevision(Topology), Path: TopologyPath, Source: Topology})
	return s
}

// MustApply applies a command straight to the FSM at the next index, as
// the test actor, without recording it among Commands.
func (s *Store) MustApply(t testing.TB, typ command.Type, payload any) store.ApplyResult {
	t.Helper()
	cmd, err := command.New(typ, "test", payload)
	if err != nil {
		t.Fatal(err)
	}
	cmd.RequestID = command.NewRequestID()
	cmd.At = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	res, err := s.FSM.ApplyCommand(s.FSM.AppliedIndex()+1, cmd)
	if err != nil {
		t.Fatalf("apply %s: %v", typ, err)
	}
	return res
}

func (s *Store) Apply(ctx context.Context, cmd command.Command) (store.ApplyResult, error) {
	s.mu.Lock()
	hook, leader := s.applyHook, s.leader
	s.mu.Unlock()
	if !leader {
		return store.ApplyResult{}, fmt.Errorf("apply %s: %w", cmd.Type, command.ErrNotLeader)
	}
	if hook != nil {
		if err := hook(ctx, cmd); err != nil {
			return store.ApplyResult{}, err
		}
	}
	s.mu.Lock()
	s.applied = append(s.applied, cmd)
	idx := uint64(len(s.applied)) + 100
	s.mu.Unlock()
	return s.FSM.ApplyCommand(idx, cmd)
}

// Commands returns the commands that reached Apply.
func (s *Store) Commands() []command.Command {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.applied)
}

// Snapshot returns a deep copy of the state, and counts it.
func (s *Store) Snapshot() store.Snapshot {
	s.snapshots.Add(1)
	return s.FSM.Copy()
}

// Snapshots is how many deep copies Snapshot handed out.
func (s *Store) Snapshots() int64 { return s.snapshots.Load() }

// Views is how many copy-on-write views View handed out.
func (s *Store) Views() int64 { return s.views.Load() }

func (s *Store) IsLeader() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.leader
}

// SetLeader makes this node lead (or follow) and announces it on
// LeaderChanges.
func (s *Store) SetLeader(v bool) {
	s.mu.Lock()
	s.leader = v
	s.mu.Unlock()
	s.changes <- v
}

func (s *Store) Leader() (string, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.leaderID, s.leaderHTTP
}

func (s *Store) VerifyLeader() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.leader {
		return command.ErrNotLeader
	}
	return s.verifyErr
}

func (s *Store) Barrier(time.Duration) error { return nil }

func (s *Store) LeaderChanges() <-chan bool { return s.changes }

func (s *Store) Members() ([]apiclient.Member, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.members), nil
}

func (s *Store) Join(id, raftAddr, httpAddr string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.leader {
		return command.ErrNotLeader
	}
	s.members = append(s.members, apiclient.Member{ID: id, RaftAddr: raftAddr, HTTPAddr: httpAddr, Voter: true})
	return nil
}

func (s *Store) Remove(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.leader {
		return command.ErrNotLeader
	}
	i := slices.IndexFunc(s.members, func(m apiclient.Member) bool { return m.ID == id })
	if i < 0 {
		return fmt.Errorf("remove %s: %w", id, command.ErrNotFound)
	}
	s.members = slices.Delete(s.members, i, i+1)
	return nil
}

func (s *Store) View() store.Snapshot {
	s.views.Add(1)
	return s.FSM.View()
}

func (s *Store) ViewState(fn func(st *rings.State))                  { s.FSM.ViewState(fn) }
func (s *Store) AppliedIndex() uint64                                { return s.FSM.AppliedIndex() }
func (s *Store) Audit(q apiclient.AuditQuery) []apiclient.AuditEntry { return s.FSM.Audit(q) }

// LeaderReady is false: the API then always takes the barrier, which the
// fake answers at once.
func (s *Store) LeaderReady() bool { return false }

// RaftStats knows no term (0: the API leaves it out).
func (s *Store) RaftStats() store.RaftStats {
	return store.RaftStats{Leader: s.IsLeader(), AppliedIndex: s.FSM.AppliedIndex(), CommitIndex: s.FSM.AppliedIndex(), LastIndex: s.FSM.AppliedIndex()}
}

// ForgetCommands clears what Commands returns.
func (s *Store) ForgetCommands() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.applied = nil
}

// SetLeaderAddr sets the leader's ID and HTTP address Leader reports.
func (s *Store) SetLeaderAddr(id, httpAddr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.leaderID, s.leaderHTTP = id, httpAddr
}

// SetMembers sets what Members lists.
func (s *Store) SetMembers(ms ...apiclient.Member) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.members = ms
}

// SetVerifyErr makes VerifyLeader fail with err while this node leads.
func (s *Store) SetVerifyErr(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.verifyErr = err
}

// SetApplyHook runs hook before every command reaches the FSM; an error
// refuses the command.
func (s *Store) SetApplyHook(hook func(ctx context.Context, cmd command.Command) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.applyHook = hook
}
