// Package webhook calls a release's webhooks and verifies their signatures.
//
// Three events exist: pre-promotion (the receiver must answer 2xx before a
// ring is promoted; anything else refuses the promotion), during-soak (called
// while a ring soaks; a failure fails the ring) and post-ring (a notification
// after a ring is done). Each endpoint has a URL, a timeout per attempt and a
// bounded number of retries with jittered exponential backoff.
//
// Every request carries the JSON payload signed with the one scheme every
// Ringleader webhook uses (internal/signature, the same as notifications):
//
//	X-Ringleader-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 over "<t>." + body>
//
// Receivers check it with signature.Verify (or their own HMAC), which also
// refuses a timestamp outside a tolerance so a captured request cannot be
// replayed later. An endpoint with LegacySignature still sends the old
// "X-Ringleader-Timestamp" + "X-Ringleader-Signature: sha256=<hex>" pair;
// that is deprecated, logged at start, and goes in the next release. The
// secret never appears in errors or logs.
package webhook
