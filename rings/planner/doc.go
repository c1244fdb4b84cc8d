// Package planner owns the decision of what happens next: PlanNext turns
// (topology, state, now) into actions and waits, through the gates (halts,
// soak, windows, freezes, trains, error budget, approval, retries), and
// Project simulates a whole rollout with it for `ringctl plan`.
//
// The package is pure: time is an argument, and every node computes the
// same plan from the same replicated state.
package planner
