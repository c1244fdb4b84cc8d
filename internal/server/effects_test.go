package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/ringleader-dev/ringleader/coordinator/metrics"

	"github.com/ringleader-dev/ringleader/internal/gitops"
	"github.com/ringleader-dev/ringleader/internal/gitops/gittest"
	"github.com/ringleader-dev/ringleader/internal/ringdtest"
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
	answers := fx.promoter.ReadBaselines(ctx, []rings.BaselineQuery{{App: "checkout", Regions: []string{"us-east-1", "eu-west-1"}}, {App: "nope", Regions: []string{"us-east-1"}}})
	read, readErr := answers[0].Read, answers[0].Err
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
	memAnswer := mem.promoter.ReadBaselines(ctx, []rings.BaselineQuery{{App: "checkout", Regions: []string{"us-east-1"}}})[0]
	memRead, memErr := memAnswer.Read, memAnswer.Err
	cases := []struct {
		name      string
		got, want any
	}{
		{"read", readErr, nil},
		{"an app the topology lacks fails alone", errors.Is(answers[1].Err, gitops.ErrTarget), true},
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
