package coordinator

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/rings"
)

// tstore is an in-memory Store over the real FSM: commands are applied at
// once (no Raft), leadership is whatever the test says. It records every
// command that reached Apply, so tests can assert that bad input changed
// nothing.
type tstore struct {
	fsm *store.FSM

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
}

func newTStore(leader bool) *tstore {
	return &tstore{fsm: store.NewFSM(0), leader: leader, leaderID: "n1", changes: make(chan bool, 16)}
}

// withTopology adopts testdata/api-topology.yaml.
func (s *tstore) withTopology(t testing.TB) *tstore {
	t.Helper()
	src, err := os.ReadFile("testdata/api-topology.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s.mustApply(t, command.CmdAdoptTopology, command.AdoptTopology{Revision: TopologyRevision(src), Path: "testdata/api-topology.yaml", Source: src})
	s.mu.Lock()
	s.applied = nil
	s.mu.Unlock()
	return s
}

func (s *tstore) mustApply(t testing.TB, typ command.Type, payload any) store.ApplyResult {
	t.Helper()
	cmd, err := command.New(typ, "test", payload)
	if err != nil {
		t.Fatal(err)
	}
	cmd.RequestID = command.NewRequestID()
	cmd.At = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	res, err := s.fsm.ApplyCommand(s.Snapshot().AppliedIndex+1, cmd)
	if err != nil {
		t.Fatalf("apply %s: %v", typ, err)
	}
	return res
}

func (s *tstore) Apply(ctx context.Context, cmd command.Command) (store.ApplyResult, error) {
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
	return s.fsm.ApplyCommand(idx, cmd)
}

// commands returns the commands that reached Apply.
func (s *tstore) commands() []command.Command {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.applied)
}

func (s *tstore) Snapshot() store.Snapshot { return s.fsm.Copy() }

func (s *tstore) IsLeader() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.leader
}

func (s *tstore) setLeader(v bool) {
	s.mu.Lock()
	s.leader = v
	s.mu.Unlock()
	s.changes <- v
}

func (s *tstore) Leader() (string, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.leaderID, s.leaderHTTP
}

func (s *tstore) VerifyLeader() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.leader {
		return command.ErrNotLeader
	}
	return s.verifyErr
}

func (s *tstore) Barrier(time.Duration) error { return nil }

func (s *tstore) LeaderChanges() <-chan bool { return s.changes }

func (s *tstore) Members() ([]apiclient.Member, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.members), nil
}

func (s *tstore) Join(id, raftAddr, httpAddr string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.leader {
		return command.ErrNotLeader
	}
	s.members = append(s.members, apiclient.Member{ID: id, RaftAddr: raftAddr, HTTPAddr: httpAddr, Voter: true})
	return nil
}

func (s *tstore) Remove(id string) error {
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

var _ Store = (*tstore)(nil)

func haltScopeRegions(regions ...string) rings.HaltScope { return rings.HaltScope{Regions: regions} }

func (s *tstore) View() store.Snapshot                                { return s.fsm.View() }
func (s *tstore) ViewState(fn func(st *rings.State))                  { s.fsm.ViewState(fn) }
func (s *tstore) AppliedIndex() uint64                                { return s.fsm.AppliedIndex() }
func (s *tstore) Audit(q apiclient.AuditQuery) []apiclient.AuditEntry { return s.fsm.Audit(q) }

// LeaderReady is false: the API then always takes the barrier, which the
// fake answers at once.
func (s *tstore) LeaderReady() bool { return false }

// RaftStats knows no term (0: the API leaves it out).
func (s *tstore) RaftStats() store.RaftStats {
	return store.RaftStats{Leader: s.IsLeader(), AppliedIndex: s.fsm.AppliedIndex(), CommitIndex: s.fsm.AppliedIndex(), LastIndex: s.fsm.AppliedIndex()}
}
