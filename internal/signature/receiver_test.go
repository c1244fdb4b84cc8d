package signature_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/internal/notify"
	"github.com/ringleader-dev/ringleader/internal/poll"
	"github.com/ringleader-dev/ringleader/internal/signature"
	"github.com/ringleader-dev/ringleader/regions/webhook"
)

// verifyingReceiver answers 204 to requests whose signature check passes and
// 401 to the others, and records the outcome by path.
type verifyingReceiver struct {
	srv *httptest.Server
	mu  sync.Mutex
	got map[string]error
}

func newVerifyingReceiver(t *testing.T, check func(h http.Header, body []byte) error) *verifyingReceiver {
	t.Helper()
	r := &verifyingReceiver{got: map[string]error{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		err := check(req.Header, body)
		r.mu.Lock()
		r.got[req.URL.Path] = err
		r.mu.Unlock()
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *verifyingReceiver) outcome(path string) (error, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	err, ok := r.got[path]
	return err, ok
}

// One receiver, one Verify: a gate call and a notification both pass.
func TestOneVerifyForGatesAndNotifications(t *testing.T) {
	t.Parallel()
	const secret = "one-secret-for-both"
	r := newVerifyingReceiver(t, func(h http.Header, body []byte) error {
		return signature.Verify(signature.Secret(secret), h.Get(signature.HeaderSignature), body, time.Now(), 0)
	})

	gates, err := webhook.New(webhook.Config{PrePromotion: &webhook.Endpoint{URL: r.srv.URL + "/gate", Secret: secret}})
	if err != nil {
		t.Fatalf("webhook.New: %v", err)
	}
	if err := gates.Send(context.Background(), webhook.Payload{Event: webhook.PrePromotion, Release: "r1", Ring: "canary"}); err != nil {
		t.Fatalf("gate call refused by a receiver using signature.Verify: %v", err)
	}

	d, err := notify.New(notify.Config{WebhookURL: r.srv.URL + "/notify", WebhookSecret: signature.Secret(secret)})
	if err != nil {
		t.Fatalf("notify.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	d.Start(ctx)
	t.Cleanup(func() { cancel(); d.Close() })
	d.Enqueue(notify.Event{ID: "ring-failed/r1/canary", Kind: notify.KindRingFailed, At: time.Now(), Release: "r1", Ring: "canary"})
	poll.Until(t, 10*time.Second, "the notification to reach the receiver", func() bool {
		_, ok := r.outcome("/notify")
		return ok
	})
	if err, _ := r.outcome("/notify"); err != nil {
		t.Fatalf("notification refused by a receiver using signature.Verify: %v", err)
	}
}

// A gate endpoint kept on the legacy signature reaches a receiver that has
// not moved (it checks the old pair: VerifyRequest, or its own sha256= code)
// and is refused by one that checks only the scheme.
func TestLegacyGateSignatureReachesOnlyALegacyAwareReceiver(t *testing.T) {
	t.Parallel()
	const secret = "gate-secret"
	old := newVerifyingReceiver(t, func(h http.Header, body []byte) error {
		return signature.VerifyRequest(signature.Secret(secret), h, body, time.Now(), 0)
	})
	strict := newVerifyingReceiver(t, func(h http.Header, body []byte) error {
		return signature.Verify(signature.Secret(secret), h.Get(signature.HeaderSignature), body, time.Now(), 0)
	})
	for _, tc := range []struct {
		name   string
		url    string
		wantOK bool
	}{
		{"legacy-aware receiver", old.srv.URL + "/gate", true},
		{"scheme-only receiver", strict.srv.URL + "/gate", false},
	} {
		gates, err := webhook.New(webhook.Config{PostRing: &webhook.Endpoint{URL: tc.url, Secret: secret, LegacySignature: true}})
		if err != nil {
			t.Fatalf("%s: webhook.New: %v", tc.name, err)
		}
		err = gates.Send(context.Background(), webhook.Payload{Event: webhook.PostRing, Release: "r1", Ring: "canary"})
		if (err == nil) != tc.wantOK {
			t.Fatalf("%s: Send = %v, want accepted=%v", tc.name, err, tc.wantOK)
		}
	}
}
