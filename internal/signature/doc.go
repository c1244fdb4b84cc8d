// Package signature owns the one HMAC-SHA256 scheme that signs every webhook
// Ringleader sends (notifications and release gates):
//
//	X-Ringleader-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>
//
// Senders call Sign; receivers call Verify (or VerifyRequest, which also
// accepts the deprecated gate headers for one release) on the exact body
// before trusting it. Verify refuses a timestamp outside a tolerance, so a
// captured request cannot be replayed later.
package signature
