package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ringleader-dev/ringleader/internal/signature"
)

// Headers of the signed webhook besides signature.HeaderSignature.
const (
	// HeaderEvent carries the event kind, HeaderEventID its ID (for
	// dropping duplicates).
	HeaderEvent   = "X-Ringleader-Event"
	HeaderEventID = "X-Ringleader-Event-Id"
)

// Config says where notifications go and how hard to try. Zero values get
// the defaults in Validate.
type Config struct {
	// SlackURL is a Slack-compatible incoming-webhook URL (optional). It is
	// a credential: it is never logged (only its host is).
	SlackURL string
	// WebhookURL receives every event as signed JSON (optional).
	WebhookURL string
	// WebhookSecret keys the webhook signature (required with WebhookURL).
	WebhookSecret signature.Secret
	// QueueSize bounds the events waiting per destination (default 256);
	// when full the oldest is dropped and counted.
	QueueSize int
	// MaxAttempts bounds the tries per event and destination (default 5).
	MaxAttempts int
	// MinBackoff and MaxBackoff bound the pause between tries: it doubles
	// from MinBackoff (default 500 ms) up to MaxBackoff (default 30 s), each
	// pause jittered to between half and all of it.
	MinBackoff, MaxBackoff time.Duration
	// Timeout bounds one HTTP attempt (default 10 s).
	Timeout time.Duration
	// Client sends the requests (default: a client with no redirects).
	Client *http.Client
	// Now stamps signatures (default time.Now).
	Now func() time.Time
	// Logger receives delivery failures (default slog.Default()).
	Logger *slog.Logger
}

// Enabled reports whether any destination is configured.
func (c Config) Enabled() bool { return c.SlackURL != "" || c.WebhookURL != "" }

// Validate fills in defaults and rejects a config that cannot work.
func (c *Config) Validate() error {
	var errs []error
	for _, u := range []struct{ name, v string }{{"slack URL", c.SlackURL}, {"webhook URL", c.WebhookURL}} {
		if u.v == "" {
			continue
		}
		p, err := url.Parse(u.v)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			errs = append(errs, fmt.Errorf("%s is not an http(s) URL with a host", u.name)) // never echo the URL: it may hold a token
		}
	}
	if c.WebhookURL != "" && len(c.WebhookSecret) == 0 {
		errs = append(errs, errors.New("webhook URL needs a signing secret; receivers verify every request with it"))
	}
	if c.QueueSize < 0 || c.MaxAttempts < 0 || c.MinBackoff < 0 || c.MaxBackoff < 0 || c.Timeout < 0 {
		errs = append(errs, errors.New("queue size, attempts, backoffs and timeout must not be negative"))
	}
	if len(errs) > 0 {
		return errors.Join(append([]error{errors.New("notify config")}, errs...)...)
	}
	setInt(&c.QueueSize, 256)
	setInt(&c.MaxAttempts, 5)
	setDur(&c.MinBackoff, 500*time.Millisecond)
	setDur(&c.MaxBackoff, 30*time.Second)
	c.MaxBackoff = max(c.MaxBackoff, c.MinBackoff)
	setDur(&c.Timeout, 10*time.Second)
	if c.Client == nil {
		c.Client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}

func setInt(p *int, d int) {
	if *p == 0 {
		*p = d
	}
}

func setDur(p *time.Duration, d time.Duration) {
	if *p == 0 {
		*p = d
	}
}

// Stats counts deliveries, summed over destinations.
type Stats struct {
	Enqueued int64 `json:"enqueued"`
	Sent     int64 `json:"sent"`
	Retries  int64 `json:"retries"`
	Failed   int64 `json:"failed"`
	Dropped  int64 `json:"dropped"`
	Queued   int64 `json:"queued"`
}

// Dispatcher delivers events to the configured destinations. Enqueue never
// blocks; each destination has its own bounded queue and goroutine, so a
// slow Slack does not delay the webhook and neither delays the caller.
type Dispatcher struct {
	cfg    Config
	dests  []*destination
	cancel context.CancelFunc
	wg     sync.WaitGroup

	enqueued, sent, retries, failed atomic.Int64
}

// destination is one receiver with its queue.
type destination struct {
	name   string // "slack" or "webhook", for logs
	url    string
	host   string // what logs may show
	render func(Event) ([]byte, error)
	sign   bool
	q      *queue
}

// New validates cfg and returns a dispatcher; Start begins delivery.
func New(cfg Config) (*Dispatcher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	d := &Dispatcher{cfg: cfg}
	if cfg.SlackURL != "" {
		d.dests = append(d.dests, &destination{name: "slack", url: cfg.SlackURL, host: hostOf(cfg.SlackURL), render: slackBody, q: newQueue(cfg.QueueSize)})
	}
	if cfg.WebhookURL != "" {
		d.dests = append(d.dests, &destination{name: "webhook", url: cfg.WebhookURL, host: hostOf(cfg.WebhookURL), render: webhookBody, sign: true, q: newQueue(cfg.QueueSize)})
	}
	return d, nil
}

// Start runs one sender goroutine per destination until ctx ends or Close.
func (d *Dispatcher) Start(ctx context.Context) {
	ctx, d.cancel = context.WithCancel(ctx)
	for _, dst := range d.dests {
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			d.run(ctx, dst)
		}()
	}
}

// Close stops the senders (an attempt in flight is cancelled; queued
// events are dropped) and waits for them.
func (d *Dispatcher) Close() {
	if d.cancel != nil {
		d.cancel()
	}
	d.wg.Wait()
}

// Enqueue queues ev for every destination and returns at once. When a
// destination's queue is full its oldest event is dropped and counted.
func (d *Dispatcher) Enqueue(ev Event) {
	d.enqueued.Add(1)
	for _, dst := range d.dests {
		if dst.q.push(ev) {
			// Say so on the first drop and every 100th, not on each one.
			if n := dst.q.drops(); n == 1 || n%100 == 0 {
				d.cfg.Logger.Warn("notification queue full; dropping the oldest events", "destination", dst.name, "dropped", n)
			}
		}
	}
}

// Stats returns the delivery counters.
func (d *Dispatcher) Stats() Stats {
	s := Stats{Enqueued: d.enqueued.Load(), Sent: d.sent.Load(), Retries: d.retries.Load(), Failed: d.failed.Load()}
	for _, dst := range d.dests {
		s.Dropped += dst.q.drops()
		s.Queued += int64(dst.q.len())
	}
	return s
}

// run delivers one destination's events in order until ctx ends.
func (d *Dispatcher) run(ctx context.Context, dst *destination) {
	for {
		ev, ok := dst.q.pop()
		if !ok {
			select {
			case <-ctx.Done():
				return
			case <-dst.q.ready:
				continue
			}
		}
		d.deliver(ctx, dst, ev)
		if ctx.Err() != nil {
			return
		}
	}
}

// deliver tries one event up to MaxAttempts times. Network errors, 429 and
// 5xx are retried after a jittered, doubling pause; other answers are final.
func (d *Dispatcher) deliver(ctx context.Context, dst *destination, ev Event) {
	body, err := dst.render(ev)
	if err != nil {
		d.failed.Add(1)
		d.cfg.Logger.Error("cannot render notification; dropped", "destination", dst.name, "event", ev.ID, "err", err)
		return
	}
	pause := d.cfg.MinBackoff
	for attempt := 1; ; attempt++ {
		retry, err := d.attempt(ctx, dst, ev, body)
		if err == nil {
			d.sent.Add(1)
			return
		}
		if ctx.Err() != nil {
			return
		}
		if !retry || attempt >= d.cfg.MaxAttempts {
			d.failed.Add(1)
			d.cfg.Logger.Warn("notification not delivered; giving up", "destination", dst.name, "host", dst.host, "event", ev.ID, "attempts", attempt, "err", err)
			return
		}
		d.retries.Add(1)
		wait := pause/2 + rand.N(pause/2+1)
		d.cfg.Logger.Info("notification delivery failed; retrying", "destination", dst.name, "host", dst.host, "event", ev.ID, "attempt", attempt, "in", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		pause = min(pause*2, d.cfg.MaxBackoff)
	}
}

// attempt sends one request; retry says whether a failure may pass on a
// later try. Errors never contain the URL (it may hold a token).
func (d *Dispatcher) attempt(ctx context.Context, dst *destination, ev Event, body []byte) (retry bool, err error) {
	actx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, dst.url, bytes.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("build request to %s: %w", dst.host, redact(err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "ringleader-notify/1")
	req.Header.Set(HeaderEvent, string(ev.Kind))
	req.Header.Set(HeaderEventID, ev.ID)
	if dst.sign {
		req.Header.Set(signature.HeaderSignature, signature.Sign(d.cfg.WebhookSecret, d.cfg.Now(), body))
	}
	resp, err := d.cfg.Client.Do(req)
	if err != nil {
		return true, fmt.Errorf("post to %s: %w", dst.host, redact(err))
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return false, nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return true, fmt.Errorf("%s answered %s", dst.host, strconv.Itoa(resp.StatusCode))
	default:
		return false, fmt.Errorf("%s answered %d; check the URL and the receiver's configuration", dst.host, resp.StatusCode)
	}
}

// redact strips the URL from a *url.Error, keeping what went wrong.
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// hostOf returns the host of a URL, for logs.
func hostOf(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		return u.Host
	}
	return "(invalid URL)"
}
