// Package rings is Ringleader's domain state: the replicated State of
// releases, rings, halts and budgets, and the only transitions that change
// it. The topology schema lives in rings/topology and the planner that
// turns (topology, state, now) into the next actions in rings/planner.
//
// The package is pure: no I/O, no goroutines, no clock. Time is always an
// argument, so soak windows, cron windows and freezes are tested without
// sleeping, and every node of the cluster computes the same state from the
// same log.
package rings
