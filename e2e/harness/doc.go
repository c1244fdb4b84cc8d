// Package harness starts and breaks the real processes the end-to-end
// suite runs against: ringd nodes, ringctl, a git daemon and the
// simulated regions, each a separate process on loopback.
//
// Everything it starts is registered: a test's t.Cleanup stops what the test
// started, and KillAll (called from TestMain and on SIGINT/SIGTERM) stops
// whatever is left, so no process outlives the suite even when a test fails
// or the test binary is interrupted. Children also get SIGKILL from the
// kernel if the test binary dies (Pdeathsig).
//
// Faults: SIGKILL, SIGSTOP/SIGCONT, network partitions and latency through a
// fault-injecting TCP proxy in front of every node's Raft port (each node
// advertises its proxy's address, and the proxy tells which node a
// connection comes from by the socket's owner in /proc), the git daemon
// stopped and restarted on the same port. The suite's Prometheus comes from
// internal/promserver, which restarts on its port too.
package harness
