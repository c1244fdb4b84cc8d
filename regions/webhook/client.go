package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ringleader-dev/ringleader/internal/redact"
	"github.com/ringleader-dev/ringleader/internal/signature"
)

// HeaderEvent names the event of a call; the signature is in
// signature.HeaderSignature.
const HeaderEvent = "X-Ringleader-Event"

// Event names a webhook.
type Event string

// The webhook events.
const (
	// PrePromotion is called before a ring is promoted; it must answer 2xx.
	PrePromotion Event = "pre-promotion"
	// DuringSoak is called while a ring soaks; a failure fails the ring.
	DuringSoak Event = "during-soak"
	// PostRing is called after a ring is done.
	PostRing Event = "post-ring"
)

// Limits and defaults of an endpoint.
const (
	DefaultTimeout     = 5 * time.Second
	DefaultBackoffBase = 200 * time.Millisecond
	DefaultBackoffMax  = 5 * time.Second
	// MaxRetries bounds Endpoint.Retries so a dead receiver cannot stall the
	// leader loop for long.
	MaxRetries = 10
)

// Errors Send ends in (wrapped with the event and the endpoint, never the
// secret).
var (
	// ErrRefused: the receiver answered, and not with 2xx. For pre-promotion
	// this means "do not promote"; a person or the receiver must change
	// something.
	ErrRefused = errors.New("webhook refused")
	// ErrUnavailable: no answer after every retry (connection refused,
	// timeout). Try again later; the gate stays closed meanwhile.
	ErrUnavailable = errors.New("webhook unavailable")
)

// Payload is the JSON body of every webhook call.
type Payload struct {
	Event   Event     `json:"event"`
	Release string    `json:"release"`
	App     string    `json:"app"`
	Version string    `json:"version"`
	Ring    string    `json:"ring"`
	Regions []string  `json:"regions"`
	Time    time.Time `json:"time"`
}

// Endpoint is one webhook receiver.
type Endpoint struct {
	// URL receives a POST with the JSON payload. http or https.
	URL string
	// Secret keys the HMAC-SHA256 signature. Required. Never printed.
	Secret string
	// Timeout bounds each attempt (default DefaultTimeout).
	Timeout time.Duration
	// Retries is how many times a failed attempt is repeated (0..MaxRetries).
	Retries int
	// LegacySignature signs with the gates' old headers
	// (X-Ringleader-Timestamp plus "X-Ringleader-Signature: sha256=<hex>")
	// instead of the one scheme, for receivers not yet moved.
	//
	// Deprecated: accepted for one release, then removed; move receivers to
	// the "t=…,v1=…" signature (internal/signature).
	LegacySignature bool
}

// String describes the endpoint without its secret, so %v is safe to log.
func (e Endpoint) String() string {
	return fmt.Sprintf("webhook %s (timeout %s, retries %d)", redact.URL(e.URL), e.Timeout, e.Retries)
}

// GoString keeps %#v from printing the secret too.
func (e Endpoint) GoString() string { return e.String() }

func (e *Endpoint) validate(ev Event) error {
	u, err := url.Parse(e.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s webhook url %q is not an http(s) URL", ev, redact.URL(e.URL))
	}
	if e.Secret == "" {
		return fmt.Errorf("%s webhook %s has no secret: set one so receivers can verify the signature", ev, redact.URL(e.URL))
	}
	if e.Timeout < 0 {
		return fmt.Errorf("%s webhook timeout %s is negative", ev, e.Timeout)
	}
	if e.Timeout == 0 {
		e.Timeout = DefaultTimeout
	}
	if e.Retries < 0 || e.Retries > MaxRetries {
		return fmt.Errorf("%s webhook retries %d: want 0 to %d", ev, e.Retries, MaxRetries)
	}
	return nil
}

// Config configures a Client. A nil endpoint means the event is not
// configured: Send succeeds without calling anything.
type Config struct {
	PrePromotion *Endpoint
	DuringSoak   *Endpoint
	PostRing     *Endpoint
	// BackoffBase and BackoffMax shape the delay before retry n:
	// min(BackoffMax, BackoffBase·2ⁿ), of which a random half is taken off
	// (jitter) so many leaders do not retry in step.
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// HTTPClient sends the requests (default: a client without its own
	// timeout; each attempt is bounded by the endpoint's Timeout).
	HTTPClient *http.Client
	// Now is the clock for the timestamp header (default time.Now).
	Now func() time.Time
	// Jitter returns a number in [0,1) (default math/rand/v2).
	Jitter func() float64
	// Logger is told once, at New, about every endpoint still on the
	// deprecated legacy signature (default: discard).
	Logger *slog.Logger
}

// Validate fills defaults and rejects a configuration that cannot work.
func (c *Config) Validate() error {
	for ev, ep := range c.endpoints() {
		if ep != nil {
			if err := ep.validate(ev); err != nil {
				return err
			}
		}
	}
	if c.BackoffBase < 0 || c.BackoffMax < 0 {
		return errors.New("webhook backoff must not be negative")
	}
	if c.BackoffBase == 0 {
		c.BackoffBase = DefaultBackoffBase
	}
	if c.BackoffMax == 0 {
		c.BackoffMax = DefaultBackoffMax
	}
	if c.BackoffMax < c.BackoffBase {
		c.BackoffMax = c.BackoffBase
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Jitter == nil {
		c.Jitter = rand.Float64
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

func (c *Config) endpoints() map[Event]*Endpoint {
	return map[Event]*Endpoint{PrePromotion: c.PrePromotion, DuringSoak: c.DuringSoak, PostRing: c.PostRing}
}

// Client sends webhook events. It is safe for concurrent use.
type Client struct {
	cfg Config
}

// New validates cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	for _, ev := range []Event{PrePromotion, DuringSoak, PostRing} {
		if ep := cfg.endpoints()[ev]; ep != nil && ep.LegacySignature {
			cfg.Logger.Warn("webhook signs with the deprecated sha256= header; it goes in the next release: verify \"X-Ringleader-Signature: t=…,v1=…\" in the receiver, then drop the legacy setting",
				"event", ev, "url", redact.URL(ep.URL))
		}
	}
	return &Client{cfg: cfg}, nil
}

// Configured reports whether an endpoint is set for the event.
func (c *Client) Configured(ev Event) bool { return c.cfg.endpoints()[ev] != nil }

// Send posts p to the endpoint of p.Event, retrying failed attempts (network
// errors, timeouts, 408, 429 and 5xx) with jittered backoff. It returns nil on
// a 2xx answer or when the event has no endpoint; an error wrapping
// ErrRefused when the receiver answered otherwise; an error wrapping
// ErrUnavailable when no attempt got an answer; ctx's error when ctx ends.
func (c *Client) Send(ctx context.Context, p Payload) error {
	ep, ok := c.cfg.endpoints()[p.Event]
	if !ok {
		return fmt.Errorf("unknown webhook event %q: use %s, %s or %s", p.Event, PrePromotion, DuringSoak, PostRing)
	}
	if ep == nil {
		return nil
	}
	if p.Time.IsZero() {
		p.Time = c.cfg.Now().UTC()
	}
	if p.Regions == nil {
		p.Regions = []string{}
	}
	body, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("encode %s webhook payload: %w", p.Event, err)
	}
	var last error
	attempts := 0
	for attempt := 0; attempt <= ep.Retries; attempt++ {
		if attempt > 0 {
			if err := sleep(ctx, c.backoff(attempt-1)); err != nil {
				return fmt.Errorf("%s webhook %s: gave up waiting to retry: %w (last attempt: %w)", p.Event, redact.URL(ep.URL), err, last)
			}
		}
		attempts++
		retry, err := c.attempt(ctx, ep, p.Event, body)
		if err == nil {
			return nil
		}
		last = err
		if !retry || ctx.Err() != nil {
			break
		}
	}
	return fmt.Errorf("%s webhook %s after %d attempt(s): %w", p.Event, redact.URL(ep.URL), attempts, last)
}

// attempt sends one request and says whether a failure is worth retrying.
func (c *Client) attempt(ctx context.Context, ep *Endpoint, ev Event, body []byte) (retry bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, ep.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.URL, bytes.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("build request: %w", err)
	}
	now := c.cfg.Now()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "ringleader-webhook")
	req.Header.Set(HeaderEvent, string(ev))
	if ep.LegacySignature {
		ts, sig := signature.SignLegacy(signature.Secret(ep.Secret), now, body)
		req.Header.Set(signature.HeaderLegacyTimestamp, ts)
		req.Header.Set(signature.HeaderSignature, sig)
	} else {
		req.Header.Set(signature.HeaderSignature, signature.Sign(signature.Secret(ep.Secret), now, body))
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		// url.Error repeats the URL, query string included; say only what
		// went wrong.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return true, fmt.Errorf("%w: no answer within %s", ErrUnavailable, ep.Timeout)
		}
		return true, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return false, nil
	}
	retry = resp.StatusCode >= 500 || resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode == http.StatusTooManyRequests
	msg := strings.Join(strings.Fields(string(snippet)), " ")
	if msg != "" {
		msg = ": " + msg
	}
	return retry, fmt.Errorf("%w: answered %s%s", ErrRefused, resp.Status, msg)
}

// backoff is the jittered delay before retry n (0-based).
func (c *Client) backoff(n int) time.Duration {
	d := c.cfg.BackoffMax
	if n < 30 {
		if e := c.cfg.BackoffBase << n; e > 0 && e < d {
			d = e
		}
	}
	return d/2 + time.Duration(c.cfg.Jitter()*float64(d/2))
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
