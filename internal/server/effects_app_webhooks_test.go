package server

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/leader"
	"github.com/ringleader-dev/ringleader/internal/signature"
	"github.com/ringleader-dev/ringleader/regions"
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// appHookReceiver records which path was called and whether its body was
// signed with the secret it expects for that path.
type appHookReceiver struct {
	mu      sync.Mutex
	secrets map[string]string // path → secret
	calls   []string          // "path:verified"
	refuse  map[string]bool   // paths answering 409
}

func (r *appHookReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	ok := signature.VerifyRequest(signature.Secret(r.secrets[req.URL.Path]), req.Header, body, time.Now(), time.Minute) == nil
	r.calls = append(r.calls, req.URL.Path+":"+map[bool]string{true: "signed", false: "BAD SIGNATURE"}[ok])
	if r.refuse[req.URL.Path] {
		w.WriteHeader(http.StatusConflict)
	}
}

func (r *appHookReceiver) take() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := strings.Join(r.calls, " ")
	r.calls = nil
	return s
}

// TestAppWebhooks: an app's own webhooks are called, signed with the
// secret its file in --webhook-secret-dir holds, after ringd's global ones;
// another app gets only the global ones; a refusal of either refuses.
func TestAppWebhooks(t *testing.T) {
	t.Parallel()
	rcv := &appHookReceiver{secrets: map[string]string{"/global-pre": "global-secret", "/pay-pre": "pay-secret", "/pay-soak": "pay-soak-secret", "/pay-post": "pay-secret"},
		refuse: map[string]bool{}}
	srv := httptest.NewServer(rcv)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	write := func(path, s string) {
		if err := os.WriteFile(path, []byte(s+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(dir, "pay"), "pay-secret")
	write(filepath.Join(dir, "pay-soak"), "pay-soak-secret")
	globalSecret := filepath.Join(t.TempDir(), "global")
	write(globalSecret, "global-secret")
	doc := `apiVersion: ringleader.dev/v1alpha1
kind: Topology
metadata: {name: shop}
spec:
  gitops: {repo: https://git.example.com/deploy.git}
  regions: [{name: r1, timezone: UTC}]
  rings: [{name: canary, regions: [r1], soak: 1h}]
  apps:
    - name: payments
      targets: [{file: f.yaml, yamlPath: tag}]
      policy:
        webhooks:
          prePromotion: {url: "` + srv.URL + `/pay-pre", secretFile: pay}
          duringSoak: {url: "` + srv.URL + `/pay-soak", secretFile: pay-soak}
          postRing: {url: "` + srv.URL + `/pay-post", secretFile: pay}
    - {name: docs, targets: [{file: f.yaml, yamlPath: tag}]}
`
	top, err := topology.Parse("t.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	cfg := HealthConfig{WebhookPrePromotion: srv.URL + "/global-pre", WebhookSecretFile: globalSecret, WebhookSecretDir: dir,
		WebhookTimeout: time.Second, BudgetInterval: time.Minute}
	var fx effects
	if err := addHealth(&fx, cfg, func() *topology.Topology { return top }, nil, quietLogger); err != nil {
		t.Fatal(err)
	}
	hooks := &appWebhooks{cfg: cfg, topology: func() *topology.Topology { return top }, logger: quietLogger}
	ctx := context.Background()
	promo := func(app string) rings.Promotion {
		return rings.Promotion{ReleaseID: "rel-" + app, App: app, Ring: "canary", Regions: []string{"r1"}, Version: "v2"}
	}
	query := func(app string) rings.HealthQuery {
		return rings.HealthQuery{ReleaseID: "rel-" + app, App: app, Ring: "canary", Regions: []rings.RegionTarget{{Region: "r1"}}}
	}

	if err := fx.beforePromote(ctx, promo("payments")); err != nil || rcv.take() != "/global-pre:signed /pay-pre:signed" {
		t.Errorf("payments pre-promotion: err %v; want the global then the app's receiver, each signed with its own secret", err)
	}
	if err := fx.beforePromote(ctx, promo("docs")); err != nil || rcv.take() != "/global-pre:signed" {
		t.Errorf("docs pre-promotion: err %v; want the global receiver only", err)
	}
	rcv.mu.Lock()
	rcv.refuse["/pay-pre"] = true
	rcv.mu.Unlock()
	if err := fx.beforePromote(ctx, promo("payments")); err == nil || !strings.Contains(err.Error(), "app payments") || strings.Contains(err.Error(), "pay-secret") {
		t.Errorf("payments refused by its own receiver: err %v; want a refusal naming the app, never the secret", err)
	}
	rcv.take()
	if err := hooks.duringSoak(ctx, query("payments"), time.Now()); err != nil || rcv.take() != "/pay-soak:signed" {
		t.Errorf("payments during-soak: err %v", err)
	}
	if err := hooks.duringSoak(ctx, query("docs"), time.Now()); !errors.Is(err, regions.ErrNoDuringSoak) || rcv.take() != "" {
		t.Errorf("docs during-soak with no receiver: err %v; want ErrNoDuringSoak and no call", err)
	}
	hooks.afterRing(ctx, leader.RingDone{ReleaseID: "rel-payments", App: "payments", Version: "v2", Ring: "canary", Regions: []string{"r1"}})
	if got := rcv.take(); got != "/pay-post:signed" {
		t.Errorf("payments post-ring: calls %q", got)
	}

	noDir := &appWebhooks{cfg: HealthConfig{WebhookTimeout: time.Second}, topology: func() *topology.Topology { return top }, logger: quietLogger}
	if err := noDir.beforePromote(ctx, promo("payments")); !errors.Is(err, errNoSecretDir) || rcv.take() != "" {
		t.Errorf("no --webhook-secret-dir: err %v; want the gate closed without a call", err)
	}
	var buf strings.Builder
	bad := HealthConfig{WebhookSecretDir: filepath.Join(dir, "missing"), BudgetInterval: time.Minute}
	for _, e := range bad.validate() {
		buf.WriteString(e.Error())
	}
	if !strings.Contains(buf.String(), "--webhook-secret-dir") {
		t.Errorf("a missing --webhook-secret-dir validates: %q", buf.String())
	}
}
