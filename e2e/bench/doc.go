// Package bench holds the side-by-side benchmarks of Ringleader against
// its anchors: a 3-node ringd cluster against a 3-node etcd cluster (the
// Debian etcd-server package), both real processes on free loopback ports
// with fresh data directories, measured in the same run from one client;
// and a real ringd at scale and against a real git daemon.
//
// It talks to the binaries only through their wire protocols: ringd's HTTP
// API and /metrics, etcd's gRPC API (a minimal hand-encoded client, see
// etcdrpc_test.go, so the repository needs no etcd client module) and its
// JSON gateway, and Git through the git CLI (commit messages are read with
// the Git writer's own reader, internal/gitops).
//
// `make bench` runs everything (BENCH_QUICK=1 for short counts); one figure
// at a time:
//
//	go test -run '^$' -bench '^BenchmarkHaltAck$' -benchtime 2000x ./e2e/bench/
//	go test -run '^$' -bench '^BenchmarkHaltAckLoaded$' -benchtime 2000x ./e2e/bench/
//	go test -run '^$' -bench '^BenchmarkFailover$' -benchtime 20x ./e2e/bench/
//	go test -run '^$' -bench '^BenchmarkRingdScale$' -benchtime 1x ./e2e/bench/
//	go test -run '^$' -bench '^BenchmarkHaltReach(Git|Deposed)$' -benchtime 5x ./e2e/bench/
//	go test -run '^$' -bench '^BenchmarkTrain$' -benchtime 1x ./e2e/bench/
//
// Benchmarks report numbers; they never fail on a time. The halt-reach
// benchmarks and BenchmarkTrain fail when a promotion lands in Git after
// an acknowledged halt: that is behaviour, not a timing. BenchmarkTrain's
// halt also fails when every promotion was in Git before the halt, since
// it then tested nothing. BENCHMARKS.md at
// the repository root records the figures.
package bench
