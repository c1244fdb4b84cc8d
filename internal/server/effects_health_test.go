package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/leader"
	"github.com/ringleader-dev/ringleader/internal/ringdtest"
	"github.com/ringleader-dev/ringleader/internal/signature"
	"github.com/ringleader-dev/ringleader/regions/argocd/argocdtest"
	"github.com/ringleader-dev/ringleader/regions/webhook"
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// sameCommit answers ancestry for a history of one commit.
type sameCommit struct{}

func (sameCommit) IsAncestor(context.Context, string, string) (bool, error) { return false, nil }

// TestHealthAdapterCarriesInProgress: an Argo Rollouts canary paused
// between steps (a real v1alpha1 Application with Suspended health, served
// over HTTP) reaches the coordinator as a region in progress, not as a
// plain unhealthy one; a Degraded Application does not.
func TestHealthAdapterCarriesInProgress(t *testing.T) {
	t.Parallel()
	const token = "argocd-test-token-0123456789"
	commit := strings.Repeat("ab", 20)
	srv := argocdtest.StartHTTPTest(token)
	t.Cleanup(srv.Close)
	srv.Set("checkout-us-east-1", argocdtest.State{Sync: argocdtest.SyncSynced, Revision: commit,
		Health: argocdtest.HealthSuspended, HealthMessage: "Rollout is paused", Operation: argocdtest.OperationSucceeded})
	srv.Set("checkout-eu-west-1", argocdtest.State{Sync: argocdtest.SyncSynced, Revision: commit,
		Health: argocdtest.HealthDegraded, HealthMessage: "Rollout aborted", Operation: argocdtest.OperationSucceeded})
	tokenFile := filepath.Join(t.TempDir(), "argocd-token")
	if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	src := ringdtest.GitTopology("https://git.example.com/deploy.git", "1h")
	for _, region := range []string{"us-east-1", "eu-west-1"} {
		src = strings.Replace(src, "- {name: "+region+", timezone: UTC}",
			`- {name: `+region+`, timezone: UTC, argocd: {server: "`+srv.URL()+`", application: "{{app}}-{{region}}"}}`, 1)
	}
	top, err := topology.Parse("rings.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var fx effects
	cfg := HealthConfig{ArgoCDTokenFile: tokenFile, ArgoCDTimeout: 5 * time.Second, BudgetInterval: time.Minute}
	if err := addHealth(&fx, cfg, func() *topology.Topology { return top }, sameCommit{}, quietLogger); err != nil {
		t.Fatal(err)
	}
	got, err := fx.health.Observe(context.Background(), rings.HealthQuery{ReleaseID: "r", App: "checkout", Version: "v2", Ring: "canary",
		Regions: []rings.RegionTarget{{Region: "us-east-1", Commit: commit}, {Region: "eu-west-1", Commit: commit}}})
	if err != nil {
		t.Fatal(err)
	}
	want := []rings.RegionHealth{
		{Region: "us-east-1", Synced: true, Reason: "Suspended: Rollout is paused", InProgress: true},
		{Region: "eu-west-1", Synced: true, Reason: "Degraded at " + commit[:12] + ": Rollout aborted"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v; want %+v", got, want)
	}
	for i := range want {
		g := got[i]
		if g.Region != want[i].Region || g.Synced != want[i].Synced || g.Healthy != want[i].Healthy || g.Reason != want[i].Reason || g.InProgress != want[i].InProgress {
			t.Errorf("region %d: got %+v; want %+v", i, g, want[i])
		}
	}
}

// The region health source answers the loop's query as is; with no Argo CD token a
// region with an argocd source fails closed, a region without sources
// advances.
func TestHealthSourceFailsClosedWithoutArgoCD(t *testing.T) {
	t.Parallel()
	src := strings.Replace(ringdtest.GitTopology("https://git.example.com/deploy.git", "1s"),
		"- {name: us-east-1, timezone: UTC}", `- {name: us-east-1, timezone: UTC, argocd: {server: "https://argocd.example.com", application: "{{app}}-{{region}}"}}`, 1)
	top, err := topology.Parse("rings.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var fx effects
	if err := addHealth(&fx, HealthConfig{BudgetInterval: time.Minute}, func() *topology.Topology { return top }, nil, quietLogger); err != nil {
		t.Fatal(err)
	}
	got, err := fx.health.Observe(context.Background(), rings.HealthQuery{ReleaseID: "r", App: "checkout", Version: "v2", Ring: "canary",
		Regions: []rings.RegionTarget{{Region: "us-east-1", Commit: "abc"}, {Region: "eu-west-1", Commit: "abc"}}})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name      string
		got, want any
	}{
		{"two answers in order", len(got) == 2 && got[0].Region == "us-east-1" && got[1].Region == "eu-west-1", true},
		{"argocd region not synced", got[0].Synced || got[0].Healthy, false},
		{"reason says no sync source", strings.Contains(got[0].Reason, "no sync source"), true},
		{"region without sources advances", got[1].Synced && got[1].Healthy, true},
		// The hooks are wired for the apps' own webhooks; with no URL
		// anywhere they let every promotion through and call nobody.
		{"no webhook gate without URLs", fx.beforePromote(context.Background(), rings.Promotion{App: "checkout", Ring: "canary"}), nil},
		{"budgets wired", fx.budgets != nil && fx.budgetInterval == time.Minute, true},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

// receiver records signed webhook calls and answers with the next status.
type receiver struct {
	mu       sync.Mutex
	statuses []int
	got      []webhook.Payload
	signed   []bool
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	var p webhook.Payload
	_ = json.NewDecoder(req.Body).Decode(&p)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, p)
	r.signed = append(r.signed, req.Header.Get(signature.HeaderSignature) != "")
	code := http.StatusOK
	if len(r.statuses) > 0 {
		code, r.statuses = r.statuses[0], r.statuses[1:]
	}
	w.WriteHeader(code)
	_, _ = io.WriteString(w, "change freeze")
}

func TestWebhookHooks(t *testing.T) {
	t.Parallel()
	rcv := &receiver{statuses: []int{http.StatusConflict}}
	srv := httptest.NewServer(rcv)
	t.Cleanup(srv.Close)
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("s3cret-s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := HealthConfig{WebhookPrePromotion: srv.URL + "/pre", WebhookPostRing: srv.URL + "/post", WebhookSecretFile: secret,
		WebhookTimeout: time.Second, BudgetInterval: time.Minute}
	var fx effects
	if err := addHealth(&fx, cfg, func() *topology.Topology { return nil }, nil, quietLogger); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p := rings.Promotion{ReleaseID: "rel-1", App: "checkout", Ring: "early", Regions: []string{"eu-west-1"}, Version: "v2"}
	refused := fx.beforePromote(ctx, p)
	allowed := fx.beforePromote(ctx, p)
	fx.afterRing(ctx, leader.RingDone{ReleaseID: "rel-1", App: "checkout", Version: "v2", Ring: "early", Regions: []string{"eu-west-1"}})
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	var events []string
	for _, g := range rcv.got {
		events = append(events, string(g.Event)+":"+g.Ring+":"+strings.Join(g.Regions, ","))
	}
	cases := []struct {
		name      string
		got, want any
	}{
		{"409 refuses", errors.Is(refused, webhook.ErrRefused), true},
		{"refusal carries the answer", refused != nil && strings.Contains(refused.Error(), "change freeze"), true},
		{"2xx allows", allowed, nil},
		{"calls", strings.Join(events, " "), "pre-promotion:early:eu-west-1 pre-promotion:early:eu-west-1 post-ring:early:eu-west-1"},
		{"every call signed", !slices.Contains(rcv.signed, false), true},
		{"secret not in the error", refused != nil && strings.Contains(refused.Error(), "s3cret"), false},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

// fakeMeter returns fixed budgets per app.
type fakeMeter map[string][]rings.Budget

func (f fakeMeter) Budgets(_ context.Context, _ *topology.Topology, app string, _ time.Duration, _ time.Time) ([]rings.Budget, error) {
	if app == "broken" {
		return nil, errors.New("prometheus unreachable")
	}
	return f[app], nil
}

// TestBudgetSourceKeepsEveryApp: one figure per app and region, no app
// deciding for another; an app that fails is reported and records nothing.
func TestBudgetSourceKeepsEveryApp(t *testing.T) {
	t.Parallel()
	top := &topology.Topology{Spec: topology.TopologySpec{Apps: []topology.App{{Name: "checkout"}, {Name: "cart"}, {Name: "broken"}}}}
	src := budgetSource(fakeMeter{
		"checkout": {{Region: "us-east-1", RemainingPercent: 80}, {Region: "eu-west-1", RemainingPercent: 20}},
		"cart":     {{Region: "us-east-1", RemainingPercent: 40}, {Region: "eu-west-1", RemainingPercent: 90}},
	})
	got, err := src.Budgets(context.Background(), top, time.Now())
	var figures []string
	for _, b := range got {
		figures = append(figures, b.Key()+":"+ftoa(b.RemainingPercent))
	}
	cases := []struct {
		name      string
		got, want any
	}{
		{"one figure per app and region", strings.Join(figures, " "), "checkout/us-east-1:80 checkout/eu-west-1:20 cart/us-east-1:40 cart/eu-west-1:90"},
		{"broken app reported", err != nil && strings.Contains(err.Error(), "app broken"), true},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
