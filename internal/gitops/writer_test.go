package gitops_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/internal/gitops"
	"github.com/ringleader-dev/ringleader/internal/gitops/appset"
	"github.com/ringleader-dev/ringleader/internal/gitops/gittest"
	"github.com/ringleader-dev/ringleader/internal/gitops/yamledit"
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

func TestPromoteLandsOneCommitWithTrailersAndEdits(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	seed := e.head(t)
	w := e.writer(t)
	p := promotion("checkout", "early", "v1.4.2", "prom-1", "eu-west-1")
	p.PreviousRing, p.PreviousRingSoakedAt = "canary", time.Date(2026, 11, 25, 11, 0, 0, 0, time.UTC)
	res, err := w.Promote(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	head := e.head(t)
	expect(t, []check{
		{"result commit is the remote head", res.Commit, head},
		{"one commit on the seed", e.git(t, "rev-parse", head+"^"), seed},
		{"already landed", boolString(res.AlreadyLanded), "false"},
		{"subject", e.git(t, "log", "-1", "--format=%s", head), "checkout v1.4.2 → ring early (eu-west-1)"},
		{"release trailer", e.git(t, "log", "-1", "--format=%(trailers:key=Ringleader-Release,valueonly)", head), "rel-checkout-v1.4.2"},
		{"ring trailer", e.git(t, "log", "-1", "--format=%(trailers:key=Ringleader-Ring,valueonly)", head), "early"},
		{"promotion trailer", e.git(t, "log", "-1", "--format=%(trailers:key=Ringleader-Promotion,valueonly)", head), "prom-1"},
		{"soaked trailer", e.git(t, "log", "-1", "--format=%(trailers:key=Ringleader-Soaked-Ring,valueonly)", head), "canary@2026-11-25T11:00:00Z"},
		{"no rollback trailer", e.git(t, "log", "-1", "--format=%(trailers:key=Ringleader-Rollback,valueonly)", head), ""},
		{"author", e.git(t, "log", "-1", "--format=%an <%ae>", head), "Ringleader Test <rl@example.com>"},
		{"changed files", e.git(t, "diff", "--name-only", seed, head), "appsets/checkout.yaml\nenvs/eu-west-1/checkout/kustomization.yaml\nenvs/eu-west-1/checkout/values.yaml"},
	})
	checkGolden(t, "promote/values.yaml", e.show(t, head, "envs/eu-west-1/checkout/values.yaml"))
	checkGolden(t, "promote/kustomization.yaml", e.show(t, head, "envs/eu-west-1/checkout/kustomization.yaml"))
	checkGolden(t, "promote/appset.yaml", e.show(t, head, "appsets/checkout.yaml"))
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func TestRollbackIsMarked(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := e.writer(t)
	if _, err := w.Promote(context.Background(), promotion("cart", "main", "v2.0.0", "prom-fwd", "us-east-1", "us-west-2")); err != nil {
		t.Fatal(err)
	}
	res, err := w.Rollback(context.Background(), promotion("cart", "main", "v1.4.1", "prom-back", "us-east-1", "us-west-2"))
	if err != nil {
		t.Fatal(err)
	}
	expect(t, []check{
		{"subject", e.git(t, "log", "-1", "--format=%s", res.Commit), "rollback cart to v1.4.1 → ring main (us-east-1, us-west-2)"},
		{"rollback trailer", e.git(t, "log", "-1", "--format=%(trailers:key=Ringleader-Rollback,valueonly)", res.Commit), "true"},
		{"us-east-1 tag", tagOf(e.show(t, res.Commit, "envs/us-east-1/cart/values.yaml")), "v1.4.1"},
		{"us-west-2 tag", tagOf(e.show(t, res.Commit, "envs/us-west-2/cart/values.yaml")), "v1.4.1"},
	})
}

// tagOf returns the value of the "tag:" line of a values file.
func tagOf(values string) string {
	for _, l := range strings.Split(values, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "tag: "); ok {
			v, _, _ = strings.Cut(v, " ")
			return v
		}
	}
	return ""
}

func TestConcurrentWritersBothLandAfterCASRetry(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, b := e.writer(t), e.writer(t)
	// Both writers build on the same head, then wait for each other at the
	// pre-push check, so both push against the same old value: one must be
	// rejected as non-fast-forward and retry on the new head.
	var arrived sync.WaitGroup
	arrived.Add(2)
	barrier := func() func(context.Context) error {
		var once sync.Once
		return func(context.Context) error {
			once.Do(func() { arrived.Done(); arrived.Wait() })
			return nil
		}
	}
	pa := promotion("checkout", "early", "v1.4.2", "prom-a", "eu-west-1")
	pa.Check = barrier()
	pb := promotion("cart", "main", "v3.0.0", "prom-b", "us-east-1")
	pb.Check = barrier()
	var wg sync.WaitGroup
	var ra, rb gitops.Result
	var ea, eb error
	wg.Add(2)
	go func() { defer wg.Done(); ra, ea = a.Promote(context.Background(), pa) }()
	go func() { defer wg.Done(); rb, eb = b.Promote(context.Background(), pb) }()
	wg.Wait()
	if ea != nil || eb != nil {
		t.Fatalf("promote: a=%v b=%v", ea, eb)
	}
	head := e.head(t)
	expect(t, []check{
		{"total push attempts", itoa(ra.Attempts + rb.Attempts), "3"},
		{"commits on the branch", e.git(t, "rev-list", "--count", head), "3"},
		{"checkout edit kept", tagOf(e.show(t, head, "envs/eu-west-1/checkout/values.yaml")), "v1.4.2"},
		{"cart edit kept", tagOf(e.show(t, head, "envs/us-east-1/cart/values.yaml")), "v3.0.0"},
		{"promotion trailers", sortedFields(e.git(t, "log", "--format=%(trailers:key=Ringleader-Promotion,valueonly)", "-2", head)), "prom-a prom-b"},
	})
}

func sortedFields(s string) string {
	f := strings.Fields(s)
	sort.Strings(f)
	return strings.Join(f, " ")
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestExactlyOnceAfterLeaderDiesBeforeRecording(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// The old leader pushes and "dies" before recording the result in Raft.
	old := e.writer(t)
	first, err := old.Promote(context.Background(), promotion("checkout", "early", "v1.4.2", "prom-once", "eu-west-1"))
	if err != nil {
		t.Fatal(err)
	}
	// Unrelated work lands on top, so the landed commit is not the head.
	if _, err := old.Promote(context.Background(), promotion("cart", "main", "v9", "prom-other", "us-east-1")); err != nil {
		t.Fatal(err)
	}
	headBefore := e.head(t)
	// The new leader, with its own fresh working copy, retries the same
	// promotion ID.
	fresh := e.writer(t)
	calls := 0
	p := promotion("checkout", "early", "v1.4.2", "prom-once", "eu-west-1")
	p.Check = func(context.Context) error { calls++; return nil }
	again, err := fresh.Promote(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	expect(t, []check{
		{"already landed", boolString(again.AlreadyLanded), "true"},
		{"same commit", again.Commit, first.Commit},
		{"head unchanged", e.head(t), headBefore},
		{"check not called", itoa(calls), "0"},
	})
}

// A new leader's writer (its own working copy) finds a promotion the old
// leader pushed, by its trailer, without writing anything.
func TestFindLandedSeesAnotherWritersPush(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	fresh := e.writer(t) // cloned before the push: it must fetch to know
	if _, ok, err := fresh.FindLanded(context.Background(), "prom-found"); err != nil || ok {
		t.Fatalf("before the push: found %v, err %v; want not found", ok, err)
	}
	old := e.writer(t)
	landed, err := old.Promote(context.Background(), promotion("checkout", "early", "v1.4.2", "prom-found", "eu-west-1"))
	if err != nil {
		t.Fatal(err)
	}
	head := e.head(t)
	commit, ok, err := fresh.FindLanded(context.Background(), "prom-found")
	expect(t, []check{
		{"found", boolString(ok && err == nil), "true"},
		{"the pushed commit", commit, landed.Commit},
		{"another id is not found", func() string { _, ok, _ := fresh.FindLanded(context.Background(), "prom-never"); return boolString(ok) }(), "false"},
		{"asked together, only the landed one answers", func() string {
			all, err := fresh.FindLandedAll(context.Background(), []string{"prom-never", "prom-found"})
			return fmt.Sprint(len(all), all["prom-found"] == landed.Commit, err)
		}(), "1 true <nil>"},
		{"nothing written", e.head(t), head},
	})
}

func TestHaltFenceRejectsInFlightPromotion(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	leader, other := e.writer(t), e.writer(t)
	halt := appHalt("h-1", "checkout", "incident 42")
	p := promotion("checkout", "early", "v1.4.2", "prom-fenced", "eu-west-1")
	// The promotion was prepared before the halt: while it is in flight
	// (between build and push: its second Check, the first is before its
	// edits) another node writes the fence commit. This node's replicated
	// state has not seen the halt, so Check passes.
	var checks int
	p.Check = haltAtCheck(other, halt, &checks, 2)
	_, err := leader.Promote(context.Background(), p)
	if !errors.Is(err, gitops.ErrHalted) {
		t.Fatalf("err = %v, want ErrHalted", err)
	}
	head := e.head(t)
	expect(t, []check{
		{"head is the fence commit", e.git(t, "log", "-1", "--format=%(trailers:key=Ringleader-Halt-Fence,valueonly)", head), "1"},
		{"no promotion commit", e.git(t, "log", "--format=%(trailers:key=Ringleader-Promotion,valueonly)", head), ""},
		{"checks before the fence was seen", itoa(checks), "2"},
		{"error names the halt", boolString(strings.Contains(err.Error(), "h-1")), "true"},
	})
}

// appHalt is an incident commander's halt of app.
func appHalt(id, app, reason string) rings.Halt {
	return rings.Halt{ID: id, Scope: rings.HaltScope{Apps: []string{app}}, Author: "ic@example.com",
		Reason: reason, CreatedAt: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)}
}

// haltAtCheck is a Check that has other write halt to the fence the n-th
// time it runs (a halt placed while a write is in flight), counting its
// calls in checks.
func haltAtCheck(other *gitops.Writer, halt rings.Halt, checks *int, n int) func(context.Context) error {
	return func(ctx context.Context) error {
		*checks++
		if *checks == n {
			return other.WriteHalts(ctx, []rings.Halt{halt})
		}
		return nil
	}
}

func TestFenceOnlyStopsCoveredPromotions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := e.writer(t)
	halt := rings.Halt{ID: "h-eu", Scope: rings.HaltScope{Regions: []string{"eu-west-1"}}, Author: "ic", Reason: "eu outage",
		CreatedAt: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)}
	if err := w.WriteHalts(context.Background(), []rings.Halt{halt}); err != nil {
		t.Fatal(err)
	}
	fence := e.head(t)
	// Writing the same set again changes nothing.
	if err := w.WriteHalts(context.Background(), []rings.Halt{halt}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		p       rings.Promotion
		halted  bool
		newHead bool
	}{
		{"covered region", promotion("checkout", "early", "v1.4.2", "p-eu", "eu-west-1"), true, false},
		{"other region", promotion("cart", "main", "v1.4.2", "p-us", "us-east-1"), false, true},
	}
	for _, c := range cases {
		before := e.head(t)
		_, err := w.Promote(context.Background(), c.p)
		if got := errors.Is(err, gitops.ErrHalted); got != c.halted {
			t.Errorf("%s: halted = %v (err %v), want %v", c.name, got, err, c.halted)
		}
		if got := e.head(t) != before; got != c.newHead {
			t.Errorf("%s: head moved = %v, want %v", c.name, got, c.newHead)
		}
	}
	if got := e.git(t, "rev-list", "--count", fence); got != "2" {
		t.Errorf("fence written %s times in total with the seed, want 2 (idempotent)", got)
	}
	checkGolden(t, "halts/halts.yaml", e.show(t, fence, gitops.HaltsFile))
	// Resuming clears the fence.
	if err := w.WriteHalts(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Promote(context.Background(), promotion("checkout", "early", "v1.4.2", "p-eu-2", "eu-west-1")); err != nil {
		t.Errorf("promotion after resume: %v", err)
	}
}

func TestCheckErrorStopsThePush(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := e.writer(t)
	before := e.head(t)
	lost := errors.New("not the leader any more")
	p := promotion("checkout", "early", "v1.4.2", "prom-check", "eu-west-1")
	p.Check = func(context.Context) error { return lost }
	_, err := w.Promote(context.Background(), p)
	expect(t, []check{
		{"is ErrCheckFailed", boolString(errors.Is(err, gitops.ErrCheckFailed)), "true"},
		{"wraps the check's error", boolString(errors.Is(err, lost)), "true"},
		{"head unchanged", e.head(t), before},
	})
}

func TestBadTargetsNameFileAndPathAndPushNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := e.writer(t)
	cases := []struct {
		name string
		p    rings.Promotion
		want []string
	}{
		{"missing file", promotion("ghost", "early", "v1", "p-ghost", "eu-west-1"),
			[]string{"envs/eu-west-1/ghost/values.yaml", "does not exist"}},
		{"missing field", promotion("nofield", "early", "v1", "p-nofield", "eu-west-1"),
			[]string{"envs/eu-west-1/cart/values.yaml", "image.digest", `key "digest" not found`}},
		{"app not in topology", promotion("nope", "early", "v1", "p-nope", "eu-west-1"),
			[]string{"app nope is not in the topology"}},
		{"region without appset element", promotion("checkout", "early", "v1", "p-ap", "ap-south-1"),
			[]string{"envs/ap-south-1/checkout/values.yaml", "does not exist"}},
	}
	before := e.head(t)
	for _, c := range cases {
		_, err := w.Promote(context.Background(), c.p)
		if !errors.Is(err, gitops.ErrTarget) {
			t.Errorf("%s: err = %v, want ErrTarget", c.name, err)
			continue
		}
		for _, s := range c.want {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s: error %q does not mention %q", c.name, err, s)
			}
		}
	}
	if got := e.head(t); got != before {
		t.Errorf("head moved to %s after bad targets", got)
	}
}

// A node restarted on its kept working copy finds its own landed promotion
// even though no fetch is needed (the server's head is the one it knows).
func TestExactlyOnceAfterRestartOnTheSameWorkingCopy(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dir := filepath.Join(t.TempDir(), "kept")
	keep := func(c *gitops.Config) { c.Dir = dir }
	first, err := e.writer(t, keep).Promote(context.Background(), promotion("checkout", "early", "v1.4.2", "prom-restart", "eu-west-1"))
	if err != nil {
		t.Fatal(err)
	}
	again, err := e.writer(t, keep).Promote(context.Background(), promotion("checkout", "early", "v1.4.2", "prom-restart", "eu-west-1"))
	if err != nil {
		t.Fatal(err)
	}
	if !again.AlreadyLanded || again.Commit != first.Commit || e.head(t) != first.Commit {
		t.Errorf("after restart: %+v, head %s; want AlreadyLanded at %s", again, e.head(t), first.Commit)
	}
}

// When the branch moves under an in-flight promotion in a way its edit
// cannot follow (the target file was deleted), the retry reports the
// conflict and pushes nothing.
func TestConflictTheEditCannotResolveIsReported(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := e.writer(t)
	p := promotion("checkout", "early", "v1.4.2", "prom-conflict", "eu-west-1")
	calls := 0
	p.Check = func(context.Context) error {
		calls++
		if calls == 1 {
			dir := t.TempDir()
			gittest.Run(t, dir, "clone", "--quiet", e.url, "wc")
			wc := filepath.Join(dir, "wc")
			gittest.Run(t, wc, "rm", "--quiet", "envs/eu-west-1/checkout/values.yaml")
			gittest.Run(t, wc, "commit", "--quiet", "-m", "retire eu-west-1 values")
			gittest.Run(t, wc, "push", "--quiet", "origin", "main")
		}
		return nil
	}
	_, err := w.Promote(context.Background(), p)
	checks := []struct{ name, got, want string }{
		{"is ErrTarget", boolString(errors.Is(err, gitops.ErrTarget)), "true"},
		{"names the file", boolString(err != nil && strings.Contains(err.Error(), "envs/eu-west-1/checkout/values.yaml")), "true"},
		{"head is the deleting commit", e.git(t, "log", "-1", "--format=%s", e.head(t)), "retire eu-west-1 values"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q (err %v)", c.name, c.got, c.want, err)
		}
	}
}

// The fence can start a branch in an empty repository (a root commit pushed
// against "no branch" as the expected old value).
func TestWriteHaltsStartsAnEmptyRepository(t *testing.T) {
	t.Parallel()
	srv := gittest.Start(t)
	e := &env{srv: srv, url: srv.NewRepo(t, "empty", nil), name: "empty"}
	w := e.writer(t)
	halt := rings.Halt{ID: "h-1", Scope: rings.HaltScope{Global: true}, Author: "ic", Reason: "r", CreatedAt: t0}
	if err := w.WriteHalts(context.Background(), []rings.Halt{halt}); err != nil {
		t.Fatal(err)
	}
	head, err := w.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	expect(t, []check{
		{"head", head, e.head(t)},
		{"root commit", e.git(t, "rev-list", "--count", head), "1"},
		{"fence lists the halt", boolString(strings.Contains(e.show(t, head, gitops.HaltsFile), "id: h-1")), "true"},
	})
}

// A node killed while go-git rewrote a ref leaves an empty ref file in its
// working copy. The writer must rebuild the clone from the remote rather
// than fail every fetch from then on, whether it notices the damage on a
// running writer or on a restart.
func TestDamagedWorkingCopyIsRebuilt(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dir := filepath.Join(t.TempDir(), "kept")
	keep := func(c *gitops.Config) { c.Dir = dir }
	w := e.writer(t, keep)
	if _, err := w.Promote(context.Background(), promotion("checkout", "canary", "v1.4.2", "prom-damage-1", "us-east-1")); err != nil {
		t.Fatal(err)
	}
	truncateRef := func() {
		t.Helper()
		ref := filepath.Join(dir, "refs", "remotes", "origin", "main")
		if err := os.WriteFile(ref, nil, 0o644); err != nil {
			t.Fatalf("damage %s: %v", ref, err)
		}
	}
	truncateRef()
	second, err := w.Promote(context.Background(), promotion("checkout", "early", "v1.4.2", "prom-damage-2", "eu-west-1"))
	if err != nil {
		t.Fatalf("promote on a damaged working copy: %v", err)
	}
	if e.head(t) != second.Commit {
		t.Fatalf("head %s, want the new promotion %s", e.head(t), second.Commit)
	}
	truncateRef()
	again, err := e.writer(t, keep).Promote(context.Background(), promotion("checkout", "early", "v1.4.2", "prom-damage-2", "eu-west-1"))
	if err != nil {
		t.Fatalf("restart on a damaged working copy: %v", err)
	}
	if !again.AlreadyLanded || again.Commit != second.Commit {
		t.Errorf("after restart: %+v; want AlreadyLanded at %s", again, second.Commit)
	}
}

// permTopology has one app per way a target can be wrong.
func permTopology() *topology.Topology {
	top := testTopology()
	top.Spec.Regions = append(top.Spec.Regions, topology.Region{Name: "ap-south-1"})
	app := func(name string, t topology.Target) topology.App {
		return topology.App{Name: name, Targets: []topology.Target{t}}
	}
	top.Spec.Apps = append(top.Spec.Apps,
		app("missing-file", topology.Target{File: "envs/{{region}}/missing/values.yaml", YAMLPath: "image.tag"}),
		app("missing-key", topology.Target{File: "envs/{{region}}/checkout/values.yaml", YAMLPath: "image.digest"}),
		app("bad-yaml", topology.Target{File: "broken/values.yaml", YAMLPath: "image.tag"}),
		app("no-image", topology.Target{File: "envs/{{region}}/checkout/kustomization.yaml", KustomizeImage: "ghcr.io/acme/other"}),
		app("no-element", topology.Target{File: "appsets/checkout.yaml", ApplicationSetElement: &topology.ApplicationSetElement{Field: "targetRevision"}}),
		app("bad-appset", topology.Target{File: "broken/appset.yaml", ApplicationSetElement: &topology.ApplicationSetElement{Field: "targetRevision"}}),
	)
	return top
}

// Every way a target can be wrong is permanent, names file and path, and
// pushes nothing.
func TestBadTargetsArePermanentWithFileAndPath(t *testing.T) {
	t.Parallel()
	srv := newEnv(t).srv
	files := seedFiles(t)
	files["broken/values.yaml"] = "image:\n  tag: [v1, \n"
	files["broken/appset.yaml"] = "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nspec: {generators: []}\n"
	url := srv.NewRepo(t, "perm", files)
	w := writerAt(t, url, permTopology())
	cases := []struct {
		app, region string
		file, path  string
		cause       error
		want        string
	}{
		{"missing-file", "eu-west-1", "envs/eu-west-1/missing/values.yaml", "", nil, "does not exist on the branch"},
		{"missing-key", "eu-west-1", "envs/eu-west-1/checkout/values.yaml", "image.digest", yamledit.ErrNotFound, `key "digest" not found`},
		{"bad-yaml", "eu-west-1", "broken/values.yaml", "image.tag", nil, "parse yaml"},
		{"no-image", "us-east-1", "envs/us-east-1/checkout/kustomization.yaml", "images[name=ghcr.io/acme/other].newTag", yamledit.ErrNotFound, `no entry with name "ghcr.io/acme/other"`},
		{"no-element", "ap-south-1", "appsets/checkout.yaml", "spec.generators[…].list.elements[region=ap-south-1].targetRevision", appset.ErrNotFound, `no list element with region "ap-south-1"`},
		{"bad-appset", "eu-west-1", "broken/appset.yaml", "spec.generators[…].list.elements[region=eu-west-1].targetRevision", appset.ErrInvalid, "spec.generators is empty"},
	}
	before := srv.Head(t, "perm")
	for _, c := range cases {
		t.Run(c.app, func(t *testing.T) {
			_, err := w.Promote(context.Background(), promotion(c.app, "early", "v9", "p-"+c.app, c.region))
			var te *gitops.TargetError
			if !errors.As(err, &te) {
				t.Fatalf("err = %v; want a *TargetError", err)
			}
			if !gitops.IsPermanent(err) || !errors.Is(err, gitops.ErrTarget) {
				t.Errorf("err = %v; want ErrPermanent and ErrTarget", err)
			}
			if c.cause != nil && !errors.Is(err, c.cause) {
				t.Errorf("err = %v; want it to wrap %v", err, c.cause)
			}
			if te.File != c.file || te.Path != c.path || te.Region != c.region {
				t.Errorf("file %q path %q region %q; want %q %q %q", te.File, te.Path, te.Region, c.file, c.path, c.region)
			}
			for _, s := range []string{c.file, c.want} {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
		})
	}
	if got := srv.Head(t, "perm"); got != before {
		t.Errorf("head moved to %s after bad targets", got)
	}
}

// installHook writes an executable hook into the served bare repository.
func installHook(t *testing.T, e *env, name, script string) {
	t.Helper()
	path := filepath.Join(e.srv.Path(e.name), "hooks", name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+script), 0o755); err != nil {
		t.Fatal(err)
	}
}

// A push the server's pre-receive hook declines (a protected branch) is
// permanent, carries the hook's message and is tried once.
func TestPushDeclinedByAHookIsPermanent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	installHook(t, e, "pre-receive", "echo 'main is protected: changes need a review' >&2\nexit 1\n")
	before := e.head(t)
	res, err := e.writer(t).Promote(context.Background(), promotion("checkout", "early", "v2", "p-hook", "eu-west-1"))
	var rej *gitops.RejectedError
	if !errors.As(err, &rej) || !errors.Is(err, gitops.ErrRejected) || !gitops.IsPermanent(err) {
		t.Fatalf("err = %v; want a permanent *RejectedError", err)
	}
	for _, s := range []string{"pre-receive hook declined", "main is protected: changes need a review", "refs/heads/main"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not mention %q", err, s)
		}
	}
	if res.Attempts != 1 {
		t.Errorf("%d push attempts; want 1 (a refusal is not retried)", res.Attempts)
	}
	if got := e.head(t); got != before {
		t.Errorf("head moved to %s", got)
	}
}

// Errors that can pass are not permanent: the server unreachable, a 5xx,
// the branch moving under every attempt.
func TestTransientPushErrorsAreNotPermanent(t *testing.T) {
	t.Parallel()
	t.Run("connection refused", func(t *testing.T) {
		t.Parallel()
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		_, err = writerAt(t, "git://"+addr+"/gitops", testTopology()).Promote(context.Background(), promotion("checkout", "early", "v2", "p-dial", "eu-west-1"))
		if err == nil || gitops.IsPermanent(err) {
			t.Fatalf("err = %v; want a transient error", err)
		}
	})
	t.Run("server error", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "upstream unavailable", http.StatusBadGateway)
		}))
		t.Cleanup(srv.Close)
		_, err := writerAt(t, srv.URL+"/gitops.git", testTopology()).Promote(context.Background(), promotion("checkout", "early", "v2", "p-5xx", "eu-west-1"))
		if err == nil || gitops.IsPermanent(err) {
			t.Fatalf("err = %v; want a transient error", err)
		}
	})
	t.Run("branch keeps moving", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		// The hook moves main under every push (outside the quarantine, so
		// the commit stays), so every compare-and-swap is lost.
		installHook(t, e, "pre-receive", `unset GIT_QUARANTINE_PATH GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES
c=$(git commit-tree refs/heads/main^{tree} -p refs/heads/main -m "someone else")
git update-ref refs/heads/main "$c"
`)
		_, err := e.writer(t, func(c *gitops.Config) { c.MaxAttempts = 3; c.Backoff = time.Millisecond }).
			Promote(context.Background(), promotion("checkout", "early", "v2", "p-race", "eu-west-1"))
		if !errors.Is(err, gitops.ErrContention) || gitops.IsPermanent(err) {
			t.Fatalf("err = %v; want ErrContention, not permanent", err)
		}
	})
}

// Every push keeps its pack in the working copy; past 32 packs the small
// ones are merged into one, and the working copy still reads everything
// it wrote: a fresh promotion of the first file lands on top of the rest.
func TestPackedPushesAreConsolidated(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dir := filepath.Join(t.TempDir(), "wc")
	w := e.writer(t, func(c *gitops.Config) { c.Dir = dir })
	most := 0
	for i := range 40 {
		p := promotion("checkout", "early", fmt.Sprintf("v2.%d", i), fmt.Sprintf("prom-%d", i), "eu-west-1")
		if _, err := w.Promote(context.Background(), p); err != nil {
			t.Fatalf("promotion %d: %v", i, err)
		}
		packs, err := filepath.Glob(filepath.Join(dir, "objects", "pack", "*.pack"))
		if err != nil {
			t.Fatal(err)
		}
		most = max(most, len(packs))
	}
	loose, err := filepath.Glob(filepath.Join(dir, "objects", "??", "*"))
	if err != nil {
		t.Fatal(err)
	}
	landed, err := w.FindLandedAll(context.Background(), []string{"prom-0", "prom-39"})
	read, readErr := w.ReadBaseline(context.Background(), "checkout", []string{"eu-west-1"})
	expect(t, []check{
		{"packs never above the bound", most <= 32, true},
		{"the pushes wrote no loose object", len(loose), 0},
		{"the first and the last promotion are indexed", fmt.Sprint(len(landed), err), "2 <nil>"},
		{"the head reads after the merge", readErr, nil},
		{"at the last version", func() string {
			if tvs := read.Targets["eu-west-1"]; len(tvs) > 0 {
				return tvs[0].Value
			}
			return ""
		}(), "v2.39"},
	})
}
