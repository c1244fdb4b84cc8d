// Package e2e is Ringleader's end-to-end and chaos suite. It builds ringd
// and ringctl once (TestMain), then runs each scenario against separate
// processes on loopback: three ringd nodes talking real TCP through
// fault-injecting proxies, a real git daemon serving the GitOps repository,
// a real Prometheus and the simulated regions (`ringsim`, cmd/ringsim).
//
// Scenarios that need a ringd feature another issue adds (the real Git
// promoter, simulated regions) detect it from `ringd -h` and skip with a
// message naming it until it lands; the rest run against the in-memory
// effects ringd falls back to.
//
// The chaos run (TestChaos) is seeded and bounded: CHAOS_SEED and
// CHAOS_DURATION (or `make chaos SEED=… DURATION=…`) lengthen it.
package e2e
