package rings

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

// shareBase is a state with something of every kind: r1 running with its
// canary promoted and soaking, r2 scheduled, r3 completed, two halts (one
// resumed) and a budget.
func shareBase(t *testing.T, top *Topology) *State {
	t.Helper()
	s := &State{}
	steps := append(append([]mtStep{}, mtRunning...),
		mtPromote("r1", "canary", "us-east-1"), mtSoak("r1", "canary"),
		mtCreate("r2", "ledger", "5.0", "4.0"),
		mtCreate("r3", "checkout", "1.5", "1.0"), mtStart("r3"),
		func(_ *Topology, s *State) error {
			r := s.ReleaseByID("r3")
			for i := range r.Rings {
				r.Rings[i].State = RingDone
			}
			return s.CompleteRelease("r3", mt0)
		},
		func(_ *Topology, s *State) error {
			s.RecordBudget(Budget{Region: "eu-west-1", RemainingPercent: 40})
			if err := s.PlaceHalt(Halt{ID: "h-old", Scope: HaltScope{Regions: []string{"eu-west-1"}}, Reason: "drill"}); err != nil {
				return err
			}
			if err := s.ResumeHalt("h-old", "ic", "over", mt0); err != nil {
				return err
			}
			return s.PlaceHalt(Halt{ID: "h1", Scope: HaltScope{Apps: []string{"ledger"}}, Reason: "hold ledger"})
		})
	for i, step := range steps {
		if err := step(top, s); err != nil {
			t.Fatalf("base step %d: %v", i, err)
		}
	}
	return s
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// shareSteps is one change of every kind the state knows.
func shareSteps() map[string]mtStep {
	at := mt0.Add(time.Hour)
	return map[string]mtStep{
		"create release": mtCreate("r4", "checkout", "3.0", ""),
		"start release":  mtStart("r2"),
		"set state":      func(_ *Topology, s *State) error { return s.SetReleaseState("r1", ReleaseHalted, "waiting", at) },
		"approve":        func(_ *Topology, s *State) error { return s.Approve("r1", "early", "bob", "ok", at) },
		"abort":          func(_ *Topology, s *State) error { return s.Abort("r1", "bob", "wrong build", at) },
		"request rollback": func(_ *Topology, s *State) error {
			return s.RequestRollback("r1", "bob", "bad", at)
		},
		"promote": func(top *Topology, s *State) error {
			if err := mtDone("r1", "canary")(top, s); err != nil {
				return err
			}
			return mtPromote("r1", "early", "eu-west-1")(top, s)
		},
		"observe": func(_ *Topology, s *State) error {
			return s.Observe("r1", "canary", "us-east-1", true, false, "5xx", &Observation{Check: "errors", Pass: false, At: at}, at)
		},
		"complete ring": mtDone("r1", "canary"),
		"fail ring":     mtFail("r1", "canary"),
		"roll back": func(top *Topology, s *State) error {
			if err := mtFail("r1", "canary")(top, s); err != nil {
				return err
			}
			return mtRollback("r1", "canary", "us-east-1")(top, s)
		},
		"complete release": func(_ *Topology, s *State) error { return s.RequestRollback("r3", "bob", "regressed", at) },
		"place halt": func(_ *Topology, s *State) error {
			return s.PlaceHalt(Halt{ID: "h2", Scope: HaltScope{Global: true}, Reason: "incident"})
		},
		"resume halt": func(_ *Topology, s *State) error { return s.ResumeHalt("h1", "ic", "fixed", at) },
		"forget resumed halts": func(_ *Topology, s *State) error {
			for i := range KeepResumedHalts + 1 {
				id := fmt.Sprintf("f%d", i)
				if err := s.PlaceHalt(Halt{ID: id, Scope: HaltScope{Global: true}, Reason: "drill"}); err != nil {
					return err
				}
				if err := s.ResumeHalt(id, "ic", "over", at); err != nil {
					return err
				}
			}
			return nil
		},
		"record baseline": func(_ *Topology, s *State) error {
			return s.RecordBaseline("r2", "c0", []RegionBaseline{
				{Region: "us-east-1", Version: "4.0"}, {Region: "eu-west-1", Version: "4.0"}, {Region: "us-west-2", Version: "3.9"},
				{Region: "ap-northeast-1", Targets: []TargetValue{{File: "a.yaml", Target: "yamlPath image.tag", Value: "4.0"}}},
			}, at)
		},
		"record budget": func(_ *Topology, s *State) error {
			s.RecordBudget(Budget{Region: "eu-west-1", RemainingPercent: 10})
			return nil
		},
		"record promotion retry": func(top *Topology, s *State) error {
			if err := mtDone("r1", "canary")(top, s); err != nil {
				return err
			}
			return s.RecordPromotionRetry("r1", "early", PromotionRetry{PromotionID: "p", Attempt: 1, Error: "dial", NextAttemptAt: at.Add(time.Second)}, at)
		},
		"fail promotion": func(top *Topology, s *State) error {
			if err := mtDone("r1", "canary")(top, s); err != nil {
				return err
			}
			return s.FailPromotion("r1", "early", "p", "file x: gone", at)
		},
		"fail rollback": func(top *Topology, s *State) error {
			if err := mtFail("r1", "canary")(top, s); err != nil {
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
	top := fxTopology(t)
	for name, step := range shareSteps() {
		t.Run(name, func(t *testing.T) {
			s := shareBase(t, top)
			v := s.View()
			before := mustJSON(t, v)
			if err := step(top, s); err != nil {
				t.Fatalf("step: %v", err)
			}
			if mustJSON(t, s) == before {
				t.Fatal("the step changed nothing: it does not test the view")
			}
			if got := mustJSON(t, v); got != before {
				t.Fatalf("the view changed with the state:\nbefore %s\nafter  %s", before, got)
			}
			// The other way round: the view's own transitions copy too.
			s2 := shareBase(t, top)
			v2 := s2.View()
			orig := mustJSON(t, s2)
			if err := step(top, v2); err != nil {
				t.Fatalf("step on the view: %v", err)
			}
			if got := mustJSON(t, s2); got != orig {
				t.Fatalf("a transition on the view changed the state:\nbefore %s\nafter  %s", orig, got)
			}
		})
	}
}

// A view copies the list of releases and nothing else; a release is copied
// once by the first change after a view, then changed in place.
func TestViewCopiesReleasesOnlyOnceAfterAView(t *testing.T) {
	t.Parallel()
	top := fxTopology(t)
	s := shareBase(t, top)
	r1 := s.ReleaseByID("r1")
	observe := func() {
		t.Helper()
		if err := s.Observe("r1", "canary", "us-east-1", true, true, "", nil, mt0.Add(time.Hour)); err != nil {
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
	if err := c.Observe("r1", "canary", "us-east-1", true, true, "", nil, mt0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if c.ReleaseByID("r1") != cr {
		t.Fatal("a change to a clone copied its release")
	}
}
