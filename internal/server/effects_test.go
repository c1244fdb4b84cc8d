package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
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

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/ringleader-dev/ringleader/coordinator/metrics"

	"github.com/ringleader-dev/ringleader/coordinator/leader"
	"github.com/ringleader-dev/ringleader/internal/gitops"
	"github.com/ringleader-dev/ringleader/internal/gitops/gittest"
	"github.com/ringleader-dev/ringleader/internal/ringdtest"
	"github.com/ringleader-dev/ringleader/internal/signature"
	"github.com/ringleader-dev/ringleader/regions/webhook"
	"github.com/ringleader-dev/ringleader/rings"
	ringtopology "github.com/ringleader-dev/ringleader/rings/topology"
)

var quietLogger = slog.New(slog.NewTextHandler(io.Discard, nil))

// effectsRepo serves a GitOps repository for gitTopology and returns the
// parsed topology.
func effectsRepo(t *testing.T) (*gittest.Server, *ringtopology.Topology) {
	t.Helper()
	srv := gittest.Start(t)
	url := srv.URL("deploy")
	src := ringdtest.GitTopology(url, "1s")
	top, err := ringtopology.Parse("rings.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	srv.NewRepo(t, "deploy", map[string]string{
		"rings.yaml":                          src,
		"apps/checkout/us-east-1/values.yaml": "image:\n  tag: v1\n",
		"apps/checkout/eu-west-1/values.yaml": "image:\n  tag: v1\n",
	})
	return srv, top
}

// pushOutcomes reads ringleader_gitops_push_duration_seconds counts by
// outcome and the retries counter.
func pushOutcomes(t *testing.T, reg *prometheus.Registry) (map[string]uint64, float64) {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out, retries := map[string]uint64{}, 0.0
	for _, f := range fams {
		for _, m := range f.GetMetric() {
			switch f.GetName() {
			case "ringleader_gitops_push_duration_seconds":
				out[label(m, "outcome")] = m.GetHistogram().GetSampleCount()
			case "ringleader_gitops_push_retries_total":
				retries = m.GetCounter().GetValue()
			}
		}
	}
	return out, retries
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// The Git promoter lands promotions with their soak evidence, counts its
// real attempts, maps the fence to ErrFenced, and lets rollbacks through a
// halt.
func TestGitEffectsPromoteFenceAndRollBack(t *testing.T) {
	t.Parallel()
	srv, top := effectsRepo(t)
	reg := prometheus.NewRegistry()
	rec, err := metrics.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	topology := func() *ringtopology.Topology { return top }
	cfg := EffectsConfig{Mode: EffectsGit, GitOpsDir: filepath.Join(t.TempDir(), "gitops"), GitAuthorName: "Ringleader", GitAuthorEmail: "rl@example.com", GitBackoff: time.Millisecond}
	fx, err := newGitEffects(cfg, topology, rec, quietLogger)
	if err != nil {
		t.Fatal(err)
	}
	// Another node's writer, to move the branch under this one.
	other, err := gitops.New(gitops.Config{URL: srv.URL("deploy"), Dir: filepath.Join(t.TempDir(), "other")}, topology)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	soakedAt := time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)
	moved := false
	p := rings.Promotion{ReleaseID: "rel-1", App: "checkout", Ring: "early", Regions: []string{"eu-west-1"}, Version: "v2",
		PromotionID: "rel-1/early/eu-west-1", PreviousRing: "canary", PreviousRingSoakedAt: soakedAt,
		Check: func(ctx context.Context) error {
			if !moved {
				moved = true
				_, err := other.Promote(ctx, rings.Promotion{ReleaseID: "rel-0", App: "checkout", Ring: "canary", Regions: []string{"us-east-1"}, Version: "v2", PromotionID: "rel-0/canary"})
				return err
			}
			return nil
		}}
	landed, landErr := fx.promoter.Promote(ctx, p)

	halt := rings.Halt{ID: "halt-auto-rel-1-early", Scope: rings.HaltScope{Regions: []string{"eu-west-1"}}, Author: "ringleader", Reason: "early failed", Auto: true, CreatedAt: soakedAt}
	fenceErr := fx.fence.WriteHalts(ctx, []rings.Halt{halt})
	p2 := p
	p2.ReleaseID, p2.PromotionID, p2.Version, p2.Check, p2.PreviousRing = "rel-2", "rel-2/early/eu-west-1", "v3", nil, ""
	_, fencedErr := fx.promoter.Promote(ctx, p2)
	back := rings.Promotion{ReleaseID: "rel-1", App: "checkout", Ring: "early", Regions: []string{"eu-west-1"}, Version: "v1",
		PromotionID: "rel-1/early/eu-west-1/rollback", Rollback: true, Check: func(context.Context) error { return nil }}
	rolled, rollErr := fx.promoter.Promote(ctx, back)

	outcomes, retries := pushOutcomes(t, reg)
	head := srv.Head(t, "deploy")
	cases := []struct {
		name      string
		got, want any
	}{
		{"promotion lands", landErr, nil},
		{"soak trailer", srv.Git(t, "deploy", "log", "-1", "--format=%(trailers:key=Ringleader-Soaked-Ring,valueonly)", landed.Commit), "canary@2026-11-26T01:00:00Z"},
		{"fence written", fenceErr, nil},
		{"fenced promotion is ErrFenced", errors.Is(fencedErr, rings.ErrFenced), true},
		{"and still ErrHalted", errors.Is(fencedErr, gitops.ErrHalted), true},
		{"rollback under the halt lands", rollErr, nil},
		{"rollback is the head", rolled.Commit, head},
		{"rollback wrote v1", srv.Show(t, "deploy", head, "apps/checkout/eu-west-1/values.yaml"), "image:\n  tag: v1\n"},
		{"landed pushes", outcomes[metrics.PushLanded], uint64(2)},
		{"fenced pushes", outcomes[metrics.PushFenced], uint64(1)},
		{"retries are the writer's real extra attempts", retries, 1.0},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
	// IsAncestor through the writers, for Argo CD's "synced at a later commit".
	ok, err := fx.writers.IsAncestor(ctx, landed.Commit, head)
	if err != nil || !ok {
		t.Errorf("IsAncestor(promotion, head) = %v, %v; want true", ok, err)
	}
}

func TestGitEffectsNeedARepository(t *testing.T) {
	t.Parallel()
	fx, err := newGitEffects(EffectsConfig{GitOpsDir: t.TempDir()}, func() *ringtopology.Topology { return nil }, nil, quietLogger)
	if err != nil {
		t.Fatal(err)
	}
	_, perr := fx.promoter.Promote(context.Background(), rings.Promotion{PromotionID: "p"})
	if !errors.Is(perr, errNoRepository) || errors.Is(perr, rings.ErrFenced) {
		t.Errorf("promote without a repository: %v; want errNoRepository, not fenced", perr)
	}
}

// The region health source answers the loop's query as is; with no Argo CD token a
// region with an argocd source fails closed, a region without sources
// advances.
func TestHealthSourceFailsClosedWithoutArgoCD(t *testing.T) {
	t.Parallel()
	src := strings.Replace(ringdtest.GitTopology("https://git.example.com/deploy.git", "1s"),
		"- {name: us-east-1, timezone: UTC}", `- {name: us-east-1, timezone: UTC, argocd: {server: "https://argocd.example.com", application: "{{app}}-{{region}}"}}`, 1)
	top, err := ringtopology.Parse("rings.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var fx effects
	if err := addHealth(&fx, HealthConfig{BudgetInterval: time.Minute}, func() *ringtopology.Topology { return top }, nil, quietLogger); err != nil {
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
		{"no webhook hooks without URLs", fx.beforePromote == nil && fx.afterRing == nil, true},
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
	if err := addHealth(&fx, cfg, func() *ringtopology.Topology { return nil }, nil, quietLogger); err != nil {
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

func (f fakeMeter) Budgets(_ context.Context, _ *ringtopology.Topology, app string, _ time.Duration, _ time.Time) ([]rings.Budget, error) {
	if app == "broken" {
		return nil, errors.New("prometheus unreachable")
	}
	return f[app], nil
}

// TestBudgetSourceKeepsEveryApp: one figure per app and region, no app
// deciding for another; an app that fails is reported and records nothing.
func TestBudgetSourceKeepsEveryApp(t *testing.T) {
	t.Parallel()
	top := &ringtopology.Topology{Spec: ringtopology.TopologySpec{Apps: []ringtopology.App{{Name: "checkout"}, {Name: "cart"}, {Name: "broken"}}}}
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

func TestIsGitTopology(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		want bool
	}{
		{"testdata/topology.yaml", false},
		{"https://git.example.com/deploy.git#rings.yaml", true},
		{"git://127.0.0.1:9418/deploy.git#deploy/rings.yaml", true},
		{"git@github.com:acme/deploy.git#rings.yaml", true},
		{"dir#with-hash/rings.yaml", false},
	}
	for _, c := range cases {
		if got := isGitTopology(c.in); got != c.want {
			t.Errorf("isGitTopology(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}

// The Git effects read what every region runs now from the branch (the
// release's baseline) and pass a rollback's per-target values to the
// writer; memory mode reads its in-memory branch.
func TestEffectsReadTheBaseline(t *testing.T) {
	t.Parallel()
	srv, top := effectsRepo(t)
	cfg := EffectsConfig{Mode: EffectsGit, GitOpsDir: filepath.Join(t.TempDir(), "gitops"), GitAuthorName: "Ringleader", GitAuthorEmail: "rl@example.com", GitBackoff: time.Millisecond}
	fx, err := newGitEffects(cfg, func() *ringtopology.Topology { return top }, nil, quietLogger)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	read, readErr := fx.promoter.ReadBaseline(ctx, "checkout", []string{"us-east-1", "eu-west-1"})
	east, head := read.Targets["us-east-1"], srv.Head(t, "deploy")
	p := rings.Promotion{ReleaseID: "rel-1", App: "checkout", Ring: "canary", Regions: []string{"us-east-1"}, Version: "v2", PromotionID: "rel-1/canary/us-east-1"}
	_, promoteErr := fx.promoter.Promote(ctx, p)
	back := rings.Promotion{ReleaseID: "rel-1", App: "checkout", Ring: "canary", Regions: []string{"us-east-1"}, Version: "mixed",
		PromotionID: "rel-1/canary/us-east-1/rollback", Rollback: true, Targets: east}
	rolled, rollErr := fx.promoter.Promote(ctx, back)

	mem, err := newEffectsFor(EffectsConfig{Mode: EffectsMemory}, func() *ringtopology.Topology { return top }, nil, quietLogger)
	if err != nil {
		t.Fatal(err)
	}
	memRead, memErr := mem.promoter.ReadBaseline(ctx, "checkout", []string{"us-east-1"})
	cases := []struct {
		name      string
		got, want any
	}{
		{"read", readErr, nil},
		{"from the head", read.Commit, head},
		{"us-east-1 target", len(east) == 1 && east[0] == rings.TargetValue{File: "apps/checkout/us-east-1/values.yaml", Target: "yamlPath image.tag", Value: "v1"}, true},
		{"promoted", promoteErr, nil},
		{"per-target rollback lands", rollErr, nil},
		{"and writes the value read", srv.Show(t, "deploy", rolled.Commit, "apps/checkout/us-east-1/values.yaml"), "image:\n  tag: v1\n"},
		{"memory mode reads its branch", memErr, nil},
		{"through the promoter's wrapper", memRead.Commit, "mem-0"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

// The Git promoter tells the loop which failures need a person
// (rings.ErrNeedsHuman, text naming file and path) and which can pass.
func TestGitEffectsMapPermanentErrorsToNeedsHuman(t *testing.T) {
	t.Parallel()
	srv, top := effectsRepo(t)
	bad := *top
	bad.Spec.Apps = []ringtopology.App{{Name: "checkout", Targets: []ringtopology.Target{{File: "apps/checkout/{{region}}/values.yaml", YAMLPath: "image.digest"}}}}
	promote := func(top *ringtopology.Topology, url string) (error, map[string]uint64) {
		t.Helper()
		reg := prometheus.NewRegistry()
		metrics, err := metrics.NewMetrics(reg)
		if err != nil {
			t.Fatal(err)
		}
		cfg := EffectsConfig{Mode: EffectsGit, GitOpsDir: filepath.Join(t.TempDir(), "gitops"), GitOpsURL: url, GitBackoff: time.Millisecond}
		fx, err := newGitEffects(cfg, func() *ringtopology.Topology { return top }, metrics, quietLogger)
		if err != nil {
			t.Fatal(err)
		}
		_, err = fx.promoter.Promote(context.Background(), rings.Promotion{ReleaseID: "rel-1", App: "checkout", Ring: "canary",
			Regions: []string{"us-east-1"}, Version: "v2", PromotionID: "rel-1/canary/us-east-1", Check: func(context.Context) error { return nil }})
		outcomes, _ := pushOutcomes(t, reg)
		return err, outcomes
	}

	err, outcomes := promote(&bad, "")
	if !errors.Is(err, rings.ErrNeedsHuman) || !strings.Contains(err.Error(), "apps/checkout/us-east-1/values.yaml") || !strings.Contains(err.Error(), "image.digest") {
		t.Errorf("missing key: %v; want ErrNeedsHuman naming the file and the path", err)
	}
	if outcomes[metrics.PushNeedsHuman] != 1 {
		t.Errorf("push outcomes %v; want one needs-human", outcomes)
	}

	// A server that hangs up on every connection: the push cannot reach
	// Git, which may work on the next attempt.
	l, lerr := net.Listen("tcp", "127.0.0.1:0")
	if lerr != nil {
		t.Fatal(lerr)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	closed := "git://" + l.Addr().String() + "/deploy"
	if err, _ := promote(top, closed); err == nil || errors.Is(err, rings.ErrNeedsHuman) || errors.Is(err, rings.ErrFenced) {
		t.Errorf("server hangs up: %v; want a transient error", err)
	}

	hook := filepath.Join(srv.Path("deploy"), "hooks", "pre-receive")
	if err := os.WriteFile(hook, []byte("#!/bin/sh\necho 'main is protected' >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err, _ := promote(top, ""); !errors.Is(err, rings.ErrNeedsHuman) || !strings.Contains(err.Error(), "main is protected") {
		t.Errorf("push declined by a hook: %v; want ErrNeedsHuman with the hook's message", err)
	}
}
