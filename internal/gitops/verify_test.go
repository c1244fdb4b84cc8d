package gitops_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/internal/gitops"
	"github.com/ringleader-dev/ringleader/internal/gitops/gittest"
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// step is one crafted commit: files to write and the message, at a time.
type step struct {
	at    time.Duration // after t0
	msg   string
	files map[string]string
}

var t0 = time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)

// craft pushes the steps as commits through the daemon with the git CLI,
// so the history is exactly what the test says (including what Ringleader
// itself would refuse to write).
func craft(t *testing.T, e *env, steps []step) {
	t.Helper()
	dir := t.TempDir()
	gittest.Run(t, dir, "clone", "--quiet", e.url, "wc")
	wc := filepath.Join(dir, "wc")
	for _, s := range steps {
		for p, c := range s.files {
			full := filepath.Join(wc, filepath.FromSlash(p))
			if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		gittest.Run(t, wc, "add", "-A")
		date := t0.Add(s.at).Format(time.RFC3339)
		if _, err := gittest.RunEnv(wc, []string{"GIT_COMMITTER_DATE=" + date, "GIT_AUTHOR_DATE=" + date},
			"commit", "--quiet", "--allow-empty", "-m", s.msg); err != nil {
			t.Fatal(err)
		}
	}
	gittest.Run(t, wc, "push", "--quiet", "origin", "main")
}

func promo(release, app, ring, id string, regions ...string) rings.Promotion {
	return rings.Promotion{ReleaseID: release, App: app, Ring: ring, Regions: regions, Version: "v2", PromotionID: id}
}

func soaked(p rings.Promotion, ring string, at time.Duration) rings.Promotion {
	p.PreviousRing, p.PreviousRingSoakedAt = ring, t0.Add(at)
	return p
}

func rollback(p rings.Promotion) rings.Promotion { p.Rollback = true; return p }

func fence(t *testing.T, hs ...rings.Halt) map[string]string {
	b, err := gitops.RenderHalts(hs)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{gitops.HaltsFile: string(b)}
}

func TestVerifyHistory(t *testing.T) {
	t.Parallel()
	early := promo("r1", "checkout", "early", "r1-early", "eu-west-1")
	mainRing := promo("r1", "checkout", "main", "r1-main", "us-east-1", "us-west-2")
	global := rings.Halt{ID: "h-1", Scope: rings.HaltScope{Global: true}, Author: "ic", Reason: "incident", CreatedAt: t0}
	cartOnly := rings.Halt{ID: "h-2", Scope: rings.HaltScope{Apps: []string{"cart"}}, Author: "ic", Reason: "cart incident", CreatedAt: t0}
	cases := []struct {
		name     string
		topology bool
		steps    func(t *testing.T) []step
		want     []gitops.ViolationKind
	}{
		{"clean history", true, func(t *testing.T) []step {
			return []step{
				{at: 0, msg: gitops.CommitMessage(early)},
				{at: 10 * time.Minute, msg: "halt fence", files: fence(t, cartOnly)},
				{at: 2 * time.Hour, msg: gitops.CommitMessage(soaked(mainRing, "early", 90*time.Minute))},
				{at: 3 * time.Hour, msg: "resume", files: fence(t, global)},
				{at: 4 * time.Hour, msg: gitops.CommitMessage(rollback(promo("r1", "checkout", "main", "r1-main-back", "us-east-1")))},
			}
		}, nil},
		{"ring order", true, func(t *testing.T) []step {
			return []step{{at: 0, msg: gitops.CommitMessage(mainRing)}, {at: 2 * time.Hour, msg: gitops.CommitMessage(early)}}
		}, []gitops.ViolationKind{gitops.ViolationRingOrder}},
		{"ring order, a region of the previous ring missing", true, func(t *testing.T) []step {
			// main's regions: us-east-1 only is promoted before "last".
			return []step{
				{at: 0, msg: gitops.CommitMessage(early)},
				{at: 2 * time.Hour, msg: gitops.CommitMessage(promo("r1", "checkout", "main", "r1-main-east", "us-east-1"))},
				{at: 4 * time.Hour, msg: gitops.CommitMessage(promo("r1", "checkout", "last", "r1-last", "ap-south-1"))},
			}
		}, []gitops.ViolationKind{gitops.ViolationRingOrder}},
		{"soak window not over", true, func(t *testing.T) []step {
			return []step{{at: 0, msg: gitops.CommitMessage(early)}, {at: 30 * time.Minute, msg: gitops.CommitMessage(mainRing)}}
		}, []gitops.ViolationKind{gitops.ViolationSoak}},
		{"committed before its own soak evidence", false, func(t *testing.T) []step {
			return []step{{at: 0, msg: gitops.CommitMessage(early)}, {at: 2 * time.Hour, msg: gitops.CommitMessage(soaked(mainRing, "early", 3*time.Hour))}}
		}, []gitops.ViolationKind{gitops.ViolationSoak}},
		{"evidence without the previous ring", false, func(t *testing.T) []step {
			return []step{{at: 2 * time.Hour, msg: gitops.CommitMessage(soaked(mainRing, "early", time.Hour))}}
		}, []gitops.ViolationKind{gitops.ViolationRingOrder}},
		{"duplicate promotion", true, func(t *testing.T) []step {
			return []step{{at: 0, msg: gitops.CommitMessage(early)}, {at: time.Minute, msg: gitops.CommitMessage(early)}}
		}, []gitops.ViolationKind{gitops.ViolationDuplicate}},
		{"promotion after a halt fence", true, func(t *testing.T) []step {
			return []step{{at: 0, msg: "halt", files: fence(t, global)}, {at: time.Minute, msg: gitops.CommitMessage(early)}}
		}, []gitops.ViolationKind{gitops.ViolationHalted}},
		{"batch commits between single ones", true, func(t *testing.T) []step {
			cart := promo("r2", "cart", "early", "r2-early", "eu-west-1")
			return []step{
				{at: 0, msg: gitops.BatchMessage([]rings.Promotion{early, cart})},
				{at: 2 * time.Hour, msg: gitops.CommitMessage(soaked(mainRing, "early", 90*time.Minute))},
				{at: 3 * time.Hour, msg: gitops.BatchMessage([]rings.Promotion{promo("r2", "cart", "main", "r2-main", "us-east-1", "us-west-2"), promo("r3", "checkout", "early", "r3-early", "eu-west-1")})},
			}
		}, nil},
		{"duplicate across a batch and a single commit", true, func(t *testing.T) []step {
			return []step{{at: 0, msg: gitops.BatchMessage([]rings.Promotion{early, promo("r2", "cart", "early", "r2-early", "eu-west-1")})},
				{at: time.Minute, msg: gitops.CommitMessage(early)}}
		}, []gitops.ViolationKind{gitops.ViolationDuplicate}},
		{"a halt covers one promotion of a batch", true, func(t *testing.T) []step {
			return []step{{at: 0, msg: "halt", files: fence(t, cartOnly)},
				{at: time.Minute, msg: gitops.BatchMessage([]rings.Promotion{early, promo("r2", "cart", "early", "r2-early", "eu-west-1")})}}
		}, []gitops.ViolationKind{gitops.ViolationHalted}},
		{"ring order inside batches", true, func(t *testing.T) []step {
			return []step{{at: 0, msg: gitops.BatchMessage([]rings.Promotion{mainRing, promo("r2", "cart", "early", "r2-early", "eu-west-1")})}}
		}, []gitops.ViolationKind{gitops.ViolationRingOrder}},
		{"rollback under a halt is allowed", true, func(t *testing.T) []step {
			return []step{{at: 0, msg: gitops.CommitMessage(early)}, {at: time.Minute, msg: "halt", files: fence(t, global)},
				{at: 2 * time.Minute, msg: gitops.CommitMessage(rollback(promo("r1", "checkout", "early", "r1-early-back", "eu-west-1")))}}
		}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			craft(t, e, c.steps(t))
			o := gitops.VerifyOptions{URL: e.url, Branch: "main", Dir: filepath.Join(t.TempDir(), "verify")}
			if c.topology {
				o.Topology = testTopology()
				o.Topology.Spec.Rings = append(o.Topology.Spec.Rings,
					topology.Ring{Name: "last", Regions: []string{"ap-south-1"}, Soak: topology.Duration(time.Hour)})
			}
			rep, err := gitops.VerifyHistory(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, v := range rep.Violations {
				got = append(got, string(v.Kind))
			}
			sort.Strings(got)
			var want []string
			for _, k := range c.want {
				want = append(want, string(k))
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("violations %v, want kinds %v: %+v", got, want, rep.Violations)
			}
		})
	}
}

// A history written by the Writer itself, ring by ring with soak evidence,
// a batch commit (checkout and cart to early) then a single one, verifies
// clean.
func TestVerifyHistoryOfWriterOutput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	now := t0
	w := e.writer(t, func(c *gitops.Config) { c.Now = func() time.Time { return now } })
	ctx := context.Background()
	early := []rings.Promotion{promotion("checkout", "early", "v2", "w-early", "eu-west-1"), promotion("cart", "early", "v2", "w-cart-early", "eu-west-1")}
	for i, r := range w.PromoteBatch(ctx, early, nil) {
		if r.Err != nil || r.Batch != 2 {
			t.Fatalf("%s: %+v, want a batch of 2", early[i].PromotionID, r)
		}
	}
	now = t0.Add(90 * time.Minute)
	p := promotion("checkout", "main", "v2", "w-main", "us-east-1", "us-west-2")
	p.PreviousRing, p.PreviousRingSoakedAt = "early", t0.Add(time.Hour)
	if _, err := w.Promote(ctx, p); err != nil {
		t.Fatal(err)
	}
	rep, err := gitops.VerifyHistory(ctx, gitops.VerifyOptions{URL: e.url, Topology: testTopology(), Dir: filepath.Join(t.TempDir(), "v")})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || rep.Promotions != 3 || rep.Commits != 3 {
		t.Errorf("report %+v, want 3 commits, 3 promotions, no violation", rep)
	}
}

// A commit in a format newer than this build stops the verification
// rather than being read as another.
func TestVerifyHistoryRefusesAnUnknownFormat(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	craft(t, e, []step{{msg: "promote\n\nRingleader-Format: 3\nRingleader-Promotion: x\n"}})
	_, err := gitops.VerifyHistory(context.Background(), gitops.VerifyOptions{URL: e.url, Dir: filepath.Join(t.TempDir(), "v")})
	if err == nil || !strings.Contains(err.Error(), `commit format "3"`) {
		t.Errorf("err = %v, want the unknown format named", err)
	}
}
