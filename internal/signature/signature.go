package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// HeaderSignature carries "t=<unix seconds>,v1=<hex HMAC-SHA256>". The MAC
// is over "<t>." followed by the raw body, keyed with the shared secret, so
// a captured request cannot be replayed with another timestamp.
const HeaderSignature = "X-Ringleader-Signature"

// DefaultTolerance is how old a signature Verify accepts by default.
const DefaultTolerance = 5 * time.Minute

// Errors returned by Verify.
var (
	// ErrBadSignature: the header is missing or malformed, or no v1 MAC
	// matches the body. The request must be refused.
	ErrBadSignature = errors.New("webhook signature does not verify")
	// ErrStaleSignature: the MAC matches but its timestamp is outside the
	// tolerance (a replay, or clocks far apart). The request must be refused.
	ErrStaleSignature = errors.New("webhook signature timestamp outside tolerance")
)

// Secret is a webhook signing key. It never prints.
type Secret []byte

// String hides the secret from logs and error messages.
func (Secret) String() string { return "[redacted]" }

// GoString hides the secret from %#v.
func (Secret) GoString() string { return "signature.Secret([redacted])" }

// MarshalText hides the secret from encoders.
func (Secret) MarshalText() ([]byte, error) { return []byte("[redacted]"), nil }

// Sign returns the HeaderSignature value for body sent at t.
func Sign(secret Secret, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + mac(secret, ts, body)
}

func mac(secret Secret, ts string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Verify checks a HeaderSignature value against the raw body: some v1 MAC
// must match (several are allowed while a secret rotates) and the
// timestamp must be within tolerance of now (≤ 0 means DefaultTolerance).
// Receivers call it before trusting anything in the body.
func Verify(secret Secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	var ts string
	var sigs []string
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return fmt.Errorf("malformed element %q: %w", part, ErrBadSignature)
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	if ts == "" || len(sigs) == 0 {
		return fmt.Errorf("header needs t=<unix> and v1=<hex>: %w", ErrBadSignature)
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("timestamp %q is not unix seconds: %w", ts, ErrBadSignature)
	}
	want := []byte(mac(secret, ts, body))
	match := false
	for _, s := range sigs {
		if hmac.Equal([]byte(s), want) {
			match = true
		}
	}
	if !match {
		return ErrBadSignature
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("signed %s from now: %w", d.Round(time.Second), ErrStaleSignature)
	}
	return nil
}
