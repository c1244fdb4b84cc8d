package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ringleader-dev/ringleader/internal/golden"
	"github.com/ringleader-dev/ringleader/internal/memhttp"
	"github.com/ringleader-dev/ringleader/internal/poll"
	"github.com/ringleader-dev/ringleader/internal/signature"
)

// receiver is an httptest server that records what it got and answers
// with the next status from a script (200 once the script runs out). When
// hold is set every request blocks until release is closed.
type receiver struct {
	srv *httptest.Server

	mu       sync.Mutex
	statuses []int
	got      []received
	arrived  chan struct{}
	hold     bool
	release  chan struct{}
}

type received struct {
	header http.Header
	body   []byte
}

func newReceiver(t *testing.T, hold bool, statuses ...int) *receiver {
	t.Helper()
	r := &receiver{statuses: statuses, arrived: make(chan struct{}, 1000), hold: hold, release: make(chan struct{})}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, received{header: req.Header.Clone(), body: b})
		status := http.StatusOK
		if len(r.statuses) > 0 {
			status, r.statuses = r.statuses[0], r.statuses[1:]
		}
		r.mu.Unlock()
		r.arrived <- struct{}{}
		if r.hold {
			select {
			case <-r.release:
			case <-req.Context().Done():
			}
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(func() {
		r.unhold()
		r.srv.Close()
	})
	return r
}

func (r *receiver) unhold() {
	r.mu.Lock()
	defer r.mu.Unlock()
	select {
	case <-r.release:
	default:
		close(r.release)
	}
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

// waitArrivals waits for n requests to arrive (deadline 10 s).
func (r *receiver) waitArrivals(t *testing.T, n int) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for i := 0; i < n; i++ {
		select {
		case <-r.arrived:
		case <-deadline:
			t.Fatalf("only %d of %d requests arrived", i, n)
		}
	}
}

func startDispatcher(t *testing.T, cfg Config) *Dispatcher {
	t.Helper()
	if cfg.MinBackoff == 0 {
		cfg.MinBackoff, cfg.MaxBackoff = time.Millisecond, 4*time.Millisecond
	}
	cfg.Logger = discard()
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	d.Start(context.Background())
	t.Cleanup(d.Close)
	return d
}

var failedEvent = Event{ID: "ring-failed/checkout-v2/canary", Kind: KindRingFailed, At: t0, Release: "checkout-v2", App: "checkout", Version: "v2",
	Ring: "canary", Regions: []string{"us-east-1"}, Reason: "error rate 7% > 1% <p99>", Text: "ring canary failed for checkout v2: error rate 7% > 1% <p99>"}

func TestDispatcherDeliversToSlackAndSignedWebhook(t *testing.T) {
	t.Parallel()
	slack, hook := newReceiver(t, false), newReceiver(t, false)
	secret := signature.Secret("s3cret")
	d := startDispatcher(t, Config{SlackURL: slack.srv.URL + "/services/T0/B0/token", WebhookURL: hook.srv.URL + "/hook", WebhookSecret: secret, Now: func() time.Time { return t0 }})
	d.Enqueue(failedEvent)
	slack.waitArrivals(t, 1)
	hook.waitArrivals(t, 1)

	t.Run("slack body is the golden message", func(t *testing.T) {
		jsonGolden(t, "slack-ring-failed.json", slack.requests()[0].body)
	})
	t.Run("slack body has text and blocks", func(t *testing.T) {
		var m struct {
			Text   string           `json:"text"`
			Blocks []map[string]any `json:"blocks"`
		}
		if err := json.Unmarshal(slack.requests()[0].body, &m); err != nil || m.Text == "" || len(m.Blocks) != 2 || m.Blocks[0]["type"] != "section" {
			t.Fatalf("slack body %s (err %v); want text and a section and a context block", slack.requests()[0].body, err)
		}
	})
	t.Run("webhook signature verifies", func(t *testing.T) {
		r := hook.requests()[0]
		if err := signature.Verify(secret, r.header.Get(signature.HeaderSignature), r.body, t0.Add(time.Second), 0); err != nil {
			t.Fatalf("signature %q does not verify: %v", r.header.Get(signature.HeaderSignature), err)
		}
	})
	t.Run("webhook headers name the event", func(t *testing.T) {
		r := hook.requests()[0]
		if r.header.Get(HeaderEvent) != "ring.failed" || r.header.Get(HeaderEventID) != failedEvent.ID || r.header.Get("Content-Type") != "application/json" {
			t.Fatalf("headers %v", r.header)
		}
	})
	t.Run("webhook body is the event", func(t *testing.T) {
		jsonGolden(t, "webhook-ring-failed.json", hook.requests()[0].body)
	})
}

func TestEnqueueDoesNotBlockOnAHangingReceiver(t *testing.T) {
	t.Parallel()
	hang := newReceiver(t, true)
	d := startDispatcher(t, Config{SlackURL: hang.srv.URL, QueueSize: 8, Timeout: time.Hour})
	d.Enqueue(failedEvent)
	hang.waitArrivals(t, 1) // the sender is now stuck in the receiver
	start := time.Now()
	for i := 0; i < 1000; i++ {
		d.Enqueue(failedEvent)
	}
	if took := time.Since(start); took > 200*time.Millisecond {
		t.Fatalf("1000 enqueues took %s while the receiver hangs; want them to return at once", took)
	}
	if s := d.Stats(); s.Queued != 8 || s.Dropped != 992 {
		t.Fatalf("stats %+v; want 8 queued and 992 dropped", s)
	}
}

func TestDispatcherRetries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		statuses []int
		attempts int
		want     Stats
	}{
		{"5xx then success", []int{500, 503}, 3, Stats{Enqueued: 1, Sent: 1, Retries: 2}},
		{"429 is retried", []int{429}, 2, Stats{Enqueued: 1, Sent: 1, Retries: 1}},
		{"gives up after MaxAttempts", []int{500, 500, 500, 500}, 3, Stats{Enqueued: 1, Retries: 2, Failed: 1}},
		{"4xx is final", []int{404}, 1, Stats{Enqueued: 1, Failed: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newReceiver(t, false, tc.statuses...)
			d := startDispatcher(t, Config{WebhookURL: r.srv.URL, WebhookSecret: signature.Secret("k"), MaxAttempts: 3})
			d.Enqueue(failedEvent)
			poll.Until(t, 10*time.Second, "delivery to end", func() bool { s := d.Stats(); return s.Sent+s.Failed == 1 })
			if got := len(r.requests()); got != tc.attempts {
				t.Fatalf("%d attempts; want %d", got, tc.attempts)
			}
			if s := d.Stats(); s != tc.want {
				t.Fatalf("stats %+v; want %+v", s, tc.want)
			}
		})
	}
}

// With the default backoff (500 ms doubling, each pause jittered to half–all
// of it), two failures cost 250–500 ms then 500–1000 ms: measured in a
// synctest bubble, whose clock only the dispatcher's timers move.
func TestRetriesBackOff(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		statuses := []int{500, 503, 200}
		var at []time.Time // one sender goroutine per destination: no lock needed
		client := memhttp.Client(func(w http.ResponseWriter, _ *http.Request) {
			at = append(at, time.Now())
			w.WriteHeader(statuses[len(at)-1])
		})
		d, err := New(Config{WebhookURL: "http://hooks.invalid/hook", WebhookSecret: signature.Secret("k"), Client: client, Logger: discard()})
		if err != nil {
			t.Fatal(err)
		}
		d.Start(t.Context())
		defer d.Close()
		d.Enqueue(failedEvent)
		time.Sleep(time.Minute) // fake time: every backoff timer fires
		if s := d.Stats(); s.Sent != 1 || s.Retries != 2 || len(at) != 3 {
			t.Fatalf("stats %+v after %d attempts; want sent after 2 retries", s, len(at))
		}
		for i, lim := range [][2]time.Duration{{250 * time.Millisecond, 500 * time.Millisecond}, {500 * time.Millisecond, time.Second}} {
			if gap := at[i+1].Sub(at[i]); gap < lim[0] || gap > lim[1] {
				t.Fatalf("pause before retry %d = %s; want within [%s, %s]", i+1, gap, lim[0], lim[1])
			}
		}
	})
}

func TestQueueOverflowDropsTheOldest(t *testing.T) {
	t.Parallel()
	r := newReceiver(t, true)
	d := startDispatcher(t, Config{WebhookURL: r.srv.URL, WebhookSecret: signature.Secret("k"), QueueSize: 3})
	ev := func(i int) Event { e := failedEvent; e.ID = "e" + string(rune('0'+i)); return e }
	d.Enqueue(ev(0))
	r.waitArrivals(t, 1) // e0 is in flight, the queue is empty
	for i := 1; i <= 9; i++ {
		d.Enqueue(ev(i))
	}
	if s := d.Stats(); s.Dropped != 6 || s.Queued != 3 {
		t.Fatalf("stats %+v; want 6 dropped, 3 queued", s)
	}
	r.unhold()
	poll.Until(t, 10*time.Second, "the queue to drain", func() bool { return d.Stats().Sent == 4 })
	var ids []string
	for _, q := range r.requests() {
		ids = append(ids, q.header.Get(HeaderEventID))
	}
	if got := strings.Join(ids, " "); got != "e0 e7 e8 e9" {
		t.Fatalf("delivered %s; want e0 then the newest three", got)
	}
}

func TestCloseCancelsAnAttemptInFlight(t *testing.T) {
	t.Parallel()
	r := newReceiver(t, true)
	d, err := New(Config{SlackURL: r.srv.URL, Timeout: time.Hour, Logger: discard()})
	if err != nil {
		t.Fatal(err)
	}
	d.Start(context.Background())
	d.Enqueue(failedEvent)
	r.waitArrivals(t, 1)
	done := make(chan struct{})
	go func() { d.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return while the receiver hangs")
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  Config
		want string // "" means valid
	}{
		{"nothing configured", Config{}, ""},
		{"slack only", Config{SlackURL: "https://hooks.slack.com/services/T/B/XYZ"}, ""},
		{"webhook without secret", Config{WebhookURL: "https://example.com/hook"}, "needs a signing secret"},
		{"not a URL", Config{SlackURL: "hooks.slack.com/services/T/B/XYZ"}, "slack URL is not an http(s) URL"},
		{"negative queue", Config{QueueSize: -1}, "must not be negative"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.cfg.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Validate = %v; want nil", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("Validate = %v; want an error containing %q", err, tc.want)
			case err != nil && strings.Contains(err.Error(), "XYZ"):
				t.Fatalf("error %q shows the URL's token", err)
			}
		})
	}
}

func TestDeliveryErrorsDoNotShowTheURL(t *testing.T) {
	t.Parallel()
	var logs strings.Builder
	var mu sync.Mutex
	d, err := New(Config{SlackURL: "http://127.0.0.1:1/services/T0/B0/sekrit-token", MaxAttempts: 2, MinBackoff: time.Millisecond,
		Logger: slogTo(&lockedWriter{w: &logs, mu: &mu})})
	if err != nil {
		t.Fatal(err)
	}
	d.Start(context.Background())
	t.Cleanup(d.Close)
	d.Enqueue(failedEvent)
	poll.Until(t, 10*time.Second, "delivery to fail", func() bool { return d.Stats().Failed == 1 })
	mu.Lock()
	defer mu.Unlock()
	if out := logs.String(); strings.Contains(out, "sekrit") || !strings.Contains(out, "127.0.0.1:1") {
		t.Fatalf("logs %q; want the host and never the URL path", out)
	}
}

// jsonGolden compares got (indented JSON) with testdata/name; -update rewrites it.
func jsonGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	var v any
	if err := json.Unmarshal(got, &v); err != nil {
		t.Fatalf("not JSON: %s", got)
	}
	pretty, _ := json.MarshalIndent(v, "", "  ")
	golden.Check(t, filepath.Join("testdata", name), append(pretty, '\n'))
}

// BenchmarkEnqueueWhileTheReceiverHangs measures what the leader loop pays
// per event when the destination does not answer (the queue stays full).
func BenchmarkEnqueueWhileTheReceiverHangs(b *testing.B) {
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // the server notices a client gone only once the body is read
		<-r.Context().Done()
	}))
	defer hang.Close()
	d, err := New(Config{SlackURL: hang.URL, WebhookURL: hang.URL, WebhookSecret: signature.Secret("k"), Timeout: time.Hour, Logger: discard()})
	if err != nil {
		b.Fatal(err)
	}
	d.Start(context.Background())
	defer d.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d.Enqueue(failedEvent)
	}
}

func TestConfigNeverPrintsTheSecret(t *testing.T) {
	t.Parallel()
	cfg := Config{WebhookURL: "http://127.0.0.1:1/hook", WebhookSecret: signature.Secret("s3cret")}
	if out := fmt.Sprintf("%v %+v %#v", cfg, cfg, cfg); containsAny(out, "s3cret") {
		t.Fatalf("secret printed: %s", out)
	}
}
