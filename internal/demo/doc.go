// Package demo is the world `ringd demo` runs in: a real `git daemon`
// serving a generated GitOps repository (GitServer; the files come from
// seedrepo.Files), the simulated regions syncing from it
// (internal/regionsim, in-process), a real Prometheus scraping them when
// installed (internal/promserver), the demo topology (Topology) and a ringd
// node run as a child process (StartNode, StartDemo).
//
// The simulated regions themselves live in internal/regionsim; cmd/ringsim
// runs them as a process of their own for the end-to-end suite.
package demo
