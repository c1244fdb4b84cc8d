package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/leader"
	"github.com/ringleader-dev/ringleader/regions"
	"github.com/ringleader-dev/ringleader/regions/webhook"
	"github.com/ringleader-dev/ringleader/rings"
	ringtopology "github.com/ringleader-dev/ringleader/rings/topology"
)

// appWebhooks calls the webhooks an app declares in its
// spec.apps[].policy.webhooks, in addition to ringd's global --webhook-*
// ones. A webhook names its secret by file name only (the topology is shown
// to every viewer); the file is read from --webhook-secret-dir at each call,
// so a rotated secret or a topology change needs no restart.
type appWebhooks struct {
	cfg      HealthConfig
	topology func() *ringtopology.Topology
	logger   *slog.Logger
	// global is the client of ringd's own receivers (nil: none set).
	global *webhook.Client
}

// errNoSecretDir says an app's webhook cannot be signed: ringd was started
// without --webhook-secret-dir.
var errNoSecretDir = errors.New("the app declares its own webhook, but ringd has no --webhook-secret-dir to read its secret from: start ringd with --webhook-secret-dir")

// hookOf returns app's own receiver of ev, or nil.
func (a *appWebhooks) hookOf(app string, ev webhook.Event) *ringtopology.AppWebhook {
	top := a.topology()
	if top == nil {
		return nil
	}
	return top.EffectivePolicy(app).Webhooks.Hook(string(ev))
}

// send calls app's own receiver of p.Event, if it declares one.
func (a *appWebhooks) send(ctx context.Context, p webhook.Payload) error {
	hook := a.hookOf(p.App, p.Event)
	if hook == nil {
		return nil
	}
	secret, err := a.secret(hook.SecretFile)
	if err != nil {
		return fmt.Errorf("%s webhook of app %s: %w", p.Event, p.App, err)
	}
	ep := &webhook.Endpoint{URL: hook.URL, Secret: secret, Timeout: a.cfg.WebhookTimeout, Retries: a.cfg.WebhookRetries}
	wc := webhook.Config{Logger: a.logger}
	switch p.Event {
	case webhook.PrePromotion:
		wc.PrePromotion = ep
	case webhook.DuringSoak:
		wc.DuringSoak = ep
	case webhook.PostRing:
		wc.PostRing = ep
	}
	c, err := webhook.New(wc)
	if err != nil {
		return fmt.Errorf("webhook of app %s: %w", p.App, err)
	}
	if err := c.Send(ctx, p); err != nil {
		return fmt.Errorf("app %s: %w", p.App, err)
	}
	return nil
}

// secret reads a secret file of --webhook-secret-dir. The topology
// validated name is a plain file name; it is checked again here, so no
// name can leave the directory.
func (a *appWebhooks) secret(name string) (string, error) {
	if a.cfg.WebhookSecretDir == "" {
		return "", errNoSecretDir
	}
	if name == "" || name != filepath.Base(name) || strings.HasPrefix(name, ".") {
		return "", fmt.Errorf("secretFile %q is not a plain file name", name)
	}
	raw, err := os.ReadFile(filepath.Join(a.cfg.WebhookSecretDir, name))
	if err != nil {
		return "", fmt.Errorf("read secret %s from --webhook-secret-dir: %w", name, err)
	}
	s := strings.TrimSpace(string(raw))
	if s == "" {
		return "", fmt.Errorf("secret file %s in --webhook-secret-dir is empty: put the HMAC secret in it", name)
	}
	return s, nil
}

// both sends p to ringd's global receiver, if configured, then to the
// app's own: both must accept.
func (a *appWebhooks) both(ctx context.Context, p webhook.Payload) error {
	if a.global != nil && a.global.Configured(p.Event) {
		if err := a.global.Send(ctx, p); err != nil {
			return err
		}
	}
	return a.send(ctx, p)
}

// beforePromote is LoopConfig.BeforePromote: every receiver (global and
// the app's) must answer 2xx before the ring is promoted.
func (a *appWebhooks) beforePromote(ctx context.Context, p rings.Promotion) error {
	return a.both(ctx, webhook.Payload{Event: webhook.PrePromotion, Release: p.ReleaseID, App: p.App,
		Version: p.Version, Ring: p.Ring, Regions: p.Regions})
}

// duringSoak is regions.HealthConfig.DuringSoak: a failure of any
// receiver fails the analysis of the ring; with no receiver for the app
// there is no check at all.
func (a *appWebhooks) duringSoak(ctx context.Context, q rings.HealthQuery, at time.Time) error {
	if (a.global == nil || !a.global.Configured(webhook.DuringSoak)) && a.hookOf(q.App, webhook.DuringSoak) == nil {
		return regions.ErrNoDuringSoak
	}
	return a.both(ctx, webhook.PayloadFor(webhook.DuringSoak, q, at))
}

// afterRing is LoopConfig.AfterRing: best effort, a failure is logged.
func (a *appWebhooks) afterRing(ctx context.Context, r leader.RingDone) {
	err := a.both(ctx, webhook.Payload{Event: webhook.PostRing, Release: r.ReleaseID, App: r.App,
		Version: r.Version, Ring: r.Ring, Regions: r.Regions})
	if err != nil && ctx.Err() == nil {
		a.logger.Warn("post-ring webhook failed (best effort; nothing retried later)", "release", r.ReleaseID, "ring", r.Ring, "err", err)
	}
}
