package signature

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The gate webhooks' scheme before the one above, accepted for one release
// and then removed: the same MAC, framed as two headers,
//
//	X-Ringleader-Timestamp: <unix seconds>
//	X-Ringleader-Signature: sha256=<hex HMAC-SHA256(secret, "<t>." + body)>
//
// Deprecated: gate receivers move to HeaderSignature's "t=…,v1=…" form.
const (
	HeaderLegacyTimestamp = "X-Ringleader-Timestamp"
	legacyPrefix          = "sha256="
)

// SignLegacy returns the deprecated gate headers' values for body sent at t:
// the HeaderLegacyTimestamp value and the "sha256=<hex>" HeaderSignature
// value. Only a gate endpoint that opted into the old scheme uses it.
func SignLegacy(secret Secret, t time.Time, body []byte) (timestamp, sig string) {
	ts := strconv.FormatInt(t.Unix(), 10)
	return ts, legacyPrefix + mac(secret, ts, body)
}

// VerifyRequest checks a received request's headers against its exact body.
// It is Verify, except that for one release it also accepts the deprecated
// gate pair (HeaderLegacyTimestamp plus "sha256=<hex>" in HeaderSignature),
// so a receiver can switch its verifier before its senders switch scheme.
func VerifyRequest(secret Secret, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	header := h.Get(HeaderSignature)
	if hexMAC, ok := strings.CutPrefix(header, legacyPrefix); ok {
		ts := h.Get(HeaderLegacyTimestamp)
		if _, err := strconv.ParseUint(ts, 10, 64); err != nil {
			return fmt.Errorf("a %q signature needs %s in unix seconds: %w", legacyPrefix, HeaderLegacyTimestamp, ErrBadSignature)
		}
		if strings.ContainsAny(hexMAC, ",=") {
			return fmt.Errorf("%s is not hex: %w", HeaderSignature, ErrBadSignature)
		}
		header = "t=" + ts + ",v1=" + strings.ToLower(hexMAC)
	}
	return Verify(secret, header, body, now, tolerance)
}
