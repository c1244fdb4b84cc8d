// Package argocd tells whether a region runs the promoted commit and is
// healthy, from the region's Argo CD Application. It is the only package of
// Ringleader's region adapters that imports argo-cd: Applications are decoded
// into github.com/argoproj/argo-cd/v2 v1alpha1.Application, and nothing of
// argo-cd leaves the package (answers are rings.RegionHealth values).
//
// Three layers:
//
//   - Client reads GET {server}/api/v1/applications/{name} from one Argo CD
//     API server with a bearer token (given inline or as a file read on
//     every request), TLS with an optional CA bundle, a timeout, and no
//     redirects. Failures are wrapped sentinels: ErrUnauthorized (401/403),
//     ErrNotFound, ErrUnavailable (network, timeout, TLS, 5xx, redirect),
//     ErrBadResponse. The token never appears in an error or a printed
//     ClientConfig.
//   - Evaluate judges one Application against the commit that promoted the
//     region: synced when Argo CD reports Synced at that commit or at a later
//     commit containing it (AncestorFunc, backed by the GitOps working copy),
//     healthy when it reports Healthy. A failed sync of the promoted commit
//     ("sync failed: …") and Degraded health once it is applied
//     ("Degraded …") are the two verdicts whose reasons make the planner fail
//     the ring at once; everything else (OutOfSync, Progressing, an older
//     commit) is evidence the planner weighs against the ring's sync timeout.
//     Progressing or Suspended health, or a sync still running, at the
//     promoted commit sets Verdict.InProgress: a rollout on its way (an
//     Argo Rollouts canary paused between steps), which the planner lets
//     wait up to syncTimeout, also while the ring soaks.
//   - Source implements regions.SyncSource: for a query it renders each
//     region's Application name from the topology template
//     (ApplicationName: {{app}}, {{region}}), reads the Applications with
//     bounded concurrency and returns one rings.RegionHealth per region, in
//     order. Every failure is a region that is neither synced nor healthy,
//     with the reason (fail closed); a region without argocd gets
//     ReasonNoSource.
//
// Subpackage argocdtest serves the same API from real v1alpha1 objects for
// tests and the demo's simulated regions.
package argocd
