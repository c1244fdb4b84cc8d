package store

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/raft"

	"github.com/ringleader-dev/ringleader/coordinator/command"
)

// LeaderChanges delivers true when this node becomes the leader (after a
// barrier, so its state has every entry of earlier terms) and false when it
// stops being the leader. Raft never waits for the reader: when the buffer
// is full the oldest value is dropped, so the newest one always arrives.
// There is one channel per node, for one reader (the leader loop); it is
// closed by Shutdown.
func (n *Node) LeaderChanges() <-chan bool { return n.leaderCh }

// IsLeader reports whether this node believes it is the leader. Confirm
// with VerifyLeader before acting on the world.
func (n *Node) IsLeader() bool { return n.raft.State() == raft.Leader }

// Leader returns the leader's server ID and HTTP address; both are empty
// when no leader is known.
func (n *Node) Leader() (id, httpAddr string) {
	_, lid := n.raft.LeaderWithID()
	if lid == "" {
		return "", ""
	}
	return string(lid), n.fsm.memberHTTPAddr(string(lid))
}

// VerifyLeader confirms with a quorum that this node is still the leader.
// It fails with ErrNotLeader otherwise.
func (n *Node) VerifyLeader() error {
	return n.raftError("verify leadership", n.raft.VerifyLeader().Error())
}

// Barrier waits until every entry committed before the call is applied to
// the local state. Leader only.
func (n *Node) Barrier(timeout time.Duration) error {
	return n.raftError("barrier", n.raft.Barrier(timeout).Error())
}

// watchLeadership drains raft's notify channel for the node's whole life.
// On gaining leadership it applies a barrier (the FSM may lag the log), then
// records this node's HTTP address if the state does not have it, and only
// then tells LeaderChanges. Every Raft call here is timed.
func (n *Node) watchLeadership() {
	defer n.watching.Done()
	for {
		select {
		case <-n.stop:
			return
		case leader := <-n.notifyCh:
			if leader && !n.awaitBarrier() {
				continue // lost leadership or stopping; a false follows or nobody listens
			}
			if leader {
				n.logger.Info("gained leadership", "term", n.raft.CurrentTerm())
				n.registerSelf()
			} else {
				n.logger.Info("lost leadership")
			}
			n.publish(leader)
		}
	}
}

// awaitBarrier applies a barrier after an election, retrying while this
// node still leads, and reports whether it succeeded.
func (n *Node) awaitBarrier() bool {
	for n.raft.State() == raft.Leader {
		term := n.raft.CurrentTerm()
		err := n.raft.Barrier(n.barrierTimeout()).Error()
		if err == nil {
			n.readyTerm.Store(term)
			return true
		}
		n.logger.Warn("barrier after gaining leadership failed", "error", err)
		select {
		case <-n.stop:
			return false
		case <-time.After(n.cfg.HeartbeatTimeout):
		}
	}
	return false
}

// LeaderReady reports whether this node leads and has applied every entry
// committed before its term began: until its post-election barrier is done,
// its local state may lag what earlier leaders acknowledged, so consistent
// reads and writes validated against that state must wait (API.ensureCaughtUp).
func (n *Node) LeaderReady() bool {
	return n.raft.State() == raft.Leader && n.readyTerm.Load() == n.raft.CurrentTerm()
}

// barrierTimeout bounds the barrier after an election.
func (n *Node) barrierTimeout() time.Duration { return 10 * n.cfg.ElectionTimeout }

// publish sends v to leaderCh without ever blocking: when the buffer is
// full the oldest value makes room.
func (n *Node) publish(v bool) {
	for {
		select {
		case n.leaderCh <- v:
			return
		default:
		}
		select {
		case <-n.leaderCh:
		default:
		}
	}
}

// registerSelf records this node's HTTP address in the replicated state
// when it is missing or changed (the bootstrap node, or a restart with a
// new address), so followers can point clients at the new leader.
func (n *Node) registerSelf() {
	if n.cfg.HTTPAddr == "" || n.fsm.memberHTTPAddr(n.cfg.NodeID) == n.cfg.HTTPAddr {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), n.barrierTimeout())
	defer cancel()
	if _, err := n.setMember(ctx, n.cfg.NodeID, n.cfg.HTTPAddr); err != nil {
		n.logger.Warn("record own HTTP address failed; followers cannot point clients here until it is", "error", err)
	}
}

// setMember proposes CmdSetMember.
func (n *Node) setMember(ctx context.Context, id, httpAddr string) (ApplyResult, error) {
	cmd, err := command.New(command.CmdSetMember, command.ActorSystem, command.MemberMeta{ID: id, HTTPAddr: httpAddr})
	if err != nil {
		return ApplyResult{}, err
	}
	res, err := n.Apply(ctx, cmd)
	if err != nil {
		return res, fmt.Errorf("record HTTP address of %s: %w", id, err)
	}
	return res, nil
}

// AppliedIndex is the Raft index of the last command applied to this
// node's state (raft's own applied index can run ahead of the FSM).
func (n *Node) AppliedIndex() uint64 { return n.fsm.AppliedIndex() }
