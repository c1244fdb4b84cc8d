// Package auth holds Ringleader's identities and roles: bearer tokens read
// from a tokens file and stored only as hashes (SHA-256 or argon2id), the
// role → permission table every API route is checked against, a reloader
// that keeps the last good token set when the file turns bad, and the
// per-identity token buckets that rate-limit writes. Optionally, OpenID
// Connect ID tokens (JWTs) from one issuer are verified against the
// issuer's published keys (oidc.go) and chained with the tokens file.
//
// The package decides; it does not serve HTTP. coordinator/httpapi/auth.go
// turns its answers into 401, 403 and 429 responses.
package auth
