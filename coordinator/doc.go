// Package coordinator acts on the replicated state of package
// coordinator/store: the leader's reconcile loop, the HTTP API with its
// auth middleware, forwarding and event stream, and the metrics.
//
// It sees the node only through the Store interface it declares, so its
// tests run against an FSM-backed fake. The replicated node itself, its
// invariants and the pinned wire are described in coordinator/store's
// DESIGN.md.
package coordinator
