// Package webhook calls a release's webhooks and verifies their signatures.
//
// Three events exist: pre-promotion (the receiver must answer 2xx before a
// ring is promoted; anything else refuses the promotion), during-soak (called
// while a ring soaks; a failure fails the ring) and post-ring (a notification
// after a ring is done). Each endpoint has a URL, a timeout per attempt and a
// bounded number of retries with jittered exponential backoff.
//
// Every request carries the JSON payload, a timestamp header and an
// HMAC-SHA256 signature over "<timestamp>.<body>":
//
//	X-Ringleader-Timestamp: 1764115200
//	X-Ringleader-Signature: sha256=<hex>
//
// Receivers check it with Verify, which also refuses a timestamp outside a
// tolerance so a captured request cannot be replayed later (a receiver that
// must also refuse replays inside the tolerance remembers the signatures it
// saw for that long). The secret never appears in errors or logs.
package webhook
