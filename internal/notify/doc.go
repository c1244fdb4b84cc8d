// Package notify tells people what Ringleader did: a ring promoted or
// failed, a halt placed or resumed, an approval needed, a release completed,
// aborted or rolled back. Events are derived from the replicated state
// (Events, Watcher) and delivered by a Dispatcher to a Slack-compatible
// incoming webhook and to a generic JSON webhook signed with HMAC-SHA256
// (signed by internal/signature).
//
// Delivery never blocks the caller: Enqueue puts the event on a bounded
// queue per destination (dropping and counting the oldest when full) and
// returns; one goroutine per destination sends, retrying failures with
// jittered, bounded backoff. See DESIGN.md for who sends what once.
package notify
