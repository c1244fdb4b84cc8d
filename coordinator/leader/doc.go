// Package leader is the leader-only reconcile loop: while its node leads,
// it plans from the replicated state, acts on the world through the effect
// interfaces it declares (Promoter, HealthSource, HaltFence, …) and records
// every outcome through Raft. See DESIGN.md for what it may do and when.
package leader
