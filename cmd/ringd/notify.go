package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/ringleader-dev/ringleader/coordinator"
	"github.com/ringleader-dev/ringleader/internal/notify"
	"github.com/ringleader-dev/ringleader/internal/signature"
)

// notifyFlags are the --notify-* flags. The webhook secret is read from a
// file so it appears neither in the process list nor in logs.
type notifyFlags struct {
	slackURL   string
	webhookURL string
	secretFile string
}

func (n *notifyFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&n.slackURL, "notify-slack-url", "", "Slack-compatible incoming-webhook URL for notifications (or env RINGD_NOTIFY_SLACK_URL)")
	fs.StringVar(&n.webhookURL, "notify-webhook-url", "", "URL that receives every notification as JSON signed with HMAC-SHA256 (X-Ringleader-Signature)")
	fs.StringVar(&n.secretFile, "notify-webhook-secret-file", "", "file holding the webhook signing secret (required with --notify-webhook-url)")
}

// validate rejects a half-configured webhook; the Slack URL may also come
// from the environment, which keeps it out of the process list.
func (n *notifyFlags) validate() []error {
	if n.slackURL == "" {
		n.slackURL = os.Getenv("RINGD_NOTIFY_SLACK_URL")
	}
	var errs []error
	if n.webhookURL != "" && n.secretFile == "" {
		errs = append(errs, errors.New("--notify-webhook-url needs --notify-webhook-secret-file: receivers verify every request with the secret"))
	}
	if n.secretFile != "" && n.webhookURL == "" {
		errs = append(errs, errors.New("--notify-webhook-secret-file is set but --notify-webhook-url is not"))
	}
	return errs
}

// notifier is the running notification pipeline: a Watcher the leader
// loop feeds and the Dispatcher that sends.
type notifier struct {
	watcher    coordinator.Notifier
	dispatcher *notify.Dispatcher
}

// newNotifier builds and starts the notification pipeline, or returns a
// notifier with a nil watcher when no destination is configured.
func newNotifier(ctx context.Context, f notifyFlags, logger *slog.Logger) (*notifier, error) {
	cfg := notify.Config{SlackURL: f.slackURL, WebhookURL: f.webhookURL, Logger: logger}
	if f.secretFile != "" {
		b, err := os.ReadFile(f.secretFile)
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
