package rings_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/ringstest"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// shareBase is a state with something of every kind: r1 running with its
// canary promoted and soaking, r2 scheduled, r3 completed, two halts (one
// resumed) and a budget.
func shareBase(t *testing.T, top *topology.Topology) *rings.State {
	t.Helper()
	s := &rings.State{}
	steps := ringstest.After(ringstest.Running,
		ringstest.Promote("r1", "canary", "us-east-1"), ringstest.Soak("r1", "canary"),
		ringstest.Create("r2", "ledger", "5.0", "4.0"),
		ringstest.Create("r3", "checkout", "1.5", "1.0"), ringstest.Start("r3"),
		ringstest.On(func(s *rings.State) error {
			r := s.ReleaseByID("r3")
			for i := range r.Rings {
				r.Rings[i].State = rings.RingDone
			}
			return s.CompleteRelease("r3", ringstest.T0)
		}),
		ringstest.On(func(s *rings.State) error {
			s.RecordBudget(rings.Budget{Region: "eu-west-1", RemainingPercent: 40})
			if err := s.PlaceHalt(rings.Halt{ID: "h-old", Scope: rings.HaltScope{Regions: []string{"eu-west-1"}}, Reason: "drill"}); err != nil {
				return err
			}
			if err := s.ResumeHalt("h-old", "ic", "over", ringstest.T0); err != nil {
				return err
			}
			return s.PlaceHalt(rings.Halt{ID: "h1", Scope: rings.HaltScope{Apps: []string{"ledger"}}, Reason: "hold ledger"})
		}))
	ringstest.Apply(t, top, s, steps...)
	return s
}

// shareSteps is one change of every kind the state knows.
func shareSteps() map[string]ringstest.Step {
	at := ringstest.T0.Add(time.Hour)
	return map[string]ringstest.Step{
		"create release": ringstest.Create("r4", "checkout", "3.0", ""),
		"start release":  ringstest.Start("r2"),
		"set state": ringstest.On(func(s *rings.State) error {
			return s.SetReleaseState("r1", rings.ReleaseHalted, "waiting", at)
		}),
		"approve": ringstest.On(func(s *rings.State) error { return s.Approve("r1", "early", "bob", "ok", at) }),
		"abort":   ringstest.On(func(s *rings.State) error { return s.Abort("r1", "bob", "wrong build", at) }),
		"request rollback": ringstest.On(func(s *rings.State) error {
			return s.RequestRollback("r1", "bob", "bad", at)
		}),
		"promote": func(top *topology.Topology, s *rings.State) error {
			if err := ringstest.Done("r1", "canary")(top, s); err != nil {
				return err
			}
			return ringstest.Promote("r1", "early", "eu-west-1")(top, s)
		},
		"observe": ringstest.On(func(s *rings.State) error {
			return s.Observe("r1", "canary", "us-east-1", true, false, "5xx", &rings.Observation{Check: "errors", Pass: false, At: at}, at)
		}),
		"complete ring": ringstest.Done("r1", "canary"),
		"fail ring":     ringstest.Fail("r1", "canary"),
		"roll back": func(top *topology.Topology, s *rings.State) error {
			if err := ringstest.Fail("r1", "canary")(top, s); err != nil {
				return err
			}
			return ringstest.Rollback("r1", "canary", "us-east-1")(top, s)
		},
		"complete release": ringstest.On(func(s *rings.State) error {
			return s.RequestRollback("r3", "bob", "regressed", at)
		}),
		"place halt": ringstest.On(func(s *rings.State) error {
			return s.PlaceHalt(rings.Halt{ID: "h2", Scope: rings.HaltScope{Global: true}, Reason: "incident"})
		}),
		"resume halt": ringstest.On(func(s *rings.State) error { return s.ResumeHalt("h1", "ic", "fixed", at) }),
		"forget resumed halts": ringstest.On(func(s *rings.State) error {
			for i := range rings.KeepResumedHalts + 1 {
				id := fmt.Sprintf("f%d", i)
				if err := s.PlaceHalt(rings.Halt{ID: id, Scope: rings.HaltScope{Global: true}, Reason: "drill"}); err != nil {
					return err
				}
				if err := s.ResumeHalt(id, "ic", "over", at); err != nil {
					return err
				}
			}
			return nil
		}),
		"record baseline": ringstest.On(func(s *rings.State) error {
			return s.RecordBaseline("r2", "c0", []rings.RegionBaseline{
				{Region: "us-east-1", Version: "4.0"}, {Region: "eu-west-1", Version: "4.0"}, {Region: "us-west-2", Version: "3.9"},
				{Region: "ap-northeast-1", Targets: []rings.TargetValue{{File: "a.yaml", Target: "yamlPath image.tag", Value: "4.0"}}},
			}, at)
		}),
		"record budget": ringstest.On(func(s *rings.State) error {
			s.RecordBudget(rings.Budget{Region: "eu-west-1", RemainingPercent: 10})
			return nil
		}),
		"record promotion retry": func(top *topology.Topology, s *rings.State) error {
			if err := ringstest.Done("r1", "canary")(top, s); err != nil {
				return err
			}
			return s.RecordPromotionRetry("r1", "early", rings.PromotionRetry{PromotionID: "p", Attempt: 1, Error: "dial", NextAttemptAt: at.Add(time.Second)}, at)
		},
		"fail promotion": func(top *topology.Topology, s *rings.State) error {
			if err := ringstest.Done("r1", "canary")(top, s); err != nil {
				return err
			}
			return s.FailPromotion("r1", "early", "p", "file x: gone", at)
		},
		"fail rollback": func(top *topology.Topology, s *rings.State) error {
			if err := ringstest.Fail("r1", "canary")(top, s); err != nil {
				return err
			}
			return s.FailRollbackWrite("r1", "canary", "p/rollback", "push refused", at)
		},
	}
}

// A view never shows a change made to the state after it was taken, for
// every kind of change, and a change made through a view's transitions
// never reaches the state.
func TestViewIsUnchangedByLaterTransitions(t *testing.T) {
	t.Parallel()
	top := ringstest.Topology(t)
	for name, step := range shareSteps() {
		t.Run(name, func(t *testing.T) {
			s := shareBase(t, top)
			v := s.View()
			before := ringstest.JSON(t, v)
			if err := step(top, s); err != nil {
				t.Fatalf("step: %v", err)
			}
			if ringstest.JSON(t, s) == before {
				t.Fatal("the step changed nothing: it does not test the view")
			}
			if got := ringstest.JSON(t, v); got != before {
				t.Fatalf("the view changed with the state:\nbefore %s\nafter  %s", before, got)
			}
			// The other way round: the view's own transitions copy too.
			s2 := shareBase(t, top)
			v2 := s2.View()
			orig := ringstest.JSON(t, s2)
			if err := step(top, v2); err != nil {
				t.Fatalf("step on the view: %v", err)
			}
			if got := ringstest.JSON(t, s2); got != orig {
				t.Fatalf("a transition on the view changed the state:\nbefore %s\nafter  %s", orig, got)
			}
		})
	}
}

// A view copies the list of releases and nothing else; a release is copied
// once by the first change after a view, then changed in place.
func TestViewCopiesReleasesOnlyOnceAfterAView(t *testing.T) {
	t.Parallel()
	top := ringstest.Topology(t)
	s := shareBase(t, top)
	r1 := s.ReleaseByID("r1")
	observe := func() {
		t.Helper()
		if err := s.Observe("r1", "canary", "us-east-1", true, true, "", nil, ringstest.T0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	observe()
	if s.ReleaseByID("r1") != r1 {
		t.Fatal("a change with no view taken copied the release")
	}
	v := s.View()
	if v.ReleaseByID("r1") != r1 || &v.Halts[0] != &s.Halts[0] {
		t.Fatal("the view copied a release or the halts")
	}
	observe()
	copied := s.ReleaseByID("r1")
	if copied == r1 {
		t.Fatal("the first change after a view did not copy the release")
	}
	observe()
	if s.ReleaseByID("r1") != copied {
		t.Fatal("a second change before the next view copied the release again")
	}
	if s.ReleaseByID("r2") != v.ReleaseByID("r2") {
		t.Fatal("an unchanged release was copied")
	}
	// A deep clone owns everything: changes to it copy nothing.
	c := s.Clone()
	cr := c.ReleaseByID("r1")
	if err := c.Observe("r1", "canary", "us-east-1", true, true, "", nil, ringstest.T0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if c.ReleaseByID("r1") != cr {
		t.Fatal("a change to a clone copied its release")
	}
}
