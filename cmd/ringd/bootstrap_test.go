package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBootstrapIDFlag(t *testing.T) {
	t.Parallel()
	base := []string{"--insecure-no-auth", "--data-dir", "/d", "--bootstrap-id", "ringd-0", "--join", "http://ringd:7070"}
	tests := []struct {
		name          string
		args          []string
		wantBootstrap bool
		wantJoin      string
		wantProbe     string
		wantErr       string
	}{
		{"the named node bootstraps and keeps --join to probe", append([]string{"--node-id", "ringd-0"}, base...), true, "", "http://ringd:7070", ""},
		{"every other node joins", append([]string{"--node-id", "ringd-2"}, base...), false, "http://ringd:7070", "", ""},
		{"other nodes need --join", []string{"--node-id", "ringd-1", "--data-dir", "/d", "--bootstrap-id", "ringd-0"}, false, "", "", "--bootstrap-id needs --join"},
		{"not with --bootstrap", append([]string{"--node-id", "ringd-0", "--bootstrap"}, base...), false, "", "", "replaces --bootstrap"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := parseFlags(tc.args, io.Discard)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("parseFlags = %v; want an error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || c.bootstrap != tc.wantBootstrap || c.join != tc.wantJoin || c.joinProbe != tc.wantProbe {
				t.Fatalf("bootstrap %v join %q probe %q (err %v); want %v %q %q", c.bootstrap, c.join, c.joinProbe, err, tc.wantBootstrap, tc.wantJoin, tc.wantProbe)
			}
		})
	}
}

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
			c := config{bootstrap: true, joinProbe: url}
			preferJoin(context.Background(), &c, srv.Client(), slog.New(slog.DiscardHandler))
			wantJoin := ""
			if !tc.wantBootstrap {
				wantJoin = url
			}
			if c.bootstrap != tc.wantBootstrap || c.join != wantJoin {
				t.Fatalf("bootstrap %v join %q; want %v %q", c.bootstrap, c.join, tc.wantBootstrap, wantJoin)
			}
		})
	}
}

func TestNotifyFlags(t *testing.T) {
	t.Parallel()
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := []string{"--node-id", "n1", "--data-dir", "/d", "--insecure-no-auth"}
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"off by default", base, ""},
		{"slack only", append(base, "--notify-slack-url", "https://hooks.example.com/x"), ""},
		{"webhook with secret", append(base, "--notify-webhook-url", "https://example.com/hook", "--notify-webhook-secret-file", secret), ""},
		{"webhook without secret", append(base, "--notify-webhook-url", "https://example.com/hook"), "needs --notify-webhook-secret-file"},
		{"secret without webhook", append(base, "--notify-webhook-secret-file", secret), "--notify-webhook-url is not"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := parseFlags(tc.args, io.Discard)
			if (tc.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("parseFlags = %v; want %q", err, tc.wantErr)
			}
		})
	}
	t.Run("the secret is read from the file and never logged", func(t *testing.T) {
		c, err := parseFlags(append(base, "--notify-webhook-url", "https://example.com/hook", "--notify-webhook-secret-file", secret), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		var logs strings.Builder
		n, err := newNotifier(context.Background(), c.notify, slog.New(slog.NewTextHandler(&logs, nil)))
		if err != nil {
			t.Fatal(err)
		}
		defer n.close()
		if n.watcher == nil || strings.Contains(logs.String(), "s3cret") {
			t.Fatalf("watcher %v, logs %q; want a watcher and no secret in the logs", n.watcher, logs.String())
		}
	})
}
