package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/leader"
	"github.com/ringleader-dev/ringleader/regions"
	"github.com/ringleader-dev/ringleader/regions/argocd"
	"github.com/ringleader-dev/ringleader/regions/prometheus"
	"github.com/ringleader-dev/ringleader/regions/webhook"
	"github.com/ringleader-dev/ringleader/rings"
	ringtopology "github.com/ringleader-dev/ringleader/rings/topology"
)

// HealthConfig says how ringd reaches the regions' evidence: Argo CD (one
// token for every server the topology names), each region's Prometheus,
// and the release webhooks.
type HealthConfig struct {
	ArgoCDTokenFile          string
	ArgoCDCAFile             string
	ArgoCDInsecureSkipVerify bool
	ArgoCDTimeout            time.Duration
	// PrometheusTimeout bounds one PromQL query (0: the analyzer's default).
	PrometheusTimeout time.Duration
	// Webhook receivers (empty: not called) and their shared secret file.
	WebhookPrePromotion string
	WebhookDuringSoak   string
	WebhookPostRing     string
	WebhookSecretFile   string
	WebhookTimeout      time.Duration
	WebhookRetries      int
	// WebhookLegacySignature keeps the gates on their old sha256= header
	// for receivers not yet moved (deprecated: one release).
	WebhookLegacySignature bool

	// WebhookSecretDir holds the secret files the apps' own webhooks name
	// (spec.apps[].policy.webhooks[].secretFile); empty: apps may not
	// declare webhooks (a declared one fails closed).
	WebhookSecretDir string
	// BudgetInterval is how often the leader measures error budgets.
	BudgetInterval time.Duration
}

// validate rejects settings that cannot work.
func (c *HealthConfig) validate() []error {
	var errs []error
	anyHook := c.WebhookPrePromotion != "" || c.WebhookDuringSoak != "" || c.WebhookPostRing != ""
	if anyHook && c.WebhookSecretFile == "" {
		errs = append(errs, errors.New("a --webhook-* URL needs --webhook-secret-file: receivers verify the signature"))
	}
	if c.WebhookRetries < 0 || c.WebhookRetries > webhook.MaxRetries {
		errs = append(errs, fmt.Errorf("--webhook-retries %d: want 0 to %d", c.WebhookRetries, webhook.MaxRetries))
	}
	if c.WebhookSecretDir != "" {
		if st, err := os.Stat(c.WebhookSecretDir); err != nil || !st.IsDir() {
			errs = append(errs, fmt.Errorf("--webhook-secret-dir %s is not a readable directory: create it and put the apps' webhook secret files in it", c.WebhookSecretDir))
		}
	}
	if c.BudgetInterval <= 0 {
		errs = append(errs, errors.New("--budget-interval must be positive"))
	}
	if c.ArgoCDInsecureSkipVerify && c.ArgoCDCAFile != "" {
		errs = append(errs, errors.New("--argocd-ca-file and --argocd-insecure-skip-verify exclude each other: keep the CA bundle"))
	}
	return errs
}

// ancestry answers "is commit a an ancestor of commit d" (the gitops
// working copy).
type ancestry interface {
	IsAncestor(ctx context.Context, ancestor, descendant string) (bool, error)
}

// addHealth wires the region evidence into fx: the regions.HealthSource
// over Argo CD, Prometheus and the during-soak webhook; the pre-promotion
// and post-ring webhooks; and the Prometheus error budgets.
func addHealth(fx *effects, cfg HealthConfig, topology func() *ringtopology.Topology, anc ancestry, logger *slog.Logger) error {
	hc := regions.HealthConfig{Topology: topology}
	if cfg.ArgoCDTokenFile != "" {
		src, err := argocd.NewSource(argocd.SourceConfig{
			Default: &argocd.ClientConfig{TokenFile: cfg.ArgoCDTokenFile, CAFile: cfg.ArgoCDCAFile,
				InsecureSkipVerify: cfg.ArgoCDInsecureSkipVerify, Timeout: cfg.ArgoCDTimeout},
			IsAncestor: anc.IsAncestor,
		})
		if err != nil {
			return fmt.Errorf("argocd: %w", err)
		}
		hc.Sync = src
	} else {
		logger.Warn("no --argocd-token-file: regions with an argocd source will report no sync evidence and fail closed")
	}
	analyzer, err := prometheus.NewAnalyzer(prometheus.Config{QueryTimeout: cfg.PrometheusTimeout})
	if err != nil {
		return fmt.Errorf("prometheus: %w", err)
	}
	hc.Metrics = analyzer
	hooks, err := newWebhooks(cfg, logger)
	if err != nil {
		return err
	}
	// Gate and soak webhooks: ringd's own (--webhook-*) and each app's
	// (spec.apps[].policy.webhooks, secrets from --webhook-secret-dir).
	hookSet := &appWebhooks{cfg: cfg, topology: topology, logger: logger, global: hooks}
	hc.DuringSoak = hookSet.duringSoak
	hs, err := regions.NewHealthSource(hc)
	if err != nil {
		return err
	}
	fx.health = hs
	fx.budgets = budgetSource(analyzer)
	fx.budgetInterval = cfg.BudgetInterval
	fx.beforePromote = hookSet.beforePromote
	fx.afterRing = hookSet.afterRing
	return nil
}

// newWebhooks builds the webhook client, nil when no URL is set.
func newWebhooks(cfg HealthConfig, logger *slog.Logger) (*webhook.Client, error) {
	if cfg.WebhookPrePromotion == "" && cfg.WebhookDuringSoak == "" && cfg.WebhookPostRing == "" {
		return nil, nil
	}
	raw, err := os.ReadFile(cfg.WebhookSecretFile)
	if err != nil {
		return nil, fmt.Errorf("read --webhook-secret-file: %w", err)
	}
	secret := strings.TrimSpace(string(raw))
	if secret == "" {
		return nil, fmt.Errorf("--webhook-secret-file %s is empty: put the shared HMAC secret in it", cfg.WebhookSecretFile)
	}
	endpoint := func(url string) *webhook.Endpoint {
		if url == "" {
			return nil
		}
		return &webhook.Endpoint{URL: url, Secret: secret, Timeout: cfg.WebhookTimeout, Retries: cfg.WebhookRetries,
			LegacySignature: cfg.WebhookLegacySignature}
	}
	c, err := webhook.New(webhook.Config{PrePromotion: endpoint(cfg.WebhookPrePromotion),
		DuringSoak: endpoint(cfg.WebhookDuringSoak), PostRing: endpoint(cfg.WebhookPostRing), Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("webhooks: %w", err)
	}
	return c, nil
}

// budgetMeter is what budgetSource needs from the Prometheus analyzer.
type budgetMeter interface {
	Budgets(ctx context.Context, topo *ringtopology.Topology, app string, window time.Duration, at time.Time) ([]rings.Budget, error)
}

// budgetSource measures every app's budget in every region with a
// Prometheus: one figure per app and region, so each release is gated by
// its own app's budget. An app that cannot be measured somewhere is
// reported in the joined error and gets nothing new there.
func budgetSource(m budgetMeter) leader.BudgetSource {
	return leader.BudgetFunc(func(ctx context.Context, topo *ringtopology.Topology, at time.Time) ([]rings.Budget, error) {
		var errs []error
		var out []rings.Budget
		for _, app := range topo.Spec.Apps {
			bs, err := m.Budgets(ctx, topo, app.Name, 0, at)
			if err != nil {
				errs = append(errs, fmt.Errorf("app %s: %w", app.Name, err))
			}
			for _, b := range bs {
				b.App = app.Name
				out = append(out, b)
			}
		}
		return out, errors.Join(errs...)
	})
}
