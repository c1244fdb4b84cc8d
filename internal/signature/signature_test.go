package signature

import (
	"errors"
	"fmt"
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
