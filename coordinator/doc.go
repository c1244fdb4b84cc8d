// Package coordinator is the replicated core of ringd; the code lives in
// its sub-packages, imported in one direction (each only from those below
// it):
//
//   - command: the Raft log's wire format (envelope, command types).
//   - store: the replicated node (Raft, FSM, snapshots, request log, audit).
//   - leader: the leader-only reconcile loop and its effect interfaces.
//   - httpapi: the HTTP API (routes, auth, forwarding, event stream).
//   - metrics: the Prometheus recorders and the state collector.
//   - apiclient: the API's wire types and the typed client.
//   - coordtest: what the tests of leader, httpapi and metrics share.
package coordinator
