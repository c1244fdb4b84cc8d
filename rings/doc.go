// Package rings is Ringleader's domain: the topology schema with its
// line-numbered validation, the release and ring state machines, the gates
// (halts, soak, windows, freezes, error budget, approval) and the planner that
// turns (topology, state, now) into the next actions.
//
// The package is pure: no I/O, no goroutines, no clock. Time is always an
// argument, so soak windows, cron windows and freezes are tested without
// sleeping, and every node of the cluster computes the same plan from the
// same replicated state.
package rings
