package rings

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

var mt0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

type mtStep func(t *Topology, s *State) error

func mtCreate(id, app, version, prev string) mtStep {
	return func(t *Topology, s *State) error {
		_, err := s.CreateRelease(t, id, app, version, "", "", time.Time{}, mt0, "alice", prev)
		return err
	}
}

func mtStart(id string) mtStep {
	return func(_ *Topology, s *State) error { return s.StartRelease(id, mt0) }
}

func mtPromote(id, ring string, regions ...string) mtStep {
	return func(_ *Topology, s *State) error {
		return s.MarkPromoted(id, ring, regions, PromotionID(id, ring, regions), "c1", mt0.Add(time.Minute))
	}
}

func mtSoak(id, ring string) mtStep {
	return func(_ *Topology, s *State) error { return s.StartSoak(id, ring, mt0.Add(2*time.Minute)) }
}

func mtDone(id, ring string) mtStep {
	return func(_ *Topology, s *State) error { return s.CompleteRing(id, ring, mt0.Add(3*time.Minute)) }
}

func mtFail(id, ring string) mtStep {
	return func(_ *Topology, s *State) error { return s.FailRing(id, ring, "bad", mt0.Add(3*time.Minute)) }
}

func mtRollback(id, ring string, regions ...string) mtStep {
	return func(_ *Topology, s *State) error {
		return s.MarkRolledBack(id, ring, regions, PromotionID(id, ring, regions)+"/rollback", "c2", mt0.Add(4*time.Minute))
	}
}

// mtRunning is a started release r1 of checkout 2.0 with previous version 1.0.
func mtVerify(id, ring string, regions ...string) mtStep {
	return func(_ *Topology, s *State) error { return s.VerifyRollback(id, ring, regions, mt0.Add(6*time.Minute)) }
}

func mtFailRollback(id, ring string, regions ...string) mtStep {
	return func(_ *Topology, s *State) error {
		return s.FailRollback(id, ring, regions, "still degraded", Halt{ID: "h-rb", Scope: HaltScope{Regions: regions}, Author: "ringleader", Reason: "rollback failed"}, mt0.Add(20*time.Minute))
	}
}

var mtRunning = []mtStep{mtCreate("r1", "checkout", "2.0", "1.0"), mtStart("r1"), mtBaseline("r1", "1.0")}

// mtBaseline records that every region of release id ran version in Git.
func mtBaseline(id, version string) mtStep {
	return func(_ *Topology, s *State) error {
		r := s.ReleaseByID(id)
		if r == nil {
			return ErrNotFound
		}
		var bs []RegionBaseline
		for _, name := range releaseRegions(r) {
			bs = append(bs, RegionBaseline{Region: name, Version: version})
		}
		return s.RecordBaseline(id, "base", bs, mt0)
	}
}

// mtCanaryDone is mtRunning with the canary ring done.
var mtCanaryDone = append(append([]mtStep{}, mtRunning...), mtPromote("r1", "canary", "us-east-1"), mtSoak("r1", "canary"), mtDone("r1", "canary"))

func mtRelState(s *State) string { return string(s.ReleaseByID("r1").State) }

func mtRing(ring string) func(s *State) string {
	return func(s *State) string { return string(s.ReleaseByID("r1").Ring(ring).State) }
}

func TestTransitions(t *testing.T) {
	t.Parallel()
	check := &Observation{Check: "success-rate", Value: 97, Pass: false, At: mt0}
	pass := &Observation{Check: "success-rate", Value: 99.9, Pass: true, At: mt0}
	cases := []struct {
		name    string
		prep    []mtStep
		op      mtStep
		wantErr error
		got     func(s *State) string
		want    string
	}{
		{"create fills rings in order", nil, mtCreate("r1", "checkout", "2.0", ""), nil,
			func(s *State) string {
				var b strings.Builder
				for _, rp := range s.Releases[0].Rings {
					fmt.Fprintf(&b, "%s:%s:%d ", rp.Name, rp.State, len(rp.Regions))
				}
				return b.String() + string(s.Releases[0].State) + ":" + s.Releases[0].Priority
			}, "canary:pending:1 early:pending:1 global:pending:2 scheduled:normal"},
		{"create takes previous version from newest completed release",
			[]mtStep{mtCreate("a", "checkout", "1.0", ""), mtCreate("b", "checkout", "1.1", ""), func(_ *Topology, s *State) error {
				s.Releases[0].State, s.Releases[1].State = ReleaseCompleted, ReleaseCompleted
				return nil
			}},
			mtCreate("r1", "checkout", "2.0", ""), nil,
			func(s *State) string { return s.ReleaseByID("r1").PreviousVersion }, "1.1"},
		{"create keeps an explicit previous version", nil, mtCreate("r1", "checkout", "2.0", "0.9"), nil,
			func(s *State) string { return s.ReleaseByID("r1").PreviousVersion }, "0.9"},
		{"create unknown app", nil, mtCreate("r1", "nope", "2.0", ""), ErrNotFound, nil, ""},
		{"create unknown train", nil, func(t *Topology, s *State) error {
			_, err := s.CreateRelease(t, "r1", "checkout", "2.0", "", "friday", time.Time{}, mt0, "alice", "")
			return err
		}, ErrNotFound, nil, ""},
		{"create train not carrying app", nil, func(t *Topology, s *State) error {
			_, err := s.CreateRelease(t, "r1", "ledger", "2.0", "", "tuesday", time.Time{}, mt0, "alice", "")
			return err
		}, ErrTransition, nil, ""},
		{"create duplicate id", []mtStep{mtCreate("r1", "checkout", "1.0", "")}, mtCreate("r1", "ledger", "2.0", ""), ErrConflict, nil, ""},
		{"create empty version", nil, mtCreate("r1", "checkout", " ", ""), ErrTransition, nil, ""},
		{"start scheduled", []mtStep{mtCreate("r1", "checkout", "2.0", "")}, mtStart("r1"), nil, mtRelState, "running"},
		{"start running refused", mtRunning, mtStart("r1"), ErrTransition, nil, ""},
		{"start unknown", nil, mtStart("zz"), ErrNotFound, nil, ""},
		{"set state halted", mtRunning, func(_ *Topology, s *State) error {
			return s.SetReleaseState("r1", ReleaseHalted, "halt h1", mt0)
		}, nil, func(s *State) string { return mtRelState(s) + ":" + s.ReleaseByID("r1").Reason }, "halted:halt h1"},
		{"set state completed refused", mtRunning, func(_ *Topology, s *State) error {
			return s.SetReleaseState("r1", ReleaseCompleted, "", mt0)
		}, ErrTransition, nil, ""},
		{"set state of scheduled refused", []mtStep{mtCreate("r1", "checkout", "2.0", "")}, func(_ *Topology, s *State) error {
			return s.SetReleaseState("r1", ReleaseHalted, "x", mt0)
		}, ErrTransition, nil, ""},
		{"approve pending ring", mtRunning, func(_ *Topology, s *State) error { return s.Approve("r1", "early", "bob", "looks good", mt0) }, nil,
			func(s *State) string { return s.ReleaseByID("r1").Ring("early").Approval.By }, "bob"},
		{"approve twice conflicts", append(append([]mtStep{}, mtRunning...), func(_ *Topology, s *State) error { return s.Approve("r1", "early", "bob", "", mt0) }),
			func(_ *Topology, s *State) error { return s.Approve("r1", "early", "carol", "", mt0) }, ErrConflict, nil, ""},
		{"approve done ring refused", mtCanaryDone, func(_ *Topology, s *State) error { return s.Approve("r1", "canary", "bob", "", mt0) }, ErrTransition, nil, ""},
		{"approve unknown ring", mtRunning, func(_ *Topology, s *State) error { return s.Approve("r1", "moon", "bob", "", mt0) }, ErrNotFound, nil, ""},
		{"approve aborted release refused", append(append([]mtStep{}, mtRunning...), func(_ *Topology, s *State) error { return s.Abort("r1", "bob", "no", mt0) }),
			func(_ *Topology, s *State) error { return s.Approve("r1", "early", "bob", "", mt0) }, ErrTransition, nil, ""},
		{"abort running", mtRunning, func(_ *Topology, s *State) error { return s.Abort("r1", "bob", "wrong build", mt0) }, nil, mtRelState, "aborted"},
		{"abort needs a reason", mtRunning, func(_ *Topology, s *State) error { return s.Abort("r1", "bob", "", mt0) }, ErrTransition, nil, ""},
		{"abort completed refused", []mtStep{mtCreate("r1", "checkout", "2.0", ""), func(_ *Topology, s *State) error { s.Releases[0].State = ReleaseCompleted; return nil }},
			func(_ *Topology, s *State) error { return s.Abort("r1", "bob", "x", mt0) }, ErrTransition, nil, ""},
		{"rollback request sets flag", append(append([]mtStep{}, mtRunning...), mtPromote("r1", "canary", "us-east-1")),
			func(_ *Topology, s *State) error { return s.RequestRollback("r1", "bob", "errors", mt0) }, nil,
			func(s *State) string { return fmt.Sprint(s.ReleaseByID("r1").RollbackRequested, mtRelState(s)) }, "truerunning"},
		{"rollback with nothing promoted ends at once", mtRunning,
			func(_ *Topology, s *State) error { return s.RequestRollback("r1", "bob", "errors", mt0) }, nil, mtRelState, "rolled-back"},
		{"rollback twice conflicts", append(append([]mtStep{}, mtRunning...), mtPromote("r1", "canary", "us-east-1"), func(_ *Topology, s *State) error { return s.RequestRollback("r1", "bob", "x", mt0) }),
			func(_ *Topology, s *State) error { return s.RequestRollback("r1", "bob", "x", mt0) }, ErrConflict, nil, ""},
		{"rollback without previous version refused", []mtStep{mtCreate("r1", "checkout", "2.0", ""), mtStart("r1"), mtPromote("r1", "canary", "us-east-1")},
			func(_ *Topology, s *State) error { return s.RequestRollback("r1", "bob", "x", mt0) }, ErrTransition, nil, ""},
		{"rollback with per-region previous versions", []mtStep{mtCreate("r1", "checkout", "2.0", ""), mtStart("r1"), mtPromote("r1", "canary", "us-east-1"),
			func(_ *Topology, s *State) error {
				s.Releases[0].PreviousVersions = map[string]string{"us-east-1": "1.9"}
				return nil
			}},
			func(_ *Topology, s *State) error { return s.RequestRollback("r1", "bob", "x", mt0) }, nil,
			func(s *State) string { return fmt.Sprint(s.ReleaseByID("r1").RollbackRequested) }, "true"},
		{"rollback of aborted refused", append(append([]mtStep{}, mtRunning...), func(_ *Topology, s *State) error { return s.Abort("r1", "bob", "no", mt0) }),
			func(_ *Topology, s *State) error { return s.RequestRollback("r1", "bob", "x", mt0) }, ErrTransition, nil, ""},
		{"complete with rings left refused", mtCanaryDone, func(_ *Topology, s *State) error { return s.CompleteRelease("r1", mt0) }, ErrTransition, nil, ""},
		{"complete after every ring", append(append([]mtStep{}, mtCanaryDone...),
			mtPromote("r1", "early", "eu-west-1"), mtSoak("r1", "early"), mtDone("r1", "early"),
			mtPromote("r1", "global", "ap-northeast-1", "us-west-2"), mtSoak("r1", "global"), mtDone("r1", "global")),
			func(_ *Topology, s *State) error { return s.CompleteRelease("r1", mt0) }, nil, mtRelState, "completed"},
		{"promote skipping a ring refused", mtCanaryDone, mtPromote("r1", "global", "us-west-2"), ErrTransition, nil, ""},
		{"promote one region of global", append(append([]mtStep{}, mtCanaryDone...), mtPromote("r1", "early", "eu-west-1"), mtSoak("r1", "early"), mtDone("r1", "early")),
			mtPromote("r1", "global", "us-west-2"), nil, mtRing("global"), "promoting"},
		{"promote whole ring syncs", mtRunning, mtPromote("r1", "canary", "us-east-1"), nil, mtRing("canary"), "syncing"},
		{"promote same id twice is a no-op", append(append([]mtStep{}, mtRunning...), mtPromote("r1", "canary", "us-east-1")),
			mtPromote("r1", "canary", "us-east-1"), nil,
			func(s *State) string {
				return s.ReleaseByID("r1").Ring("canary").Regions[0].PromotedAt.Format(time.RFC3339)
			}, "2026-12-01T10:01:00Z"},
		{"promote region again with another id conflicts", append(append([]mtStep{}, mtRunning...), mtPromote("r1", "canary", "us-east-1")),
			func(_ *Topology, s *State) error {
				return s.MarkPromoted("r1", "canary", []string{"us-east-1"}, "other", "c9", mt0)
			}, ErrTransition, nil, ""},
		{"promote before previous ring done refused", mtRunning, mtPromote("r1", "early", "eu-west-1"), ErrTransition, nil, ""},
		{"promote unknown region", mtRunning, mtPromote("r1", "canary", "mars-1"), ErrNotFound, nil, ""},
		{"promote scheduled release refused", []mtStep{mtCreate("r1", "checkout", "2.0", "")}, mtPromote("r1", "canary", "us-east-1"), ErrTransition, nil, ""},
		{"observe failing check counts", append(append([]mtStep{}, mtRunning...), mtPromote("r1", "canary", "us-east-1"), mtSoak("r1", "canary")),
			func(_ *Topology, s *State) error {
				return s.Observe("r1", "canary", "us-east-1", true, false, "low", check, mt0)
			}, nil, func(s *State) string { return fmt.Sprint(s.ReleaseByID("r1").Ring("canary").ConsecutiveFailures) }, "1"},
		{"observe passing check resets", append(append([]mtStep{}, mtRunning...), mtPromote("r1", "canary", "us-east-1"), mtSoak("r1", "canary"),
			func(_ *Topology, s *State) error {
				return s.Observe("r1", "canary", "us-east-1", true, false, "", check, mt0)
			}),
			func(_ *Topology, s *State) error {
				return s.Observe("r1", "canary", "us-east-1", true, true, "", pass, mt0)
			}, nil, func(s *State) string { return fmt.Sprint(s.ReleaseByID("r1").Ring("canary").ConsecutiveFailures) }, "0"},
		{"observe unhealthy while soaking counts", append(append([]mtStep{}, mtRunning...), mtPromote("r1", "canary", "us-east-1"), mtSoak("r1", "canary")),
			func(_ *Topology, s *State) error {
				return s.Observe("r1", "canary", "us-east-1", true, false, "Degraded", nil, mt0)
			}, nil, func(s *State) string { return fmt.Sprint(s.ReleaseByID("r1").Ring("canary").ConsecutiveFailures) }, "1"},
		{"observe unhealthy while syncing does not count", append(append([]mtStep{}, mtRunning...), mtPromote("r1", "canary", "us-east-1")),
			func(_ *Topology, s *State) error {
				return s.Observe("r1", "canary", "us-east-1", false, false, "Progressing", nil, mt0)
			}, nil, func(s *State) string {
				rp := s.ReleaseByID("r1").Ring("canary")
				return fmt.Sprint(rp.ConsecutiveFailures, rp.Regions[0].Reason)
			}, "0Progressing"},
		{"observe pending ring refused", mtRunning, func(_ *Topology, s *State) error {
			return s.Observe("r1", "early", "eu-west-1", true, true, "", nil, mt0)
		}, ErrTransition, nil, ""},
		{"observe unknown region", append(append([]mtStep{}, mtRunning...), mtPromote("r1", "canary", "us-east-1")), func(_ *Topology, s *State) error {
			return s.Observe("r1", "canary", "eu-west-1", true, true, "", nil, mt0)
		}, ErrNotFound, nil, ""},
		{"start soak", append(append([]mtStep{}, mtRunning...), mtPromote("r1", "canary", "us-east-1")), mtSoak("r1", "canary"), nil,
			func(s *State) string { return s.ReleaseByID("r1").Ring("canary").SoakStartedAt.Format(time.RFC3339) }, "2026-12-01T10:02:00Z"},
		{"start soak of pending refused", mtRunning, mtSoak("r1", "canary"), ErrTransition, nil, ""},
		{"complete ring", append(append([]mtStep{}, mtRunning...), mtPromote("r1", "canary", "us-east-1"), mtSoak("r1", "canary")), mtDone("r1", "canary"), nil, mtRing("canary"), "done"},
		{"complete syncing ring refused", append(append([]mtStep{}, mtRunning...), mtPromote("r1", "canary", "us-east-1")), mtDone("r1", "canary"), ErrTransition, nil, ""},
		{"fail syncing ring", append(append([]mtStep{}, mtRunning...), mtPromote("r1", "canary", "us-east-1")), mtFail("r1", "canary"), nil,
			func(s *State) string { return mtRing("canary")(s) + ":" + s.ReleaseByID("r1").Ring("canary").Reason }, "failed:bad"},
		{"fail pending ring refused", mtRunning, mtFail("r1", "canary"), ErrTransition, nil, ""},
		{"fail done ring refused", mtCanaryDone, mtFail("r1", "canary"), ErrTransition, nil, ""},
		{"rollback commit of a failed ring does not end the release", append(append([]mtStep{}, mtRunning...), mtPromote("r1", "canary", "us-east-1"), mtFail("r1", "canary")),
			mtRollback("r1", "canary", "us-east-1"), nil, func(s *State) string { return mtRing("canary")(s) + ":" + mtRelState(s) }, "rolling-back:running"},
		{"verified rollback ends the release", append(append([]mtStep{}, mtRunning...), mtPromote("r1", "canary", "us-east-1"), mtFail("r1", "canary"), mtRollback("r1", "canary", "us-east-1")),
			mtVerify("r1", "canary", "us-east-1"), nil, func(s *State) string { return mtRing("canary")(s) + ":" + mtRelState(s) }, "rolled-back:rolled-back"},
		{"failed rollback ends rollback-failed with the region halted", append(append([]mtStep{}, mtRunning...), mtPromote("r1", "canary", "us-east-1"), mtFail("r1", "canary"), mtRollback("r1", "canary", "us-east-1")),
			mtFailRollback("r1", "canary", "us-east-1"), nil, func(s *State) string {
				h := s.haltByID("h-rb")
				return mtRing("canary")(s) + ":" + mtRelState(s) + ":" + fmt.Sprint(h != nil && h.Active() && h.Auto && h.Scope.Covers("any", "any", "any", []string{"us-east-1"}))
			}, "rolled-back:rollback-failed:true"},
		{"verify before the rollback landed refused", append(append([]mtStep{}, mtRunning...), mtPromote("r1", "canary", "us-east-1"), mtFail("r1", "canary")),
			mtVerify("r1", "canary", "us-east-1"), ErrTransition, nil, ""},
		{"verify after the rollback failed refused", append(append([]mtStep{}, mtRunning...), mtPromote("r1", "canary", "us-east-1"), mtFail("r1", "canary"), mtRollback("r1", "canary", "us-east-1"), mtFailRollback("r1", "canary", "us-east-1")),
			mtVerify("r1", "canary", "us-east-1"), ErrTransition, nil, ""},
		{"rolled back twice is a no-op", append(append([]mtStep{}, mtRunning...), mtPromote("r1", "canary", "us-east-1"), mtFail("r1", "canary"), mtRollback("r1", "canary", "us-east-1")),
			mtRollback("r1", "canary", "us-east-1"), nil, mtRing("canary"), "rolling-back"},
		{"rollback of healthy ring without request refused", append(append([]mtStep{}, mtRunning...), mtPromote("r1", "canary", "us-east-1")),
			mtRollback("r1", "canary", "us-east-1"), ErrTransition, nil, ""},
		{"requested rollback waits for every ring", append(append([]mtStep{}, mtCanaryDone...), mtPromote("r1", "early", "eu-west-1"),
			func(_ *Topology, s *State) error { return s.RequestRollback("r1", "bob", "x", mt0) }),
			mtRollback("r1", "early", "eu-west-1"), nil, func(s *State) string { return mtRing("early")(s) + ":" + mtRelState(s) }, "rolling-back:running"},
		{"rollback of unpromoted region refused", append(append([]mtStep{}, mtCanaryDone...), mtPromote("r1", "early", "eu-west-1"),
			func(_ *Topology, s *State) error { return s.RequestRollback("r1", "bob", "x", mt0) }),
			mtRollback("r1", "global", "us-west-2"), ErrTransition, nil, ""},
		{"place halt", nil, func(_ *Topology, s *State) error {
			return s.PlaceHalt(Halt{ID: "h1", Scope: HaltScope{Global: true}, Author: "ic", Reason: "incident", CreatedAt: mt0})
		}, nil, func(s *State) string { return fmt.Sprint(len(s.Halts), s.Halts[0].Active()) }, "1 true"},
		{"place halt empty scope", nil, func(_ *Topology, s *State) error {
			return s.PlaceHalt(Halt{ID: "h1", Author: "ic", Reason: "incident"})
		}, ErrTransition, nil, ""},
		{"place halt without reason", nil, func(_ *Topology, s *State) error {
			return s.PlaceHalt(Halt{ID: "h1", Scope: HaltScope{Global: true}, Author: "ic"})
		}, ErrTransition, nil, ""},
		{"place halt duplicate id", []mtStep{func(_ *Topology, s *State) error {
			return s.PlaceHalt(Halt{ID: "h1", Scope: HaltScope{Global: true}, Reason: "x"})
		}}, func(_ *Topology, s *State) error {
			return s.PlaceHalt(Halt{ID: "h1", Scope: HaltScope{Apps: []string{"a"}}, Reason: "y"})
		}, ErrConflict, nil, ""},
		{"resume halt", []mtStep{func(_ *Topology, s *State) error {
			return s.PlaceHalt(Halt{ID: "h1", Scope: HaltScope{Global: true}, Reason: "x"})
		}}, func(_ *Topology, s *State) error { return s.ResumeHalt("h1", "ic", "fixed", mt0) }, nil,
			func(s *State) string { return fmt.Sprint(s.Halts[0].Active(), s.Halts[0].ResumedBy) }, "falseic"},
		{"resume resumed halt conflicts", []mtStep{func(_ *Topology, s *State) error {
			return s.PlaceHalt(Halt{ID: "h1", Scope: HaltScope{Global: true}, Reason: "x"})
		}, func(_ *Topology, s *State) error { return s.ResumeHalt("h1", "ic", "fixed", mt0) }},
			func(_ *Topology, s *State) error { return s.ResumeHalt("h1", "ic", "again", mt0) }, ErrConflict, nil, ""},
		{"resume unknown halt", nil, func(_ *Topology, s *State) error { return s.ResumeHalt("h9", "ic", "x", mt0) }, ErrNotFound, nil, ""},
		{"record budget", nil, func(_ *Topology, s *State) error {
			s.RecordBudget(Budget{Region: "eu-west-1", RemainingPercent: 40})
			return nil
		}, nil, func(s *State) string { return fmt.Sprint(s.Budgets["eu-west-1"].RemainingPercent) }, "40"},
	}
	top := fxTopology(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := &State{}
			for i, step := range tc.prep {
				if err := step(top, s); err != nil {
					t.Fatalf("prep step %d: %v", i, err)
				}
			}
			before, _ := json.Marshal(s)
			err := tc.op(top, s)
			if tc.wantErr != nil {
				after, _ := json.Marshal(s)
				if !errors.Is(err, tc.wantErr) || string(before) != string(after) {
					t.Fatalf("err = %v (want %v), state changed = %v", err, tc.wantErr, string(before) != string(after))
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if got := tc.got(s); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCloneIsDeep(t *testing.T) {
	t.Parallel()
	top := fxTopology(t)
	s := &State{}
	for _, step := range append(append([]mtStep{}, mtCanaryDone...), func(_ *Topology, s *State) error {
		if err := s.Approve("r1", "early", "bob", "", mt0); err != nil {
			return err
		}
		s.RecordBudget(Budget{Region: "eu-west-1", RemainingPercent: 40})
		return s.PlaceHalt(Halt{ID: "h1", Scope: HaltScope{Regions: []string{"eu-west-1"}}, Reason: "x"})
	}) {
		if err := step(top, s); err != nil {
			t.Fatal(err)
		}
	}
	c := s.Clone()
	if !reflect.DeepEqual(s, c) {
		t.Fatal("clone differs from original")
	}
	c.Releases[0].Rings[0].Regions[0].Name = "changed"
	c.Releases[0].Rings[1].Approval.By = "changed"
	c.Halts[0].Scope.Regions[0] = "changed"
	c.Budgets["eu-west-1"] = Budget{}
	c.Releases[0].State = ReleaseAborted
	o := s.Releases[0]
	if o.Rings[0].Regions[0].Name != "us-east-1" || o.Rings[1].Approval.By != "bob" || s.Halts[0].Scope.Regions[0] != "eu-west-1" ||
		s.Budgets["eu-west-1"].RemainingPercent != 40 || o.State != ReleaseRunning {
		t.Fatal("mutating the clone changed the original")
	}
}
