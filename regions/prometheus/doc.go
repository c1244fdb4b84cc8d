// Package prometheus turns a region's Prometheus into release evidence:
// analysis checks during a ring's soak, canary-vs-baseline comparison and the
// remaining error budget. It talks to each region's own server
// (rings.Region.Prometheus.URL) through client_golang's API client.
//
// A check is one instant query at a given time, rendered from the metric's
// PromQL template (Render escapes every value for the string literal it
// stands in), reduced to one number and compared with the metric's min and
// max. Everything that is not one finite number — no data, several series,
// NaN or Inf, a refused query, a timeout, an unreachable server — is a
// failing rings.Observation whose Reason says which. Checks are stateless;
// the ring's consecutive-failure count lives in the replicated state.
//
// With maxDegradation set, the metric is also evaluated for the baseline
// regions (still on BaselineVersion) and the canary fails when it is worse
// than their mean by more than maxDegradation. "Worse" follows the bounds:
// with a min, lower is worse; with only a max, higher is worse.
//
// Budgets measures one app's availability in each region over the
// error-budget window with the topology's SLI (policy.errorBudget.sli:
// good ÷ total), or without one the configured query
// (DefaultAvailabilityQuery: non-5xx over all requests), and converts it
// with rings.RemainingBudget into one rings.Budget per app and region.
//
// Tests run against a real Prometheus started by regions/promtest.
package prometheus
