// Package coordinator is Ringleader's replicated core: a hashicorp/raft node
// over TCP with a durable log and snapshots, the state machine that applies
// the typed commands of package coordinator/command to the domain state of
// package rings, and — in their own files — the leader's reconcile loop,
// the HTTP API and the forwarding of writes to the leader.
//
// Every change to replicated state is a Command proposed through Node.Apply
// on the leader. The FSM decodes it, refuses unknown types and newer
// envelope versions, and dispatches to one processor per command type that
// calls the rings transitions with the time the leader stamped on the entry
// (Command.At), never the local clock, so every replica computes the same
// state. A RequestID makes a command idempotent: retrying after
// ErrLeadershipLost with the same ID never applies it twice.
//
// The rest of the package sees the node through the Store interface. See
// DESIGN.md for the invariants and the measurements behind the defaults.
package coordinator
