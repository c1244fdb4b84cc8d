// Package regions gathers evidence about deployment regions for the
// coordinator's leader loop: is the promoted version synced and healthy, do
// its SLIs pass their thresholds, is it worse than the regions still on the
// old version, how much error budget is left, and do the release's webhooks
// agree.
//
// The package root holds HealthSource, which answers rings.HealthQuery with
// rings.RegionHealth values (the types the leader loop uses too, so no
// conversion sits between them) and combines the sources below
// into one answer per promoted region, failing closed: a source that errs or
// says nothing about a region makes that region unhealthy, with a reason.
//
// The sources live in subpackages so their dependencies stay at the edge:
//
//   - regions/prometheus: analysis checks (PromQL templates with min/max
//     thresholds), canary-vs-baseline comparison and error budget, through
//     client_golang's API client, one Prometheus per region.
//   - regions/webhook: signed pre-promotion, during-soak and post-ring calls
//     with timeouts and bounded, jittered retries, and the verifier receivers
//     use.
//   - regions/argocd: Application sync and health (imports argo-cd).
//   - regions/promtest: a real Prometheus process and a steerable exporter
//     for tests.
//
// Everything here is stateless: each call observes the world once. Counting
// consecutive failures and deciding to fail a ring belong to the replicated
// state in package rings.
package regions
