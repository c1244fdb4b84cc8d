package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/ringleader-dev/ringleader/coordinator/leader"
	"github.com/ringleader-dev/ringleader/internal/notify"
	"github.com/ringleader-dev/ringleader/internal/signature"
)

// NotifyConfig are the --notify-* flags. The webhook secret is read from a
// file so it appears neither in the process list nor in logs.
type NotifyConfig struct {
	SlackURL   string
	WebhookURL string
	SecretFile string
}

// validate rejects a half-configured webhook; the Slack URL may also come
// from the environment, which keeps it out of the process list.
func (n *NotifyConfig) validate() []error {
	if n.SlackURL == "" {
		n.SlackURL = os.Getenv("RINGD_NOTIFY_SLACK_URL")
	}
	var errs []error
	if n.WebhookURL != "" && n.SecretFile == "" {
		errs = append(errs, errors.New("--notify-webhook-url needs --notify-webhook-secret-file: receivers verify every request with the secret"))
	}
	if n.SecretFile != "" && n.WebhookURL == "" {
		errs = append(errs, errors.New("--notify-webhook-secret-file is set but --notify-webhook-url is not"))
	}
	return errs
}

// notifier is the running notification pipeline: a Watcher the leader
// loop feeds and the Dispatcher that sends.
type notifier struct {
	watcher    leader.Notifier
	dispatcher *notify.Dispatcher
}

// newNotifier builds and starts the notification pipeline, or returns a
// notifier with a nil watcher when no destination is configured.
func newNotifier(ctx context.Context, f NotifyConfig, logger *slog.Logger) (*notifier, error) {
	cfg := notify.Config{SlackURL: f.SlackURL, WebhookURL: f.WebhookURL, Logger: logger}
	if f.SecretFile != "" {
		b, err := os.ReadFile(f.SecretFile)
		if err != nil {
			return nil, fmt.Errorf("read --notify-webhook-secret-file: %w", err)
		}
		cfg.WebhookSecret = signature.Secret(strings.TrimSpace(string(b)))
		if len(cfg.WebhookSecret) == 0 {
			return nil, errors.New("--notify-webhook-secret-file is empty: put the shared signing secret in it")
		}
	}
	if !cfg.Enabled() {
		return &notifier{}, nil
	}
	d, err := notify.New(cfg)
	if err != nil {
		return nil, err
	}
	d.Start(ctx)
	logger.Info("notifications enabled", "slack", cfg.SlackURL != "", "webhook", cfg.WebhookURL != "")
	return &notifier{watcher: notify.NewWatcher(d.Enqueue, notify.DefaultReplay), dispatcher: d}, nil
}

// close stops the senders; queued notifications are dropped.
func (n *notifier) close() {
	if n.dispatcher != nil {
		n.dispatcher.Close()
	}
}
