package server

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPreferJoinWhenAClusterAnswers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		status        int // 0: nothing listens
		wantBootstrap bool
	}{
		{"a ready member answers: join it", http.StatusOK, false},
		{"members without a leader: bootstrap", http.StatusServiceUnavailable, true},
		{"nothing answers: bootstrap", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/readyz" {
					http.NotFound(w, r)
					return
				}
				w.WriteHeader(tc.status)
			}))
			url := srv.URL
			if tc.status == 0 {
				srv.Close()
			} else {
				defer srv.Close()
			}
			c := Config{Bootstrap: true, joinProbe: url}
			preferJoin(context.Background(), &c, srv.Client(), slog.New(slog.DiscardHandler))
			wantJoin := ""
			if !tc.wantBootstrap {
				wantJoin = url
			}
			if c.Bootstrap != tc.wantBootstrap || c.Join != wantJoin {
				t.Fatalf("bootstrap %v join %q; want %v %q", c.Bootstrap, c.Join, tc.wantBootstrap, wantJoin)
			}
		})
	}
}

// The notification webhook's secret is read from its file and never logged.
func TestNotifierReadsTheSecretAndNeverLogsIt(t *testing.T) {
	t.Parallel()
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	n, err := newNotifier(context.Background(), NotifyConfig{WebhookURL: "https://example.com/hook", SecretFile: secret},
		slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer n.close()
	if n.watcher == nil || strings.Contains(logs.String(), "s3cret") {
		t.Fatalf("watcher %v, logs %q; want a watcher and no secret in the logs", n.watcher, logs.String())
	}
}
