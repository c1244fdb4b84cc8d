package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ringleader-dev/ringleader/internal/memhttp"
	"github.com/ringleader-dev/ringleader/internal/signature"
	"github.com/ringleader-dev/ringleader/rings"
)

const testSecret = "do-not-print-me-7f3a"

// receiver is an httptest server that verifies every request and answers
// with the statuses in order (the last one repeats).
type receiver struct {
	srv      *httptest.Server
	calls    atomic.Int32
	mu       sync.Mutex
	payloads []Payload
	verify   []error
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	t.Helper()
	r := &receiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		n := int(r.calls.Add(1))
		body, _ := io.ReadAll(req.Body)
		var p Payload
		_ = json.Unmarshal(body, &p)
		r.mu.Lock()
		r.payloads = append(r.payloads, p)
		r.verify = append(r.verify, signature.Verify(signature.Secret(testSecret), req.Header.Get(signature.HeaderSignature), body, time.Now(), 0))
		r.mu.Unlock()
		status := statuses[min(n, len(statuses))-1]
		w.WriteHeader(status)
		fmt.Fprintf(w, "status %d from the receiver", status)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// newClient returns a client for a real receiver, with millisecond backoff
// so retries cost little wall time.
func newClient(t *testing.T, ep Endpoint) *Client {
	t.Helper()
	cfg := Config{BackoffBase: time.Millisecond, BackoffMax: 3 * time.Millisecond}
	e := ep
	switch {
	case strings.Contains(ep.URL, "/pre"):
		cfg.PrePromotion = &e
	case strings.Contains(ep.URL, "/soak"):
		cfg.DuringSoak = &e
	default:
		cfg.PostRing = &e
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// inMemory is a client for cfg whose requests h serves in memory (see
// internal/memhttp), for tests inside a synctest bubble.
func inMemory(t *testing.T, cfg Config, h http.HandlerFunc) *Client {
	t.Helper()
	cfg.HTTPClient = memhttp.Client(h)
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// halfJitter makes every backoff exactly three quarters of its cap.
func halfJitter() float64 { return 0.5 }

var payload = Payload{Release: "rel-1", App: "checkout", Version: "v1.4.2", Ring: "canary", Regions: []string{"us-east-1"},
	Time: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)}

func send(c *Client, ev Event) error {
	p := payload
	p.Event = ev
	return c.Send(context.Background(), p)
}

func TestSendDeliversSignedPayload(t *testing.T) {
	t.Parallel()
	r := newReceiver(t, http.StatusNoContent)
	c := newClient(t, Endpoint{URL: r.srv.URL + "/pre", Secret: testSecret})
	if err := send(c, PrePromotion); err != nil {
		t.Fatalf("Send: %v", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.verify[0] != nil {
		t.Fatalf("receiver could not verify the signature: %v", r.verify[0])
	}
	want := payload
	want.Event = PrePromotion
	got := r.payloads[0]
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("payload = %+v, want %+v", got, want)
	}
}

func TestSendOutcomes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		statuses  []int
		retries   int
		wantErr   error
		wantCalls int32
	}{
		{"2xx first time", []int{200}, 3, nil, 1},
		{"pre-promotion refused with 403 is not retried", []int{403}, 3, ErrRefused, 1},
		{"409 refused is not retried", []int{409}, 3, ErrRefused, 1},
		{"503 twice then 200 succeeds on the third attempt", []int{503, 503, 200}, 3, nil, 3},
		{"429 is retried", []int{429, 200}, 1, nil, 2},
		{"500 every time is refused after all retries", []int{500}, 2, ErrRefused, 3},
		{"no retries configured: one attempt", []int{502, 200}, 0, ErrRefused, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newReceiver(t, tc.statuses...)
			c := newClient(t, Endpoint{URL: r.srv.URL + "/pre", Secret: testSecret, Retries: tc.retries})
			err := send(c, PrePromotion)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Fatalf("Send = %v, want %v", err, tc.wantErr)
			}
			if got := r.calls.Load(); got != tc.wantCalls {
				t.Fatalf("receiver got %d calls, want %d", got, tc.wantCalls)
			}
		})
	}
}

// Each attempt is cut at the endpoint's timeout and the retries wait
// their backoff: in the bubble's clock, 3 × 50 ms of attempts plus 75 ms
// and 150 ms of backoff, to the nanosecond.
func TestSendTimeoutRetriesThenUnavailable(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int32
		c := inMemory(t, Config{
			DuringSoak:  &Endpoint{URL: "http://hooks.invalid/soak", Secret: testSecret, Timeout: 50 * time.Millisecond, Retries: 2},
			BackoffBase: 100 * time.Millisecond, Jitter: halfJitter,
		}, func(w http.ResponseWriter, req *http.Request) {
			calls.Add(1)
			<-req.Context().Done() // never answers in time
		})
		start := time.Now()
		err := send(c, DuringSoak)
		if !errors.Is(err, ErrUnavailable) {
			t.Fatalf("Send = %v, want ErrUnavailable", err)
		}
		if got := calls.Load(); got != 3 {
			t.Fatalf("receiver got %d calls, want 3 (1 + 2 retries)", got)
		}
		if took, want := time.Since(start), 3*50*time.Millisecond+75*time.Millisecond+150*time.Millisecond; took != want {
			t.Fatalf("Send took %s, want %s: timeout or backoff not applied", took, want)
		}
	})
}

// The pause before retry n is min(max, base·2ⁿ) less a random half: with
// the jitter pinned at 0.5, exactly ¾ of the cap.
func TestBackoffIsJitteredAndBounded(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var at []time.Time
		c := inMemory(t, Config{
			PostRing:    &Endpoint{URL: "http://hooks.invalid/post", Secret: testSecret, Retries: 5},
			BackoffBase: 100 * time.Millisecond, BackoffMax: 300 * time.Millisecond, Jitter: halfJitter,
		}, func(w http.ResponseWriter, _ *http.Request) {
			at = append(at, time.Now())
			w.WriteHeader(http.StatusInternalServerError)
		})
		if err := send(c, PostRing); !errors.Is(err, ErrRefused) {
			t.Fatalf("Send = %v, want ErrRefused", err)
		}
		caps := []time.Duration{100, 200, 300, 300, 300}
		if len(at) != len(caps)+1 {
			t.Fatalf("%d attempts, want %d", len(at), len(caps)+1)
		}
		for i, cp := range caps {
			if gap, want := at[i+1].Sub(at[i]), cp*time.Millisecond*3/4; gap != want {
				t.Fatalf("pause before retry %d = %s, want %s", i+1, gap, want)
			}
		}
	})
}

func TestUnreachableReceiver(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	c := newClient(t, Endpoint{URL: url + "/pre?token=abc", Secret: testSecret, Retries: 1})
	err := send(c, PrePromotion)
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Send = %v, want ErrUnavailable", err)
	}
	if strings.Contains(err.Error(), "token=abc") {
		t.Fatalf("error %q repeats the URL's query string", err)
	}
}

func TestSecretNeverPrinted(t *testing.T) {
	t.Parallel()
	r := newReceiver(t, 401)
	ep := Endpoint{URL: r.srv.URL + "/pre", Secret: testSecret}
	c := newClient(t, ep)
	err := send(c, PrePromotion)
	_, cfgErr := New(Config{PrePromotion: &Endpoint{URL: "ftp://x", Secret: testSecret}})
	for _, s := range []string{fmt.Sprint(err), fmt.Sprint(cfgErr), fmt.Sprintf("%v", ep), fmt.Sprintf("%+v", ep), fmt.Sprintf("%#v", ep)} {
		if strings.Contains(s, testSecret) {
			t.Fatalf("%q contains the secret", s)
		}
	}
}

func TestUnconfiguredEventIsANoop(t *testing.T) {
	t.Parallel()
	c, err := New(Config{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := send(c, PostRing); err != nil {
		t.Fatalf("Send without an endpoint = %v, want nil", err)
	}
	if err := send(c, "deploy"); err == nil {
		t.Fatal("Send of an unknown event succeeded, want an error")
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		ep   Endpoint
		ok   bool
	}{
		{"valid", Endpoint{URL: "https://hooks.example.com/x", Secret: "k", Retries: 3}, true},
		{"no secret", Endpoint{URL: "https://hooks.example.com/x"}, false},
		{"not http", Endpoint{URL: "ftp://hooks.example.com/x", Secret: "k"}, false},
		{"no host", Endpoint{URL: "https:///x", Secret: "k"}, false},
		{"too many retries", Endpoint{URL: "https://hooks.example.com/x", Secret: "k", Retries: MaxRetries + 1}, false},
		{"negative retries", Endpoint{URL: "https://hooks.example.com/x", Secret: "k", Retries: -1}, false},
		{"negative timeout", Endpoint{URL: "https://hooks.example.com/x", Secret: "k", Timeout: -time.Second}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ep := tc.ep
			_, err := New(Config{DuringSoak: &ep})
			if (err == nil) != tc.ok {
				t.Fatalf("New = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

// A context cancelled while Send waits to retry ends Send at once, with the
// last attempt's error attached.
func TestCancelledWhileWaitingToRetry(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int32
		c := inMemory(t, Config{
			PostRing: &Endpoint{URL: "http://hooks.invalid/post", Secret: testSecret, Retries: 5},
		}, func(w http.ResponseWriter, _ *http.Request) {
			calls.Add(1)
			w.WriteHeader(http.StatusServiceUnavailable)
		})
		ctx, cancel := context.WithCancel(context.Background())
		p := payload
		p.Event = PostRing
		done := make(chan error)
		go func() { done <- c.Send(ctx, p) }()
		synctest.Wait() // Send is blocked in the backoff after the first 503
		cancel()
		err := <-done
		if !errors.Is(err, context.Canceled) || !errors.Is(err, ErrRefused) {
			t.Fatalf("Send = %v, want context.Canceled wrapping the last ErrRefused", err)
		}
		if got := calls.Load(); got != 1 {
			t.Fatalf("receiver got %d calls, want 1", got)
		}
	})
}

func TestDuringSoakHookPayload(t *testing.T) {
	t.Parallel()
	r := newReceiver(t, 200)
	c := newClient(t, Endpoint{URL: r.srv.URL + "/soak", Secret: testSecret})
	q := rings.HealthQuery{ReleaseID: "rel-9", App: "ledger", Version: "v3", Ring: "early",
		Regions: []rings.RegionTarget{{Region: "eu-west-1", Commit: "abc"}, {Region: "eu-central-1", Commit: "abc"}}}
	at := time.Date(2026, 11, 25, 13, 0, 0, 0, time.FixedZone("X", 3600))
	if err := c.DuringSoakHook(context.Background(), q, at); err != nil {
		t.Fatalf("DuringSoakHook: %v", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	want := Payload{Event: DuringSoak, Release: "rel-9", App: "ledger", Version: "v3", Ring: "early",
		Regions: []string{"eu-west-1", "eu-central-1"}, Time: at.UTC()}
	if fmt.Sprint(r.payloads[0]) != fmt.Sprint(want) || r.verify[0] != nil {
		t.Fatalf("payload %+v (verify %v), want %+v", r.payloads[0], r.verify[0], want)
	}
}

// An endpoint kept on the deprecated signature sends the old header pair
// and is named in one warning at New; the others send only the scheme.
func TestLegacySignatureIsSentAndLogged(t *testing.T) {
	t.Parallel()
	var log strings.Builder
	var mu sync.Mutex
	headers := map[string]http.Header{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		mu.Lock()
		headers[req.URL.Path] = req.Header.Clone()
		mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{
		PrePromotion: &Endpoint{URL: srv.URL + "/pre", Secret: testSecret},
		PostRing:     &Endpoint{URL: srv.URL + "/post", Secret: testSecret, LegacySignature: true},
		Logger:       slog.New(slog.NewTextHandler(&log, nil)),
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if n := strings.Count(log.String(), "deprecated"); n != 1 || !strings.Contains(log.String(), "event=post-ring") {
		t.Fatalf("want one deprecation warning naming post-ring, got %d in:\n%s", n, log.String())
	}
	for _, ev := range []Event{PrePromotion, PostRing} {
		if err := send(c, ev); err != nil {
			t.Fatalf("Send %s: %v", ev, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if sig := headers["/pre"].Get(signature.HeaderSignature); !strings.HasPrefix(sig, "t=") || headers["/pre"].Get(signature.HeaderLegacyTimestamp) != "" {
		t.Fatalf("scheme endpoint sent %q and timestamp %q, want t=…,v1=… alone", sig, headers["/pre"].Get(signature.HeaderLegacyTimestamp))
	}
	if sig := headers["/post"].Get(signature.HeaderSignature); !strings.HasPrefix(sig, "sha256=") || headers["/post"].Get(signature.HeaderLegacyTimestamp) == "" {
		t.Fatalf("legacy endpoint sent %q and timestamp %q, want sha256=… with a timestamp", sig, headers["/post"].Get(signature.HeaderLegacyTimestamp))
	}
}
