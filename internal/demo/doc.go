// Package demo is the world `ringd demo` runs in: a real `git daemon`
// serving a generated GitOps repository (GitServer; the files come from
// internal/seedrepo), the simulated regions syncing from it (SimRegions:
// the ringsim binary as a child process, driven through its control
// endpoint), a real Prometheus scraping them when installed
// (internal/promserver), the demo topology (Topology) and a ringd node run
// as a child process (StartNode, StartDemo), and the guided tours
// `ringd demo --scenario` runs against it (Scenarios, Tour).
//
// The simulated regions themselves live in internal/regionsim, a test fake
// this package does not import, so production ringd does not link it.
package demo
