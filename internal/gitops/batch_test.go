package gitops_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/internal/gitops"
	"github.com/ringleader-dev/ringleader/rings"
)

// trainOf is three releases due in the same pass: checkout and cart to
// early, cart (another release) to main.
func trainOf() []rings.Promotion {
	a := promotion("checkout", "early", "v1.4.2", "b-checkout", "eu-west-1")
	a.PreviousRing, a.PreviousRingSoakedAt = "canary", time.Date(2026, 11, 25, 11, 0, 0, 0, time.UTC)
	b := promotion("cart", "early", "v2.0.0", "b-cart", "eu-west-1")
	c := promotion("cart", "main", "v1.9.0", "b-cart-main", "us-east-1", "us-west-2")
	return []rings.Promotion{a, b, c}
}

// results maps each promotion of a batch to its commit or error text.
func results(t *testing.T, ps []rings.Promotion, rs []gitops.BatchResult) map[string]gitops.BatchResult {
	t.Helper()
	if len(rs) != len(ps) {
		t.Fatalf("%d results for %d promotions", len(rs), len(ps))
	}
	out := map[string]gitops.BatchResult{}
	for i, p := range ps {
		out[p.PromotionID] = rs[i]
	}
	return out
}

func TestBatchLandsAsOneCommitWithATrailerSetPerPromotion(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	seed := e.head(t)
	w := e.writer(t)
	ps := trainOf()
	rs := results(t, ps, w.PromoteBatch(context.Background(), ps, nil))
	head := e.head(t)
	for id, r := range rs {
		if r.Err != nil || r.Commit != head || r.Batch != 3 || r.AlreadyLanded {
			t.Errorf("%s: %+v, want commit %s, batch 3", id, r, head)
		}
	}
	msg := e.git(t, "log", "-1", "--format=%B", head)
	checkGolden(t, "batch/message.txt", msg+"\n")
	blocks, err := gitops.PromotionBlocks(msg)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, b := range blocks {
		ids = append(ids, b[gitops.TrailerPromotion]+"@"+b[gitops.TrailerRing]+"/"+b[gitops.TrailerRegions])
	}
	expect(t, []check{
		{"one commit on the seed", e.git(t, "rev-parse", head+"^"), seed},
		{"git sees every promotion in the trailers", e.git(t, "log", "-1", "--format=%(trailers:key=Ringleader-Promotion,valueonly,separator=%x2C)", head), "b-checkout,b-cart,b-cart-main"},
		{"format trailer", e.git(t, "log", "-1", "--format=%(trailers:key=Ringleader-Format,valueonly)", head), "2"},
		{"blocks", strings.Join(ids, " "), "b-checkout@early/eu-west-1 b-cart@early/eu-west-1 b-cart-main@main/us-east-1,us-west-2"},
		{"soak evidence stays with its promotion", blocks[0][gitops.TrailerSoakedRing] + "|" + blocks[1][gitops.TrailerSoakedRing], "canary@2026-11-25T11:00:00Z|"},
		{"changed files", e.git(t, "diff", "--name-only", seed, head), "appsets/checkout.yaml\nenvs/eu-west-1/cart/values.yaml\nenvs/eu-west-1/checkout/kustomization.yaml\nenvs/eu-west-1/checkout/values.yaml\nenvs/us-east-1/cart/values.yaml\nenvs/us-west-2/cart/values.yaml"},
		{"cart early tag", tagOf(e.show(t, head, "envs/eu-west-1/cart/values.yaml")), "v2.0.0"},
		{"cart main tag", tagOf(e.show(t, head, "envs/us-west-2/cart/values.yaml")), "v1.9.0"},
	})

	// Exactly once per promotion: the same batch again writes nothing, and
	// another node's writer finds every promotion in the batch commit.
	again := results(t, ps, w.PromoteBatch(context.Background(), ps, nil))
	other := e.writer(t)
	for _, p := range ps {
		if r := again[p.PromotionID]; r.Err != nil || !r.AlreadyLanded || r.Commit != head {
			t.Errorf("%s again: %+v, want already landed as %s", p.PromotionID, r, head)
		}
		c, ok, err := other.FindLanded(context.Background(), p.PromotionID)
		if err != nil || !ok || c != head {
			t.Errorf("FindLanded(%s) = %s, %v, %v; want %s", p.PromotionID, c, ok, err, head)
		}
	}
	if got := e.head(t); got != head {
		t.Errorf("head moved to %s on the second batch", got)
	}
}

func TestBatchBoundsSplitIntoSeveralCommits(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		mod     func(*gitops.Config)
		batches string // promotions per commit, oldest first
	}{
		{"by count", func(c *gitops.Config) { c.BatchMax = 2 }, "2,1"},
		{"by bytes: each commit takes one promotion past the bound", func(c *gitops.Config) { c.BatchMaxBytes = 10 }, "1,1,1"},
		{"within both", func(c *gitops.Config) {}, "3"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			seed := e.head(t)
			ps := trainOf()
			rs := results(t, ps, e.writer(t, tc.mod).PromoteBatch(context.Background(), ps, nil))
			for id, r := range rs {
				if r.Err != nil {
					t.Errorf("%s: %v", id, r.Err)
				}
			}
			var sizes []string
			for _, c := range strings.Split(e.git(t, "rev-list", "--reverse", seed+"..main"), "\n") {
				n := e.git(t, "log", "-1", "--format=%(trailers:key=Ringleader-Promotion,valueonly,separator=%x2C)", c)
				sizes = append(sizes, itoa(len(strings.Split(n, ","))))
			}
			if got := strings.Join(sizes, ","); got != tc.batches {
				t.Errorf("promotions per commit %s, want %s", got, tc.batches)
			}
		})
	}
}

// A halt written by another node while the batch is in flight (between
// build and push) rejects the push; the rebuilt batch leaves out exactly
// the promotions the fence covers.
func TestHaltDuringABatchKeepsOnlyTheCoveredOut(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	leader, other := e.writer(t), e.writer(t)
	var checks int
	ps := trainOf()
	rs := results(t, ps, leader.PromoteBatch(context.Background(), ps, haltAtCheck(other, appHalt("h-cart", "cart", "cart incident"), &checks, 1)))
	head := e.head(t)
	expect(t, []check{
		{"checkout landed", rs["b-checkout"].Commit, head},
		{"checkout's commit is a single promotion", rs["b-checkout"].Batch, 1},
		{"cart early halted", errors.Is(rs["b-cart"].Err, gitops.ErrHalted), true},
		{"cart main halted", errors.Is(rs["b-cart-main"].Err, gitops.ErrHalted), true},
		{"the error names the halt", strings.Contains(rs["b-cart"].Err.Error(), "h-cart"), true},
		{"pushes: rejected, then landed", rs["b-checkout"].Attempts, 2},
		{"landed on the fence", e.git(t, "log", "-1", "--format=%(trailers:key=Ringleader-Halt-Fence,valueonly)", head+"^"), "1"},
		{"only checkout in Git", e.git(t, "log", "--format=%(trailers:key=Ringleader-Promotion,valueonly)", head), "b-checkout"},
	})
}

// A promotion's own Check (a halt in the replicated state) drops it alone;
// the batch check (leadership) stops the whole commit.
func TestBatchChecks(t *testing.T) {
	t.Parallel()
	refuse := errors.New("covered by halt h-9")
	cases := []struct {
		name    string
		fenced  string // the promotion whose Check refuses
		batch   error  // the batch check's answer
		landed  string // promotion IDs in Git, comma-separated
		checked string // which results wrap ErrCheckFailed
	}{
		{"one promotion fenced", "b-cart", nil, "b-checkout,b-cart-main", "b-cart"},
		{"leadership lost", "", errors.New("not the leader"), "", "b-checkout,b-cart,b-cart-main"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			ps := trainOf()
			for i := range ps {
				if ps[i].PromotionID == tc.fenced {
					ps[i].Check = func(context.Context) error { return refuse }
				}
			}
			rs := e.writer(t).PromoteBatch(context.Background(), ps, func(context.Context) error { return tc.batch })
			var checked []string
			for i, r := range rs {
				if errors.Is(r.Err, gitops.ErrCheckFailed) {
					checked = append(checked, ps[i].PromotionID)
				}
			}
			expect(t, []check{
				{"in Git", e.git(t, "log", "--format=%(trailers:key=Ringleader-Promotion,valueonly,separator=%x2C)", "main"), tc.landed},
				{"refused by a check", strings.Join(checked, ","), tc.checked},
			})
		})
	}
}

// A promotion whose edit cannot be made fails alone with its
// *TargetError; the others land in one commit.
func TestOneBadEditFailsAlone(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ps := append(trainOf(), promotion("nofield", "early", "v3", "b-nofield", "eu-west-1"), promotion("ghost", "early", "v3", "b-ghost", "eu-west-1"))
	rs := results(t, ps, e.writer(t).PromoteBatch(context.Background(), ps, nil))
	head := e.head(t)
	var te *gitops.TargetError
	expect(t, []check{
		{"nofield is a target error", errors.As(rs["b-nofield"].Err, &te) && te.Path == "image.digest", true},
		{"ghost's file is missing", errors.Is(rs["b-ghost"].Err, gitops.ErrTarget) && strings.Contains(rs["b-ghost"].Err.Error(), "envs/eu-west-1/ghost/values.yaml"), true},
		{"both permanent", gitops.IsPermanent(rs["b-nofield"].Err) && gitops.IsPermanent(rs["b-ghost"].Err), true},
		{"the others landed together", rs["b-checkout"].Commit + rs["b-cart"].Commit + rs["b-cart-main"].Commit, head + head + head},
		{"in Git", e.git(t, "log", "-1", "--format=%(trailers:key=Ringleader-Promotion,valueonly,separator=%x2C)", head), "b-checkout,b-cart,b-cart-main"},
		{"the failed edit left no trace", tagOf(e.show(t, head, "envs/eu-west-1/cart/values.yaml")), "v2.0.0"},
	})
}

// A halt the state already knows (every promotion's own Check refuses)
// drops the promotions before anything is built: no commit of the batch
// is built only to be refused, so the leadership check never runs and
// the writer is free at once for the halt's fence write.
func TestCoveredPromotionsAreDroppedBeforeTheyAreBuilt(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	seed := e.head(t)
	ps := trainOf()
	for i := range ps {
		ps[i].Check = func(context.Context) error { return errors.New("covered by halt h-9") }
	}
	pushChecks := 0
	w := e.writer(t, func(c *gitops.Config) { c.BatchMax = 1 })
	rs := w.PromoteBatch(context.Background(), ps, func(context.Context) error { pushChecks++; return nil })
	refused := 0
	for _, r := range rs {
		if errors.Is(r.Err, gitops.ErrCheckFailed) {
			refused++
		}
	}
	expect(t, []check{
		{"every promotion refused by its check", refused, len(ps)},
		{"no commit built to be refused: the push check never ran", pushChecks, 0},
		{"nothing in Git", e.head(t), seed},
	})
}
