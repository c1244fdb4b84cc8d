package main

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"net"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/coordinator/httpapi"
	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/internal/certtest"
	"github.com/ringleader-dev/ringleader/internal/poll"
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/planner"
)

// onlineServer is a real single-node cluster with its API, the example
// topology adopted.
func onlineServer(t *testing.T) string {
	t.Helper()
	url := singleNode(t, httpapi.SecurityConfig{}, nil)
	src, err := os.ReadFile(exampleTopology)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := apiclient.NewClient(url, "").AdoptTopology(t.Context(), src, "rings.yaml"); err != nil {
		t.Fatal(err)
	}
	return url
}

// singleNode is a real single-node cluster serving its API with security
// on 127.0.0.1 (HTTPS with a certificate from ca when ca is set), led by
// the time it returns its URL.
func singleNode(t *testing.T, security httpapi.SecurityConfig, ca *certtest.CA) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	n, err := store.NewNode(store.Config{
		NodeID: "n1", DataDir: t.TempDir(), RaftAddr: "127.0.0.1:0", HTTPAddr: ln.Addr().String(),
		Bootstrap: true, Logger: hclog.NewNullLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Shutdown() })
	api, err := httpapi.NewAPI(httpapi.APIConfig{Store: n, Security: security})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(api)
	srv.Listener.Close()
	srv.Listener = ln
	if ca != nil {
		leaf := ca.Issue(t, "ringd")
		srv.TLS = &tls.Config{Certificates: []tls.Certificate{leaf.TLS}}
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	poll.Until(t, 20*time.Second, "the single node to lead", n.IsLeader)
	return srv.URL
}

// ringctl runs the CLI with args and returns stdout and the error.
func ringctl(t *testing.T, server string, args ...string) (string, error) {
	t.Helper()
	root := newRoot()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(append([]string{"--server", server}, args...))
	err := root.Execute()
	return out.String(), err
}

func TestOnlineCommandsAgainstARealNode(t *testing.T) {
	server := onlineServer(t)
	t.Setenv("RINGLEADER_ACTOR", "erin")

	out, err := ringctl(t, server, "release", "create", "--app", "checkout", "--version", "v1.4.2", "-o", "json")
	var rel apiclient.ReleaseDetail
	if err != nil || json.Unmarshal([]byte(out), &rel) != nil || !regexp.MustCompile(`^checkout-v1\.4\.2-[0-9a-f]{6}$`).MatchString(rel.ID) || rel.CreatedBy != "erin" {
		t.Fatalf("release create: %v\n%s", err, out)
	}
	steps := []struct {
		name string
		args []string
		want []string // substrings of the output
	}{
		{"list", []string{"release", "list"}, []string{"ID", rel.ID, "checkout", "v1.4.2"}},
		{"show", []string{"release", "show", rel.ID}, []string{"Release:   " + rel.ID, "canary", "us-east-1"}},
		{"show yaml", []string{"release", "show", rel.ID, "-o", "yaml"}, []string{"id: " + rel.ID, "rings:"}},
		{"approve", []string{"release", "approve", rel.ID, "--ring", "early", "--reason", "ok"}, []string{"approved by erin"}},
		{"halt", []string{"halt", "--app", "checkout", "--region", "eu-west-1", "--region", "us-west-2", "--reason", "pager"}, []string{"placed: app=checkout region=eu-west-1,us-west-2"}},
		{"status", []string{"status"}, []string{"Leader:    n1", "MEMBERS", "HALTS", "app=checkout", rel.ID}},
		{"members", []string{"cluster", "members"}, []string{"n1", "true", "*"}},
		{"abort", []string{"release", "abort", rel.ID, "--reason", "bad build"}, []string{"State:     aborted"}},
	}
	for _, s := range steps {
		out, err := ringctl(t, server, s.args...)
		for _, w := range s.want {
			if err != nil || !strings.Contains(out, w) {
				t.Fatalf("%s: err %v, output lacks %q:\n%s", s.name, err, w, out)
			}
		}
	}
}

func TestOnlineCommandErrors(t *testing.T) {
	t.Parallel()
	server := onlineServer(t)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown release", []string{"release", "show", "nope"}, "not found"},
		{"abort needs a reason", []string{"release", "abort", "x"}, "--reason is required"},
		{"halt needs a scope", []string{"halt", "--reason", "x"}, "name a scope"},
		{"unknown halt", []string{"resume", "halt-nope", "--reason", "x"}, "not found"},
		{"unknown app", []string{"release", "create", "--app", "nope", "--version", "v1"}, "not in topology"},
		{"bad start time", []string{"release", "create", "--app", "checkout", "--version", "v1", "--start-at", "soon"}, "RFC 3339"},
		{"unreachable server", []string{"--server", "http://127.0.0.1:1", "status"}, "is ringd running there"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ringctl(t, server, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v; want one containing %q", err, tc.want)
			}
		})
	}
}

func TestStatusTableGolden(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	st := &apiclient.Status{
		Leader:           apiclient.LeaderInfo{ID: "n2", HTTPAddr: "10.0.0.2:7070", Term: 4},
		Members:          []apiclient.Member{{ID: "n1", RaftAddr: "10.0.0.1:7000", HTTPAddr: "10.0.0.1:7070", Voter: true}, {ID: "n2", RaftAddr: "10.0.0.2:7000", HTTPAddr: "10.0.0.2:7070", Voter: true, Leader: true}},
		TopologyRevision: "6cb585cab8b7",
		TopologyRejected: &command.TopologyRejection{Revision: "9f00d1e2c3b4", Path: "rings.yaml", At: now.Add(-2 * time.Minute),
			Errors: []string{"rings.yaml:12:18: unknown region \"eu-west-9\" in ring early"}},
		AppliedIndex: 42,
		Budgets: map[string]rings.Budget{
			"ledger/us-east-1":   {App: "ledger", Region: "us-east-1", RemainingPercent: 12.5, RemainingSeconds: 324, At: now.Add(-time.Minute)},
			"checkout/eu-west-1": {App: "checkout", Region: "eu-west-1", RemainingPercent: 80, RemainingSeconds: 2073.6, At: now.Add(-30 * time.Second)},
			"checkout/us-east-1": {App: "checkout", Region: "us-east-1", RemainingPercent: 100, RemainingSeconds: 2592, At: now.Add(-time.Minute)},
		},
		Halts: []rings.Halt{{ID: "halt-1a2b3c4d", Scope: rings.HaltScope{Apps: []string{"checkout"}, Regions: []string{"eu-west-1"}}, Author: "carol", Reason: "pager 123", CreatedAt: now.Add(-10 * time.Minute)}},
		Releases: []apiclient.ReleaseSummary{{
			ID: "checkout-v1.4.2-abcdef", App: "checkout", Version: "v1.4.2", State: rings.ReleaseRunning,
			Rings: []apiclient.RingSummary{{Name: "canary", State: rings.RingSoaking}, {Name: "early", State: rings.RingPending}},
			Waits: []planner.Wait{{ReleaseID: "checkout-v1.4.2-abcdef", Ring: "canary", Reason: planner.WaitSoak, Until: now.Add(3 * time.Hour)}},
		}},
	}
	var b bytes.Buffer
	if err := writeStatus(&b, st, now); err != nil {
		t.Fatal(err)
	}
	compareGolden(t, "status.golden", b.Bytes())
}
