package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names and the signature scheme.
const (
	HeaderSignature = "X-Ringleader-Signature"
	HeaderTimestamp = "X-Ringleader-Timestamp"
	HeaderEvent     = "X-Ringleader-Event"
	signaturePrefix = "sha256="
)

// DefaultTolerance is how far a request's timestamp may be from the
// receiver's clock when Verify is given 0.
const DefaultTolerance = 5 * time.Minute

// Verification errors. A receiver answers 401 to all of them.
var (
	// ErrSignatureMissing: a signature or timestamp header is absent or malformed.
	ErrSignatureMissing = errors.New("webhook signature or timestamp missing")
	// ErrSignatureInvalid: the MAC does not match the body and timestamp
	// (wrong secret, or the body was changed).
	ErrSignatureInvalid = errors.New("webhook signature does not match")
	// ErrSignatureExpired: the timestamp is outside the tolerance (a replay,
	// or clocks too far apart).
	ErrSignatureExpired = errors.New("webhook timestamp outside the tolerance")
)

// Sign returns the signature header value for body sent at ts:
// "sha256=" + hex(HMAC-SHA256(secret, "<unix seconds>." + body)).
func Sign(secret []byte, ts time.Time, body []byte) string {
	return signaturePrefix + hex.EncodeToString(mac(secret, strconv.FormatInt(ts.Unix(), 10), body))
}

func mac(secret []byte, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks a received request's headers against its exact body: the
// timestamp must be within tolerance of now (0 means DefaultTolerance) and
// the signature must be the HMAC of "<timestamp>.<body>" under secret. The
// comparison takes constant time.
func Verify(secret []byte, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	tsText := h.Get(HeaderTimestamp)
	sig := h.Get(HeaderSignature)
	if tsText == "" || sig == "" {
		return fmt.Errorf("need headers %s and %s: %w", HeaderTimestamp, HeaderSignature, ErrSignatureMissing)
	}
	unix, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return fmt.Errorf("%s is not unix seconds: %w", HeaderTimestamp, ErrSignatureMissing)
	}
	hexMAC, ok := strings.CutPrefix(sig, signaturePrefix)
	if !ok {
		return fmt.Errorf("%s must start with %q: %w", HeaderSignature, signaturePrefix, ErrSignatureMissing)
	}
	got, err := hex.DecodeString(hexMAC)
	if err != nil {
		return fmt.Errorf("%s is not hex: %w", HeaderSignature, ErrSignatureMissing)
	}
	if !hmac.Equal(got, mac(secret, tsText, body)) {
		return ErrSignatureInvalid
	}
	// Checked after the MAC so the age of a forged timestamp reveals nothing.
	age := now.Sub(time.Unix(unix, 0))
	if age > tolerance || age < -tolerance {
		return fmt.Errorf("timestamp is %s away from now, tolerance %s: %w", age.Round(time.Second), tolerance, ErrSignatureExpired)
	}
	return nil
}
