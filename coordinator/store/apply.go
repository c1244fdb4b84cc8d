package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/raft"

	"github.com/ringleader-dev/ringleader/coordinator/command"
)

// Apply proposes cmd through Raft and waits until a quorum has committed it
// and this node has applied it. It fills Version (command.Version), At (the
// leader's clock, Config.Now, in UTC) and RequestID (random) when empty.
//
// Errors:
//   - ErrNotLeader: this node is not the leader (nothing was proposed), or
//     it stepped down before the entry was sent; retry at the leader.
//   - ErrLeadershipLost: leadership was lost while the entry was in flight;
//     it may have been committed. Retry with the same RequestID.
//   - the context's error when ctx ends first; the entry may still commit,
//     so again retry with the same RequestID.
//   - ErrInvalid, ErrNotFound, ErrConflict: the state machine refused the
//     command and nothing changed (errors.Is also matches the rings
//     sentinel it came from).
func (n *Node) Apply(ctx context.Context, cmd command.Command) (ApplyResult, error) {
	if cmd.Version == 0 {
		cmd.Version = command.Version
	}
	if cmd.Version > command.Version || cmd.Version < 0 {
		return ApplyResult{}, invalidf("apply %s: envelope version %d is not one this node writes (%d)", cmd.Type, cmd.Version, command.Version)
	}
	if !KnownCommand(cmd.Type) {
		return ApplyResult{}, invalidf("apply: command type %q is unknown", cmd.Type)
	}
	if n.raft.State() != raft.Leader {
		return ApplyResult{}, n.notLeader("apply " + string(cmd.Type))
	}
	if cmd.At.IsZero() {
		cmd.At = n.cfg.Now()
	}
	cmd.At = cmd.At.UTC().Round(0)
	if cmd.RequestID == "" {
		cmd.RequestID = command.NewRequestID()
	}
	data, err := json.Marshal(cmd)
	if err != nil {
		return ApplyResult{}, invalidf("apply %s: encode command: %v", cmd.Type, err)
	}
	timeout := n.cfg.ApplyTimeout
	if dl, ok := ctx.Deadline(); ok {
		timeout = time.Until(dl)
		if timeout <= 0 {
			return ApplyResult{}, fmt.Errorf("apply %s: %w", cmd.Type, context.DeadlineExceeded)
		}
	}
	start := time.Now()
	f := n.raft.Apply(data, timeout)
	err = waitFuture(ctx, f)
	n.obs.proposedCommand(cmd.Type, time.Since(start), err)
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return ApplyResult{}, fmt.Errorf("apply %s (request %s): %w; it may still be applied: retry with the same request ID", cmd.Type, cmd.RequestID, err)
		}
		return ApplyResult{}, n.raftError("apply "+string(cmd.Type), err)
	}
	resp, ok := f.Response().(*applyResponse)
	if !ok {
		return ApplyResult{}, fmt.Errorf("apply %s: state machine returned %T", cmd.Type, f.Response())
	}
	return resp.result, resp.err
}

// waitFuture waits for f or for ctx to end, whichever is first.
func waitFuture(ctx context.Context, f raft.Future) error {
	if ctx.Done() == nil {
		return f.Error()
	}
	done := make(chan error, 1)
	go func() { done <- f.Error() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// notLeader returns ErrNotLeader naming the leader when one is known.
func (n *Node) notLeader(op string) error {
	id, addr := n.Leader()
	if id == "" {
		return fmt.Errorf("%s: %w; no leader is known yet: retry shortly", op, command.ErrNotLeader)
	}
	return fmt.Errorf("%s: %w; the leader is %s (%s)", op, command.ErrNotLeader, id, addr)
}

// raftError maps hashicorp/raft errors to the coordinator's sentinels.
func (n *Node) raftError(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, raft.ErrLeadershipLost):
		return fmt.Errorf("%s: %w: retry at the new leader with the same request ID", op, ErrLeadershipLost)
	case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrLeadershipTransferInProgress):
		return n.notLeader(op)
	case errors.Is(err, raft.ErrRaftShutdown):
		return fmt.Errorf("%s: node is shutting down: %w", op, command.ErrNotLeader)
	case errors.Is(err, raft.ErrEnqueueTimeout):
		return fmt.Errorf("%s: not proposed in time, the leader is overloaded: retry: %w", op, err)
	default:
		return fmt.Errorf("%s: %w", op, err)
	}
}
