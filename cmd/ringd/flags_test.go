package main

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/internal/server"
)

// Every command line either parses into the configuration it says or is
// refused with an error naming the flag.
func TestParseFlags(t *testing.T) {
	t.Parallel()
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := []string{"--node-id", "n1", "--data-dir", "/var/lib/ringd", "--insecure-no-auth"}
	boot := []string{"--insecure-no-auth", "--data-dir", "/d", "--bootstrap-id", "ringd-0", "--join", "http://ringd:7070"}
	cases := []struct {
		name  string
		args  []string
		want  string               // error substring; "" means accepted
		check func(o options) bool // on an accepted line
	}{
		{"defaults", base, "", func(o options) bool {
			return o.Effects.Mode == server.EffectsGit && o.Effects.GitOpsDir == "/var/lib/ringd/gitops" &&
				o.TopologyInterval == 30*time.Second && o.addrFile == "/var/lib/ringd/addr.json"
		}},
		{"addr file", append(slices.Clone(base), "--addr-file", "/run/ringd.json"), "", func(o options) bool { return o.addrFile == "/run/ringd.json" }},
		{"no node id", []string{"--data-dir", "x"}, "--node-id is required", nil},
		{"bootstrap and join", append(slices.Clone(base), "--bootstrap", "--join", "http://h:1"), "exclude each other", nil},
		{"bad raft addr", append(slices.Clone(base), "--raft-addr", "nope"), "--raft-addr", nil},
		{"memory effects", append(slices.Clone(base), "--effects", "memory"), "", func(o options) bool { return o.Effects.Mode == server.EffectsMemory }},
		{"unknown effects", append(slices.Clone(base), "--effects", "disk"), `--effects "disk"`, nil},
		{"gate webhook without secret", append(slices.Clone(base), "--webhook-pre-promotion", "https://hooks.example.com/pre"), "--webhook-secret-file", nil},
		{"too many webhook retries", append(slices.Clone(base), "--webhook-retries", "99"), "--webhook-retries", nil},
		{"https and ssh", append(slices.Clone(base), "--git-password-file", "a", "--git-ssh-key-file", "b"), "exclude each other", nil},
		{"bad topology interval", append(slices.Clone(base), "--topology-interval", "0s"), "--topology-interval", nil},
		{"notifications off by default", base, "", func(o options) bool { return o.Notify.SlackURL == "" && o.Notify.WebhookURL == "" }},
		{"slack only", append(slices.Clone(base), "--notify-slack-url", "https://hooks.example.com/x"), "", nil},
		{"notify webhook with secret", append(slices.Clone(base), "--notify-webhook-url", "https://example.com/hook", "--notify-webhook-secret-file", secret), "", nil},
		{"notify webhook without secret", append(slices.Clone(base), "--notify-webhook-url", "https://example.com/hook"), "needs --notify-webhook-secret-file", nil},
		{"notify secret without webhook", append(slices.Clone(base), "--notify-webhook-secret-file", secret), "--notify-webhook-url is not", nil},
		{"the bootstrap id node bootstraps", append([]string{"--node-id", "ringd-0"}, boot...), "", func(o options) bool { return o.Bootstrap && o.Join == "" }},
		{"every other node joins", append([]string{"--node-id", "ringd-2"}, boot...), "", func(o options) bool { return !o.Bootstrap && o.Join == "http://ringd:7070" }},
		{"other nodes need --join", []string{"--node-id", "ringd-1", "--data-dir", "/d", "--bootstrap-id", "ringd-0", "--insecure-no-auth"}, "--bootstrap-id needs --join", nil},
		{"not with --bootstrap", append([]string{"--node-id", "ringd-0", "--bootstrap"}, boot...), "replaces --bootstrap", nil},
		{"no arguments", append(slices.Clone(base), "extra"), "ringd takes flags only", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			o, err := parseFlags(c.args, io.Discard)
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("parseFlags(%q): %v", c.args, err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("parseFlags(%q) = %v; want an error containing %q", c.args, err, c.want)
			case c.want == "" && c.check != nil && !c.check(o):
				t.Fatalf("parseFlags(%q) = %+v; not what the flags say", c.args, o)
			}
		})
	}
}
