package webhook

import (
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"
)

func TestVerify(t *testing.T) {
	t.Parallel()
	secret := []byte("s3cret")
	body := []byte(`{"event":"pre-promotion","release":"r1"}`)
	sent := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	signed := func(secret []byte, ts time.Time, body []byte) http.Header {
		h := http.Header{}
		h.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
		h.Set(HeaderSignature, Sign(secret, ts, body))
		return h
	}
	cases := []struct {
		name    string
		header  http.Header
		body    []byte
		now     time.Time
		wantErr error
	}{
		{"good", signed(secret, sent, body), body, sent.Add(30 * time.Second), nil},
		{"good at the edge of the tolerance", signed(secret, sent, body), body, sent.Add(DefaultTolerance), nil},
		{"wrong secret", signed([]byte("other"), sent, body), body, sent, ErrSignatureInvalid},
		{"body changed", signed(secret, sent, body), []byte(`{"event":"pre-promotion","release":"r2"}`), sent, ErrSignatureInvalid},
		{"timestamp changed", func() http.Header {
			h := signed(secret, sent, body)
			h.Set(HeaderTimestamp, strconv.FormatInt(sent.Unix()+1, 10))
			return h
		}(), body, sent, ErrSignatureInvalid},
		{"expired (replayed later)", signed(secret, sent, body), body, sent.Add(DefaultTolerance + time.Second), ErrSignatureExpired},
		{"from the future", signed(secret, sent.Add(10*time.Minute), body), body, sent, ErrSignatureExpired},
		{"no headers", http.Header{}, body, sent, ErrSignatureMissing},
		{"no sha256 prefix", func() http.Header {
			h := signed(secret, sent, body)
			h.Set(HeaderSignature, h.Get(HeaderSignature)[len("sha256="):])
			return h
		}(), body, sent, ErrSignatureMissing},
		{"timestamp not a number", func() http.Header {
			h := signed(secret, sent, body)
			h.Set(HeaderTimestamp, "yesterday")
			return h
		}(), body, sent, ErrSignatureMissing},
		{"signature not hex", func() http.Header {
			h := signed(secret, sent, body)
			h.Set(HeaderSignature, "sha256=zz")
			return h
		}(), body, sent, ErrSignatureMissing},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := Verify(secret, tc.header, tc.body, tc.now, 0)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Fatalf("Verify = %v, want %v", err, tc.wantErr)
			}
		})
	}
}

// TestSignKnownVector pins the scheme: HMAC-SHA256 over "<unix>.<body>".
func TestSignKnownVector(t *testing.T) {
	t.Parallel()
	// Computed independently: printf '1764072000.{}' | openssl dgst -sha256 -hmac key
	const want = "sha256=13e2f1d9453ee7f7eac0c573a7a5536c006be59944ebc03fc23a6af598d1f5c3"
	got := Sign([]byte("key"), time.Unix(1764072000, 0), []byte("{}"))
	if got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
}
