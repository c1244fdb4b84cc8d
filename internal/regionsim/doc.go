// Package regionsim simulates regions for the demo and the tests: it
// follows a GitOps branch like Argo CD with auto-sync and serves what
// ringd reads from a region. It is a test fake; production ringd runs it
// only inside `ringd demo`, and cmd/ringsim runs it as a process of its own
// for the end-to-end suite.
//
// The Simulator follows one branch: every PollInterval it asks the Git
// server for the head and fetches only when it moved, reads each app's
// version for each region from the app's targets (yamlPath,
// kustomizeImage, applicationSetElement, containerImage; ReadVersionIn,
// TargetFile) and
// behaves like Argo CD with auto-sync: an Application whose version changed
// is OutOfSync with a running sync operation and Progressing health for
// SyncDelay, then Synced at that commit and Healthy; an Application whose
// version did not change reports Synced at the new head at once. A version
// whose name contains "bad" fails: health Degraded in ModeDegraded, or
// Healthy with BadErrorRatio of its requests answering 5xx in ModeMetrics
// (for Prometheus analysis). It serves Argo CD's Application API
// (regions/argocd/argocdtest, real v1alpha1 objects, bearer token),
// http_requests_total{region,app,version,code} advancing continuously at
// RequestsPerSecond, and a control endpoint (pause a region's sync, force
// Degraded, force a 5xx ratio, change the sync delay, make the Argo CD API
// fail or hang) for tests; the same controls are Go methods.
//
// SeedFiles writes the files of a GitOps repository in the formats the
// Simulator reads, so a demo or a test can start from a known version of
// every app in every region.
package regionsim
