// Package store is Ringleader's replicated node: a hashicorp/raft node over
// TCP (or mutual TLS) with a durable log and snapshots, and the state
// machine that applies the typed commands of package coordinator/command to
// the domain state of package rings, with its request log and audit trail.
//
// Every change to replicated state is a Command proposed through Node.Apply
// on the leader. The FSM decodes it, refuses unknown types and newer
// envelope versions, and dispatches to one processor per command type that
// calls the rings transitions with the time carried by the entry
// (Command.At), never the local clock, so every replica computes the same
// state. A RequestID makes a command idempotent: retrying after
// ErrLeadershipLost with the same ID never applies it twice.
//
// See DESIGN.md for the invariants.
package store
