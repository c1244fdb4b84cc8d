package store

import (
	"context"
	"fmt"

	"github.com/hashicorp/raft"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/coordinator/command"
)

// Join adds the server id at raftAddr as a voter and records its HTTP
// address in the replicated state. Leader only (ErrNotLeader otherwise).
// Joining a server already present at the same address only refreshes its
// HTTP address; an address held by another server ID is ErrConflict.
func (n *Node) Join(id, raftAddr, httpAddr string) error {
	if id == "" || raftAddr == "" {
		return invalidf("join: server ID and raft address are required (got %q, %q)", id, raftAddr)
	}
	if err := checkAdvertise(raftAddr); err != nil {
		return invalidf("join %s: %w", id, err)
	}
	servers, err := n.leaderServers("join " + id)
	if err != nil {
		return err
	}
	present := false
	for _, s := range servers {
		switch {
		case string(s.ID) == id && string(s.Address) == raftAddr && s.Suffrage == raft.Voter:
			present = true
		case string(s.ID) != id && string(s.Address) == raftAddr:
			return fmt.Errorf("join %s: raft address %s belongs to server %s; remove it first: %w", id, raftAddr, s.ID, command.ErrConflict)
		}
	}
	if !present {
		if err := n.verifyPeer(raftAddr); err != nil {
			return fmt.Errorf("join %s: %w", id, err)
		}
		f := n.raft.AddVoter(raft.ServerID(id), raft.ServerAddress(raftAddr), 0, n.cfg.ApplyTimeout)
		if err := n.raftError("join "+id, f.Error()); err != nil {
			return err
		}
		n.logger.Info("server joined", "id", id, "raft_addr", raftAddr)
	}
	if httpAddr == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), n.cfg.ApplyTimeout)
	defer cancel()
	_, err = n.setMember(ctx, id, httpAddr)
	return err
}

// Remove removes server id from the cluster and forgets its HTTP address.
// Leader only. A leader removing itself steps down afterwards.
func (n *Node) Remove(id string) error {
	servers, err := n.leaderServers("remove " + id)
	if err != nil {
		return err
	}
	found := false
	for _, s := range servers {
		found = found || string(s.ID) == id
	}
	if !found {
		return fmt.Errorf("remove %s: no such server in the configuration; list them with ringctl cluster members: %w", id, command.ErrNotFound)
	}
	ctx, cancel := context.WithTimeout(context.Background(), n.cfg.ApplyTimeout)
	defer cancel()
	// The address goes first: a leader that removes itself cannot propose
	// anything afterwards.
	cmd, err := command.New(command.CmdRemoveMember, command.ActorSystem, command.MemberMeta{ID: id})
	if err != nil {
		return err
	}
	if _, err := n.Apply(ctx, cmd); err != nil {
		return fmt.Errorf("forget HTTP address of %s: %w", id, err)
	}
	f := n.raft.RemoveServer(raft.ServerID(id), 0, n.cfg.ApplyTimeout)
	if err := n.raftError("remove "+id, f.Error()); err != nil {
		return err
	}
	n.logger.Info("server removed", "id", id)
	return nil
}

// Members lists the Raft configuration with each server's HTTP address and
// which one is the leader.
func (n *Node) Members() ([]apiclient.Member, error) {
	servers, err := n.servers()
	if err != nil {
		return nil, err
	}
	_, leader := n.raft.LeaderWithID()
	http := n.fsm.membersCopy()
	out := make([]apiclient.Member, 0, len(servers))
	for _, s := range servers {
		out = append(out, apiclient.Member{
			ID:       string(s.ID),
			RaftAddr: string(s.Address),
			HTTPAddr: http[string(s.ID)],
			Voter:    s.Suffrage == raft.Voter,
			Leader:   s.ID == leader,
		})
	}
	return out, nil
}

// leaderServers reads the latest Raft configuration for a change, op, that
// only the leader makes: on a follower it is the not-leader error.
func (n *Node) leaderServers(op string) ([]raft.Server, error) {
	if !n.IsLeader() {
		return nil, n.notLeader(op)
	}
	return n.servers()
}

// servers reads the latest Raft configuration.
func (n *Node) servers() ([]raft.Server, error) {
	f := n.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return nil, n.raftError("read raft configuration", err)
	}
	return f.Configuration().Servers, nil
}

// Snapshot returns a deep copy of the applied state.
func (n *Node) Snapshot() Snapshot { return n.fsm.Copy() }
