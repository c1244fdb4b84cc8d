// Package demo is the world `ringd demo` runs in, shared with the
// end-to-end suite: a real `git daemon` serving a generated GitOps
// repository (GitServer, SeedFiles), simulated regions that sync from it
// like Argo CD (Simulator), a real Prometheus scraping them when installed
// (StartPrometheus), the demo topology (Topology) and a ringd node run as a
// child process (StartNode, StartDemo).
//
// The Simulator follows one branch: every PollInterval it asks the Git
// server for the head and fetches only when it moved, reads each app's
// version for each region from the app's targets (yamlPath,
// kustomizeImage, applicationSetElement) and behaves like Argo CD with
// auto-sync: an Application whose version changed is OutOfSync with a
// running sync operation and Progressing health for SyncDelay, then Synced
// at that commit and Healthy; an Application whose version did not change
// reports Synced at the new head at once. A version whose name contains
// "bad" fails: health Degraded in ModeDegraded, or Healthy with
// BadErrorRatio of its requests answering 5xx in ModeMetrics (for
// Prometheus analysis). It serves Argo CD's Application API
// (regions/argocd/argocdtest, real v1alpha1 objects, bearer token),
// http_requests_total{region,app,version,code} advancing continuously at
// RequestsPerSecond, and a control endpoint (pause a region's sync, force
// Degraded, force a 5xx ratio, change the sync delay, make the Argo CD API
// fail or hang) for tests; the same controls are Go methods.
//
// `ringd sim-regions` runs a Simulator as a process of its own.
package demo
