// Package coordtest is what the tests of coordinator/leader, httpapi and
// metrics share: Store, an in-memory fake of the replicated node over the
// real FSM; StartNode, a real node with a handler on httptest; a small
// valid topology; and the HTTP and logging helpers. Test code only.
package coordtest
