package signature

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

func TestVerify(t *testing.T) {
	t.Parallel()
	secret := Secret("s3cret")
	body := []byte(`{"id":"ring-failed/r1/canary"}`)
	sig := Sign(secret, t0, body)
	tests := []struct {
		name   string
		secret Secret
		header string
		body   []byte
		now    time.Time
		want   error
	}{
		{"valid", secret, sig, body, t0.Add(time.Minute), nil},
		{"valid among rotated signatures", secret, sig + ",v1=" + mac(Secret("old"), fmt.Sprint(t0.Unix()), body), body, t0, nil},
		{"body changed", secret, sig, []byte(`{"id":"ring-failed/r2/canary"}`), t0, ErrBadSignature},
		{"wrong secret", Secret("other"), sig, body, t0, ErrBadSignature},
		{"timestamp changed", secret, "t=" + fmt.Sprint(t0.Unix()+1) + sig[len("t=")+len(fmt.Sprint(t0.Unix())):], body, t0, ErrBadSignature},
		{"too old", secret, sig, body, t0.Add(6 * time.Minute), ErrStaleSignature},
		{"from the future", secret, sig, body, t0.Add(-6 * time.Minute), ErrStaleSignature},
		{"missing", secret, "", body, t0, ErrBadSignature},
		{"no MAC", secret, "t=" + fmt.Sprint(t0.Unix()), body, t0, ErrBadSignature},
		{"timestamp not a number", secret, "t=yesterday,v1=00", body, t0, ErrBadSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := Verify(tc.secret, tc.header, tc.body, tc.now, 0)
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("Verify = %v; want %v", err, tc.want)
			}
		})
	}
}

func TestSecretNeverPrints(t *testing.T) {
	t.Parallel()
	s := Secret("s3cret")
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%v %s %#v", s, s, s)} {
		if strings.Contains(out, "s3cret") {
			t.Fatalf("secret printed: %s", out)
		}
	}
}

// TestSignKnownVectors pins both framings of the one MAC, computed
// independently: printf '1764072000.{}' | openssl dgst -sha256 -hmac key
func TestSignKnownVectors(t *testing.T) {
	t.Parallel()
	const mac = "13e2f1d9453ee7f7eac0c573a7a5536c006be59944ebc03fc23a6af598d1f5c3"
	at := time.Unix(1764072000, 0)
	if got, want := Sign(Secret("key"), at, []byte("{}")), "t=1764072000,v1="+mac; got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
	ts, sig := SignLegacy(Secret("key"), at, []byte("{}"))
	if ts != "1764072000" || sig != "sha256="+mac {
		t.Fatalf("SignLegacy = %s, %s; want 1764072000, sha256=%s", ts, sig, mac)
	}
}

func TestVerifyRequestAcceptsTheSchemeAndTheLegacyGatePair(t *testing.T) {
	t.Parallel()
	secret := Secret("s3cret")
	body := []byte(`{"event":"pre-promotion","release":"r1"}`)
	current := func(secret Secret, at time.Time) http.Header {
		return http.Header{HeaderSignature: {Sign(secret, at, body)}}
	}
	legacy := func(secret Secret, at time.Time) http.Header {
		ts, sig := SignLegacy(secret, at, body)
		return http.Header{HeaderLegacyTimestamp: {ts}, HeaderSignature: {sig}}
	}
	edited := func(h http.Header, key, value string) http.Header {
		h.Set(key, value)
		return h
	}
	tests := []struct {
		name   string
		header http.Header
		body   []byte
		now    time.Time
		want   error
	}{
		{"scheme", current(secret, t0), body, t0.Add(time.Minute), nil},
		{"legacy pair", legacy(secret, t0), body, t0.Add(time.Minute), nil},
		{"legacy pair in upper-case hex", edited(legacy(secret, t0), HeaderSignature, "sha256="+strings.ToUpper(legacy(secret, t0).Get(HeaderSignature)[len("sha256="):])), body, t0, nil},
		{"legacy pair without its prefix", edited(legacy(secret, t0), HeaderSignature, legacy(secret, t0).Get(HeaderSignature)[len("sha256="):]), body, t0, ErrBadSignature},
		{"scheme, body changed", current(secret, t0), []byte(`{"event":"pre-promotion","release":"r2"}`), t0, ErrBadSignature},
		{"legacy, body changed", legacy(secret, t0), []byte(`{"event":"pre-promotion","release":"r2"}`), t0, ErrBadSignature},
		{"legacy, wrong secret", legacy(Secret("other"), t0), body, t0, ErrBadSignature},
		{"legacy, timestamp changed", edited(legacy(secret, t0), HeaderLegacyTimestamp, fmt.Sprint(t0.Unix()+1)), body, t0, ErrBadSignature},
		{"legacy, no timestamp", edited(legacy(secret, t0), HeaderLegacyTimestamp, ""), body, t0, ErrBadSignature},
		{"legacy, element smuggled into the timestamp", edited(legacy(secret, t0), HeaderLegacyTimestamp, fmt.Sprint(t0.Unix())+",v1=00"), body, t0, ErrBadSignature},
		{"scheme, replayed later", current(secret, t0), body, t0.Add(DefaultTolerance + time.Second), ErrStaleSignature},
		{"legacy, replayed later", legacy(secret, t0), body, t0.Add(DefaultTolerance + time.Second), ErrStaleSignature},
		{"no headers", http.Header{}, body, t0, ErrBadSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := VerifyRequest(secret, tc.header, tc.body, tc.now, 0)
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("VerifyRequest = %v; want %v", err, tc.want)
			}
		})
	}
}
