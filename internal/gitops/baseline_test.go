package gitops_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/internal/gitops"
	"github.com/ringleader-dev/ringleader/internal/gitops/appset"
	"github.com/ringleader-dev/ringleader/rings"
)

// baselineFiles is a repository where the regions differ: eu-west-1 runs
// v1.4.1 everywhere, us-east-1 v1.4.0 everywhere, us-west-2's kustomization
// was left on v1.3.9 (its targets disagree) and has no cart yet.
func baselineFiles(t *testing.T) map[string]string {
	files := seedFiles(t)
	kust := func(tag string) string {
		return strings.Replace(files["envs/eu-west-1/checkout/kustomization.yaml"],
			"    newName: registry.internal/acme/checkout", "    newName: registry.internal/acme/checkout\n    newTag: "+tag, 1)
	}
	files["envs/eu-west-1/checkout/kustomization.yaml"] = kust("v1.4.1")
	files["envs/us-east-1/checkout/kustomization.yaml"] = kust("v1.4.0")
	files["envs/us-west-2/checkout/kustomization.yaml"] = kust("v1.3.9")
	files["envs/us-east-1/checkout/values.yaml"] = strings.Replace(files["envs/us-east-1/checkout/values.yaml"], "tag: v1.4.1", "tag: v1.4.0", 1)
	files["appsets/checkout.yaml"] = strings.Replace(files["appsets/checkout.yaml"], `targetRevision: "v1.4.1"   # quoted`, `targetRevision: "v1.4.0"   # quoted`, 1)
	delete(files, "envs/us-west-2/cart/values.yaml")
	return files
}

func baselineEnv(t *testing.T) (*env, *gitops.Writer) {
	t.Helper()
	e := newEnv(t)
	e.name = "baseline"
	e.url = e.srv.NewRepo(t, e.name, baselineFiles(t))
	return e, e.writer(t)
}

func summaries(b rings.BaselineRead) map[string]rings.RegionBaseline {
	out := map[string]rings.RegionBaseline{}
	for region, targets := range b.Targets {
		out[region] = rings.SummarizeBaseline(region, targets)
	}
	return out
}

// ReadBaseline reads every target of every region from the branch head,
// without writing: regions differ, a region's targets may disagree, and a
// file or field that does not exist is absent.
func TestReadBaselineFromTheBranch(t *testing.T) {
	t.Parallel()
	e, w := baselineEnv(t)
	ctx := context.Background()
	head := e.head(t)
	all := []string{"eu-west-1", "us-east-1", "us-west-2"}
	checkout, err := w.ReadBaseline(ctx, "checkout", all)
	if err != nil {
		t.Fatal(err)
	}
	cart, err := w.ReadBaseline(ctx, "cart", all)
	if err != nil {
		t.Fatal(err)
	}
	nofield, err := w.ReadBaseline(ctx, "nofield", []string{"eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	co, ca := summaries(checkout), summaries(cart)
	west := co["us-west-2"].Targets
	expect(t, []check{
		{"read from the head", checkout.Commit, head},
		{"nothing written", e.head(t), head},
		{"every region asked", len(checkout.Targets), 3},
		{"eu-west-1 agrees", co["eu-west-1"].Version, "v1.4.1"},
		{"us-east-1 agrees on its own version", co["us-east-1"].Version, "v1.4.0"},
		{"us-west-2 is mixed", co["us-west-2"].Mixed(), true},
		{"us-west-2 values file", west[0], rings.TargetValue{File: "envs/us-west-2/checkout/values.yaml", Target: "yamlPath image.tag", Value: "v1.4.1"}},
		{"us-west-2 kustomization", west[1], rings.TargetValue{File: "envs/us-west-2/checkout/kustomization.yaml", Target: "kustomizeImage ghcr.io/acme/checkout", Value: "v1.3.9"}},
		{"us-west-2 appset", west[2], rings.TargetValue{File: "appsets/checkout.yaml", Target: "applicationSetElement targetRevision", Value: "v1.4.1"}},
		{"a missing file is absent", ca["us-west-2"].Targets[0].Absent, true},
		{"cart elsewhere", ca["eu-west-1"].Version, "v1.4.1"},
		{"a missing field is absent", nofield.Targets["eu-west-1"][0].Absent, true},
	})
}

// A file that is there but cannot be read as its target says is an error,
// never a guess; an unknown app too.
func TestReadBaselineRefusesWhatItCannotRead(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	files := seedFiles(t)
	files["envs/eu-west-1/cart/values.yaml"] = "image: [unclosed\n"
	e.name = "broken"
	e.url = e.srv.NewRepo(t, e.name, files)
	w := e.writer(t)
	ctx := context.Background()
	_, err := w.ReadBaseline(ctx, "cart", []string{"eu-west-1"})
	if !errors.Is(err, gitops.ErrTarget) || !strings.Contains(err.Error(), "envs/eu-west-1/cart/values.yaml") {
		t.Errorf("broken file: %v, want ErrTarget naming the file", err)
	}
	if _, err := w.ReadBaseline(ctx, "nope", []string{"eu-west-1"}); !errors.Is(err, gitops.ErrTarget) {
		t.Errorf("unknown app: %v, want ErrTarget", err)
	}
}

// Rollback writes each region's own previous value back, byte-exact: a
// region whose targets agreed gets its version everywhere, a region whose
// targets disagreed gets each target's own value.
func TestRollbackWritesEachRegionsOwnValues(t *testing.T) {
	t.Parallel()
	e, w := baselineEnv(t)
	ctx := context.Background()
	seed := e.head(t)
	base, err := w.ReadBaseline(ctx, "checkout", []string{"us-east-1", "us-west-2"})
	if err != nil {
		t.Fatal(err)
	}
	co := summaries(base)
	if _, err := w.Promote(ctx, promotion("checkout", "main", "v2.0.0", "p-main", "us-east-1", "us-west-2")); err != nil {
		t.Fatal(err)
	}
	back := promotion("checkout", "main", co["us-east-1"].Version, "rb-east", "us-east-1")
	if _, err := w.Rollback(ctx, back); err != nil {
		t.Fatal(err)
	}
	mixed := promotion("checkout", "main", "mixed", "rb-west", "us-west-2")
	mixed.Targets = co["us-west-2"].Targets
	res, err := w.Rollback(ctx, mixed)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"envs/us-east-1/checkout/values.yaml", "envs/us-east-1/checkout/kustomization.yaml",
		"envs/us-west-2/checkout/values.yaml", "envs/us-west-2/checkout/kustomization.yaml", "appsets/checkout.yaml"} {
		if got, want := e.show(t, res.Commit, f), e.show(t, seed, f); got != want {
			t.Errorf("%s after rollback differs from before the release:\n--- got ---\n%s\n--- want ---\n%s", f, got, want)
		}
	}
	msg := e.git(t, "log", "-1", "--format=%B", res.Commit)
	if !strings.Contains(msg, "envs/us-west-2/checkout/kustomization.yaml kustomizeImage ghcr.io/acme/checkout: v1.3.9") {
		t.Errorf("the rollback commit does not list the per-target values:\n%s", msg)
	}
}

// A per-target rollback that lacks a target of the app (the topology
// changed since the release began) or names an absent one writes nothing.
func TestPerTargetRollbackWithoutEveryValueWritesNothing(t *testing.T) {
	t.Parallel()
	e, w := baselineEnv(t)
	ctx := context.Background()
	if _, err := w.Promote(ctx, promotion("checkout", "main", "v2.0.0", "p-main", "us-west-2")); err != nil {
		t.Fatal(err)
	}
	head := e.head(t)
	short := promotion("checkout", "main", "mixed", "rb-1", "us-west-2")
	short.Targets = []rings.TargetValue{{File: "envs/us-west-2/checkout/values.yaml", Target: "yamlPath image.tag", Value: "v1.4.1"}}
	_, errShort := w.Rollback(ctx, short)
	absent := promotion("checkout", "main", "mixed", "rb-2", "us-west-2")
	absent.Targets = []rings.TargetValue{{File: "envs/us-west-2/checkout/values.yaml", Target: "yamlPath image.tag", Absent: true}}
	_, errAbsent := w.Rollback(ctx, absent)
	if !errors.Is(errShort, gitops.ErrTarget) {
		t.Errorf("missing target: %v, want ErrTarget", errShort)
	}
	if !errors.Is(errAbsent, gitops.ErrInvalid) {
		t.Errorf("absent target: %v, want ErrInvalid", errAbsent)
	}
	if e.head(t) != head {
		t.Error("a refused rollback pushed a commit")
	}
}

// The baseline is read by a node whose working copy lags: it fetches first.
func TestReadBaselineFetchesFirst(t *testing.T) {
	t.Parallel()
	e, w := baselineEnv(t)
	other := e.writer(t, func(c *gitops.Config) {
		c.Dir = filepath.Join(t.TempDir(), "other")
		c.EditApplicationSet = appset.Edit
		c.Now = func() time.Time { return time.Date(2026, 11, 25, 13, 0, 0, 0, time.UTC) }
	})
	ctx := context.Background()
	if _, err := w.ReadBaseline(ctx, "cart", []string{"eu-west-1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Promote(ctx, promotion("cart", "early", "v9", "p-cart", "eu-west-1")); err != nil {
		t.Fatal(err)
	}
	b, err := w.ReadBaseline(ctx, "cart", []string{"eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	if got := rings.SummarizeBaseline("eu-west-1", b.Targets["eu-west-1"]).Version; got != "v9" || b.Commit != e.head(t) {
		t.Errorf("read %q at %s, want v9 at the new head %s", got, b.Commit, e.head(t))
	}
}

// A failed ring places a halt covering its regions; the rollback of those
// regions must still land (the fence would deadlock it), Check still runs
// before its push, and verify-history does not flag it.
func TestRollbackPassesTheHaltFence(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := e.writer(t)
	ctx := context.Background()
	if _, err := w.Promote(ctx, promotion("checkout", "early", "v1.4.2", "p-early", "eu-west-1")); err != nil {
		t.Fatal(err)
	}
	halt := rings.Halt{ID: "halt-auto-rel-early", Scope: rings.HaltScope{Regions: []string{"eu-west-1"}}, Author: "ringleader",
		Reason: "ring early failed", CreatedAt: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC), Auto: true}
	if err := w.WriteHalts(ctx, []rings.Halt{halt}); err != nil {
		t.Fatal(err)
	}
	fenced := e.head(t)
	_, promoteErr := w.Promote(ctx, promotion("checkout", "early", "v1.4.3", "p-early-2", "eu-west-1"))

	refused := errors.New("lost leadership")
	back := promotion("checkout", "early", "v1.4.1", "rb-refused", "eu-west-1")
	back.Check = func(context.Context) error { return refused }
	_, refusedErr := w.Rollback(ctx, back)
	headAfterRefusal := e.head(t)

	checks := 0
	back = promotion("checkout", "early", "v1.4.1", "rb-early", "eu-west-1")
	back.Check = func(context.Context) error { checks++; return nil }
	res, rollbackErr := w.Rollback(ctx, back)

	rep, verr := gitops.VerifyHistory(ctx, gitops.VerifyOptions{URL: e.url, Topology: testTopology(), Dir: filepath.Join(t.TempDir(), "v")})
	if verr != nil {
		t.Fatal(verr)
	}
	expect(t, []check{
		{"promotion under the halt is refused", errors.Is(promoteErr, gitops.ErrHalted), true},
		{"rollback whose check refuses does not push", errors.Is(refusedErr, gitops.ErrCheckFailed) && headAfterRefusal == fenced, true},
		{"rollback under the halt lands", rollbackErr, nil},
		{"rollback ran its check", checks, 1},
		{"rollback commit is the head", res.Commit, e.head(t)},
		{"rollback wrote the old version", e.show(t, res.Commit, "envs/eu-west-1/checkout/values.yaml") != e.show(t, fenced, "envs/eu-west-1/checkout/values.yaml"), true},
		{"rollback trailer", e.git(t, "log", "-1", "--format=%(trailers:key=Ringleader-Rollback,valueonly)", res.Commit), "true"},
		{"verify-history finds no violation", len(rep.Violations), 0},
	})
}

// IsAncestor answers from the working copy, fetching once when a commit
// arrived on the server since the last fetch.
func TestIsAncestorFetchesUnknownCommits(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w, other := e.writer(t), e.writer(t)
	ctx := context.Background()
	seed := e.head(t)
	first, err := w.Promote(ctx, promotion("checkout", "early", "v2", "a-1", "eu-west-1"))
	if err != nil {
		t.Fatal(err)
	}
	// Written by another node: w has not fetched it.
	second, err := other.Promote(ctx, promotion("cart", "main", "v2", "a-2", "us-east-1"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name       string
		anc, desc  string
		want       bool
		wantErr    bool
		errInvalid bool
	}{
		{"seed before first", seed, first.Commit, true, false, false},
		{"first before a commit only the server has", first.Commit, second.Commit, true, false, false},
		{"not backwards", second.Commit, first.Commit, false, false, false},
		{"not its own ancestor", first.Commit, first.Commit, false, false, false},
		{"unknown commit", seed, "0123456789012345678901234567890123456789", false, true, false},
		{"malformed id", "abc", first.Commit, false, true, true},
	}
	for _, c := range cases {
		got, err := w.IsAncestor(ctx, c.anc, c.desc)
		if (err != nil) != c.wantErr || got != c.want || errors.Is(err, gitops.ErrInvalid) != c.errInvalid {
			t.Errorf("%s: IsAncestor = %v, %v; want %v, error %v (invalid %v)", c.name, got, err, c.want, c.wantErr, c.errInvalid)
		}
	}
}
