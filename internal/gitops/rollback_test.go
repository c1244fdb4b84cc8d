package gitops_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/internal/gitops"
	"github.com/ringleader-dev/ringleader/rings"
)

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
	cases := []struct {
		name      string
		got, want any
	}{
		{"promotion under the halt is refused", errors.Is(promoteErr, gitops.ErrHalted), true},
		{"rollback whose check refuses does not push", errors.Is(refusedErr, gitops.ErrCheckFailed) && headAfterRefusal == fenced, true},
		{"rollback under the halt lands", rollbackErr, nil},
		{"rollback ran its check", checks, 1},
		{"rollback commit is the head", res.Commit, e.head(t)},
		{"rollback wrote the old version", e.show(t, res.Commit, "envs/eu-west-1/checkout/values.yaml") != e.show(t, fenced, "envs/eu-west-1/checkout/values.yaml"), true},
		{"rollback trailer", e.git(t, "log", "-1", "--format=%(trailers:key=Ringleader-Rollback,valueonly)", res.Commit), "true"},
		{"verify-history finds no violation", len(rep.Violations), 0},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
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
