package rings_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/ringstest"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

func mtRelState(s *rings.State) string { return string(s.ReleaseByID("r1").State) }

func mtRing(ring string) func(s *rings.State) string {
	return func(s *rings.State) string { return string(s.ReleaseByID("r1").Ring(ring).State) }
}

func TestTransitions(t *testing.T) {
	t.Parallel()
	check := &rings.Observation{Check: "success-rate", Value: 97, Pass: false, At: ringstest.T0}
	pass := &rings.Observation{Check: "success-rate", Value: 99.9, Pass: true, At: ringstest.T0}
	cases := []struct {
		name    string
		prep    []ringstest.Step
		op      ringstest.Step
		wantErr error
		got     func(s *rings.State) string
		want    string
	}{
		{"create fills rings in order", nil, ringstest.Create("r1", "checkout", "2.0", ""), nil,
			func(s *rings.State) string {
				var b strings.Builder
				for _, rp := range s.Releases[0].Rings {
					fmt.Fprintf(&b, "%s:%s:%d ", rp.Name, rp.State, len(rp.Regions))
				}
				return b.String() + string(s.Releases[0].State) + ":" + s.Releases[0].Priority
			}, "canary:pending:1 early:pending:1 global:pending:2 scheduled:normal"},
		{"create takes previous version from newest completed release",
			[]ringstest.Step{ringstest.Create("a", "checkout", "1.0", ""), ringstest.Create("b", "checkout", "1.1", ""), ringstest.On(func(s *rings.State) error {
				s.Releases[0].State, s.Releases[1].State = rings.ReleaseCompleted, rings.ReleaseCompleted
				return nil
			})},
			ringstest.Create("r1", "checkout", "2.0", ""), nil,
			func(s *rings.State) string { return s.ReleaseByID("r1").PreviousVersion }, "1.1"},
		{"create keeps an explicit previous version", nil, ringstest.Create("r1", "checkout", "2.0", "0.9"), nil,
			func(s *rings.State) string { return s.ReleaseByID("r1").PreviousVersion }, "0.9"},
		{"create unknown app", nil, ringstest.Create("r1", "nope", "2.0", ""), rings.ErrNotFound, nil, ""},
		{"create unknown train", nil, func(t *topology.Topology, s *rings.State) error {
			_, err := s.CreateRelease(t, "r1", "checkout", "2.0", "", "friday", time.Time{}, ringstest.T0, "alice", "")
			return err
		}, rings.ErrNotFound, nil, ""},
		{"create train not carrying app", nil, func(t *topology.Topology, s *rings.State) error {
			_, err := s.CreateRelease(t, "r1", "ledger", "2.0", "", "tuesday", time.Time{}, ringstest.T0, "alice", "")
			return err
		}, rings.ErrTransition, nil, ""},
		{"create duplicate id", []ringstest.Step{ringstest.Create("r1", "checkout", "1.0", "")}, ringstest.Create("r1", "ledger", "2.0", ""), rings.ErrConflict, nil, ""},
		{"create empty version", nil, ringstest.Create("r1", "checkout", " ", ""), rings.ErrTransition, nil, ""},
		{"start scheduled", []ringstest.Step{ringstest.Create("r1", "checkout", "2.0", "")}, ringstest.Start("r1"), nil, mtRelState, "running"},
		{"start running refused", ringstest.Running, ringstest.Start("r1"), rings.ErrTransition, nil, ""},
		{"start unknown", nil, ringstest.Start("zz"), rings.ErrNotFound, nil, ""},
		{"set state halted", ringstest.Running, ringstest.On(func(s *rings.State) error {
			return s.SetReleaseState("r1", rings.ReleaseHalted, "halt h1", ringstest.T0)
		}), nil, func(s *rings.State) string { return mtRelState(s) + ":" + s.ReleaseByID("r1").Reason }, "halted:halt h1"},
		{"set state completed refused", ringstest.Running, ringstest.On(func(s *rings.State) error {
			return s.SetReleaseState("r1", rings.ReleaseCompleted, "", ringstest.T0)
		}), rings.ErrTransition, nil, ""},
		{"set state of scheduled refused", []ringstest.Step{ringstest.Create("r1", "checkout", "2.0", "")}, ringstest.On(func(s *rings.State) error {
			return s.SetReleaseState("r1", rings.ReleaseHalted, "x", ringstest.T0)
		}), rings.ErrTransition, nil, ""},
		{"approve pending ring", ringstest.Running, ringstest.On(func(s *rings.State) error {
			return s.Approve("r1", "early", "bob", "looks good", ringstest.T0)
		}), nil,
			func(s *rings.State) string { return s.ReleaseByID("r1").Ring("early").Approval.By }, "bob"},
		{"approve twice conflicts", ringstest.After(ringstest.Running, ringstest.On(func(s *rings.State) error {
			return s.Approve("r1", "early", "bob", "", ringstest.T0)
		})),
			ringstest.On(func(s *rings.State) error {
				return s.Approve("r1", "early", "carol", "", ringstest.T0)
			}), rings.ErrConflict, nil, ""},
		{"approve done ring refused", ringstest.CanaryDone, ringstest.On(func(s *rings.State) error {
			return s.Approve("r1", "canary", "bob", "", ringstest.T0)
		}), rings.ErrTransition, nil, ""},
		{"approve unknown ring", ringstest.Running, ringstest.On(func(s *rings.State) error {
			return s.Approve("r1", "moon", "bob", "", ringstest.T0)
		}), rings.ErrNotFound, nil, ""},
		{"approve aborted release refused", ringstest.After(ringstest.Running, ringstest.On(func(s *rings.State) error { return s.Abort("r1", "bob", "no", ringstest.T0) })),
			ringstest.On(func(s *rings.State) error {
				return s.Approve("r1", "early", "bob", "", ringstest.T0)
			}), rings.ErrTransition, nil, ""},
		{"abort running", ringstest.Running, ringstest.On(func(s *rings.State) error {
			return s.Abort("r1", "bob", "wrong build", ringstest.T0)
		}), nil, mtRelState, "aborted"},
		{"abort needs a reason", ringstest.Running, ringstest.On(func(s *rings.State) error { return s.Abort("r1", "bob", "", ringstest.T0) }), rings.ErrTransition, nil, ""},
		{"abort completed refused", []ringstest.Step{ringstest.Create("r1", "checkout", "2.0", ""), ringstest.On(func(s *rings.State) error {
			s.Releases[0].State = rings.ReleaseCompleted
			return nil
		})},
			ringstest.On(func(s *rings.State) error { return s.Abort("r1", "bob", "x", ringstest.T0) }), rings.ErrTransition, nil, ""},
		{"rollback request sets flag", ringstest.After(ringstest.Running, ringstest.Promote("r1", "canary", "us-east-1")),
			ringstest.On(func(s *rings.State) error {
				return s.RequestRollback("r1", "bob", "errors", ringstest.T0)
			}), nil,
			func(s *rings.State) string { return fmt.Sprint(s.ReleaseByID("r1").RollbackRequested, mtRelState(s)) }, "truerunning"},
		{"rollback with nothing promoted ends at once", ringstest.Running,
			ringstest.On(func(s *rings.State) error {
				return s.RequestRollback("r1", "bob", "errors", ringstest.T0)
			}), nil, mtRelState, "rolled-back"},
		{"rollback twice conflicts", ringstest.After(ringstest.Running, ringstest.Promote("r1", "canary", "us-east-1"), ringstest.On(func(s *rings.State) error {
			return s.RequestRollback("r1", "bob", "x", ringstest.T0)
		})),
			ringstest.On(func(s *rings.State) error {
				return s.RequestRollback("r1", "bob", "x", ringstest.T0)
			}), rings.ErrConflict, nil, ""},
		{"rollback without previous version refused", []ringstest.Step{ringstest.Create("r1", "checkout", "2.0", ""), ringstest.Start("r1"), ringstest.Promote("r1", "canary", "us-east-1")},
			ringstest.On(func(s *rings.State) error {
				return s.RequestRollback("r1", "bob", "x", ringstest.T0)
			}), rings.ErrTransition, nil, ""},
		{"rollback with per-region previous versions", []ringstest.Step{ringstest.Create("r1", "checkout", "2.0", ""), ringstest.Start("r1"), ringstest.Promote("r1", "canary", "us-east-1"),
			ringstest.On(func(s *rings.State) error {
				s.Releases[0].PreviousVersions = map[string]string{"us-east-1": "1.9"}
				return nil
			})},
			ringstest.On(func(s *rings.State) error {
				return s.RequestRollback("r1", "bob", "x", ringstest.T0)
			}), nil,
			func(s *rings.State) string { return fmt.Sprint(s.ReleaseByID("r1").RollbackRequested) }, "true"},
		{"rollback of aborted refused", ringstest.After(ringstest.Running, ringstest.On(func(s *rings.State) error { return s.Abort("r1", "bob", "no", ringstest.T0) })),
			ringstest.On(func(s *rings.State) error {
				return s.RequestRollback("r1", "bob", "x", ringstest.T0)
			}), rings.ErrTransition, nil, ""},
		{"complete with rings left refused", ringstest.CanaryDone, ringstest.On(func(s *rings.State) error { return s.CompleteRelease("r1", ringstest.T0) }), rings.ErrTransition, nil, ""},
		{"complete after every ring", ringstest.After(ringstest.CanaryDone,
			ringstest.Promote("r1", "early", "eu-west-1"), ringstest.Soak("r1", "early"), ringstest.Done("r1", "early"),
			ringstest.Promote("r1", "global", "ap-northeast-1", "us-west-2"), ringstest.Soak("r1", "global"), ringstest.Done("r1", "global")),
			ringstest.On(func(s *rings.State) error { return s.CompleteRelease("r1", ringstest.T0) }), nil, mtRelState, "completed"},
		{"promote skipping a ring refused", ringstest.CanaryDone, ringstest.Promote("r1", "global", "us-west-2"), rings.ErrTransition, nil, ""},
		{"promote one region of global", ringstest.After(ringstest.CanaryDone, ringstest.Promote("r1", "early", "eu-west-1"), ringstest.Soak("r1", "early"), ringstest.Done("r1", "early")),
			ringstest.Promote("r1", "global", "us-west-2"), nil, mtRing("global"), "promoting"},
		{"promote whole ring syncs", ringstest.Running, ringstest.Promote("r1", "canary", "us-east-1"), nil, mtRing("canary"), "syncing"},
		{"promote same id twice is a no-op", ringstest.After(ringstest.Running, ringstest.Promote("r1", "canary", "us-east-1")),
			ringstest.Promote("r1", "canary", "us-east-1"), nil,
			func(s *rings.State) string {
				return s.ReleaseByID("r1").Ring("canary").Regions[0].PromotedAt.Format(time.RFC3339)
			}, "2026-12-01T10:01:00Z"},
		{"promote region again with another id conflicts", ringstest.After(ringstest.Running, ringstest.Promote("r1", "canary", "us-east-1")),
			ringstest.On(func(s *rings.State) error {
				return s.MarkPromoted("r1", "canary", []string{"us-east-1"}, "other", "c9", ringstest.T0)
			}), rings.ErrTransition, nil, ""},
		{"promote before previous ring done refused", ringstest.Running, ringstest.Promote("r1", "early", "eu-west-1"), rings.ErrTransition, nil, ""},
		{"promote unknown region", ringstest.Running, ringstest.Promote("r1", "canary", "mars-1"), rings.ErrNotFound, nil, ""},
		{"promote scheduled release refused", []ringstest.Step{ringstest.Create("r1", "checkout", "2.0", "")}, ringstest.Promote("r1", "canary", "us-east-1"), rings.ErrTransition, nil, ""},
		{"observe failing check counts", ringstest.After(ringstest.Running, ringstest.Promote("r1", "canary", "us-east-1"), ringstest.Soak("r1", "canary")),
			ringstest.On(func(s *rings.State) error {
				return s.Observe("r1", "canary", "us-east-1", true, false, "low", check, ringstest.T0)
			}), nil, func(s *rings.State) string { return fmt.Sprint(s.ReleaseByID("r1").Ring("canary").ConsecutiveFailures) }, "1"},
		{"observe passing check resets", ringstest.After(ringstest.Running, ringstest.Promote("r1", "canary", "us-east-1"), ringstest.Soak("r1", "canary"),
			ringstest.On(func(s *rings.State) error {
				return s.Observe("r1", "canary", "us-east-1", true, false, "", check, ringstest.T0)
			})),
			ringstest.On(func(s *rings.State) error {
				return s.Observe("r1", "canary", "us-east-1", true, true, "", pass, ringstest.T0)
			}), nil, func(s *rings.State) string { return fmt.Sprint(s.ReleaseByID("r1").Ring("canary").ConsecutiveFailures) }, "0"},
		{"observe unhealthy while soaking counts", ringstest.After(ringstest.Running, ringstest.Promote("r1", "canary", "us-east-1"), ringstest.Soak("r1", "canary")),
			ringstest.On(func(s *rings.State) error {
				return s.Observe("r1", "canary", "us-east-1", true, false, "Degraded", nil, ringstest.T0)
			}), nil, func(s *rings.State) string { return fmt.Sprint(s.ReleaseByID("r1").Ring("canary").ConsecutiveFailures) }, "1"},
		{"observe unhealthy while syncing does not count", ringstest.After(ringstest.Running, ringstest.Promote("r1", "canary", "us-east-1")),
			ringstest.On(func(s *rings.State) error {
				return s.Observe("r1", "canary", "us-east-1", false, false, "Progressing", nil, ringstest.T0)
			}), nil, func(s *rings.State) string {
				rp := s.ReleaseByID("r1").Ring("canary")
				return fmt.Sprint(rp.ConsecutiveFailures, rp.Regions[0].Reason)
			}, "0Progressing"},
		{"observe pending ring refused", ringstest.Running, ringstest.On(func(s *rings.State) error {
			return s.Observe("r1", "early", "eu-west-1", true, true, "", nil, ringstest.T0)
		}), rings.ErrTransition, nil, ""},
		{"observe unknown region", ringstest.After(ringstest.Running, ringstest.Promote("r1", "canary", "us-east-1")), ringstest.On(func(s *rings.State) error {
			return s.Observe("r1", "canary", "eu-west-1", true, true, "", nil, ringstest.T0)
		}), rings.ErrNotFound, nil, ""},
		{"start soak", ringstest.After(ringstest.Running, ringstest.Promote("r1", "canary", "us-east-1")), ringstest.Soak("r1", "canary"), nil,
			func(s *rings.State) string {
				return s.ReleaseByID("r1").Ring("canary").SoakStartedAt.Format(time.RFC3339)
			}, "2026-12-01T10:02:00Z"},
		{"start soak of pending refused", ringstest.Running, ringstest.Soak("r1", "canary"), rings.ErrTransition, nil, ""},
		{"complete ring", ringstest.After(ringstest.Running, ringstest.Promote("r1", "canary", "us-east-1"), ringstest.Soak("r1", "canary")), ringstest.Done("r1", "canary"), nil, mtRing("canary"), "done"},
		{"complete syncing ring refused", ringstest.After(ringstest.Running, ringstest.Promote("r1", "canary", "us-east-1")), ringstest.Done("r1", "canary"), rings.ErrTransition, nil, ""},
		{"fail syncing ring", ringstest.After(ringstest.Running, ringstest.Promote("r1", "canary", "us-east-1")), ringstest.Fail("r1", "canary"), nil,
			func(s *rings.State) string {
				return mtRing("canary")(s) + ":" + s.ReleaseByID("r1").Ring("canary").Reason
			}, "failed:bad"},
		{"fail pending ring refused", ringstest.Running, ringstest.Fail("r1", "canary"), rings.ErrTransition, nil, ""},
		{"fail done ring refused", ringstest.CanaryDone, ringstest.Fail("r1", "canary"), rings.ErrTransition, nil, ""},
		{"rollback commit of a failed ring does not end the release", ringstest.After(ringstest.Running, ringstest.Promote("r1", "canary", "us-east-1"), ringstest.Fail("r1", "canary")),
			ringstest.Rollback("r1", "canary", "us-east-1"), nil, func(s *rings.State) string { return mtRing("canary")(s) + ":" + mtRelState(s) }, "rolling-back:running"},
		{"verified rollback ends the release", ringstest.After(ringstest.Running, ringstest.Promote("r1", "canary", "us-east-1"), ringstest.Fail("r1", "canary"), ringstest.Rollback("r1", "canary", "us-east-1")),
			ringstest.Verify("r1", "canary", "us-east-1"), nil, func(s *rings.State) string { return mtRing("canary")(s) + ":" + mtRelState(s) }, "rolled-back:rolled-back"},
		{"failed rollback ends rollback-failed with the region halted", ringstest.After(ringstest.Running, ringstest.Promote("r1", "canary", "us-east-1"), ringstest.Fail("r1", "canary"), ringstest.Rollback("r1", "canary", "us-east-1")),
			ringstest.FailRollback("r1", "canary", "us-east-1"), nil, func(s *rings.State) string {
				h := s.HaltByID("h-rb")
				return mtRing("canary")(s) + ":" + mtRelState(s) + ":" + fmt.Sprint(h != nil && h.Active() && h.Auto && h.Scope.Covers("any", "any", "any", []string{"us-east-1"}))
			}, "rolled-back:rollback-failed:true"},
		{"verify before the rollback landed refused", ringstest.After(ringstest.Running, ringstest.Promote("r1", "canary", "us-east-1"), ringstest.Fail("r1", "canary")),
			ringstest.Verify("r1", "canary", "us-east-1"), rings.ErrTransition, nil, ""},
		{"verify after the rollback failed refused", ringstest.After(ringstest.Running, ringstest.Promote("r1", "canary", "us-east-1"), ringstest.Fail("r1", "canary"), ringstest.Rollback("r1", "canary", "us-east-1"), ringstest.FailRollback("r1", "canary", "us-east-1")),
			ringstest.Verify("r1", "canary", "us-east-1"), rings.ErrTransition, nil, ""},
		{"rolled back twice is a no-op", ringstest.After(ringstest.Running, ringstest.Promote("r1", "canary", "us-east-1"), ringstest.Fail("r1", "canary"), ringstest.Rollback("r1", "canary", "us-east-1")),
			ringstest.Rollback("r1", "canary", "us-east-1"), nil, mtRing("canary"), "rolling-back"},
		{"rollback of healthy ring without request refused", ringstest.After(ringstest.Running, ringstest.Promote("r1", "canary", "us-east-1")),
			ringstest.Rollback("r1", "canary", "us-east-1"), rings.ErrTransition, nil, ""},
		{"requested rollback waits for every ring", ringstest.After(ringstest.CanaryDone, ringstest.Promote("r1", "early", "eu-west-1"),
			ringstest.On(func(s *rings.State) error {
				return s.RequestRollback("r1", "bob", "x", ringstest.T0)
			})),
			ringstest.Rollback("r1", "early", "eu-west-1"), nil, func(s *rings.State) string { return mtRing("early")(s) + ":" + mtRelState(s) }, "rolling-back:running"},
		{"rollback of unpromoted region refused", ringstest.After(ringstest.CanaryDone, ringstest.Promote("r1", "early", "eu-west-1"),
			ringstest.On(func(s *rings.State) error {
				return s.RequestRollback("r1", "bob", "x", ringstest.T0)
			})),
			ringstest.Rollback("r1", "global", "us-west-2"), rings.ErrTransition, nil, ""},
		{"place halt", nil, ringstest.On(func(s *rings.State) error {
			return s.PlaceHalt(rings.Halt{ID: "h1", Scope: rings.HaltScope{Global: true}, Author: "ic", Reason: "incident", CreatedAt: ringstest.T0})
		}), nil, func(s *rings.State) string { return fmt.Sprint(len(s.Halts), s.Halts[0].Active()) }, "1 true"},
		{"place halt empty scope", nil, ringstest.On(func(s *rings.State) error {
			return s.PlaceHalt(rings.Halt{ID: "h1", Author: "ic", Reason: "incident"})
		}), rings.ErrTransition, nil, ""},
		{"place halt without reason", nil, ringstest.On(func(s *rings.State) error {
			return s.PlaceHalt(rings.Halt{ID: "h1", Scope: rings.HaltScope{Global: true}, Author: "ic"})
		}), rings.ErrTransition, nil, ""},
		{"place halt duplicate id", []ringstest.Step{ringstest.On(func(s *rings.State) error {
			return s.PlaceHalt(rings.Halt{ID: "h1", Scope: rings.HaltScope{Global: true}, Reason: "x"})
		})}, ringstest.On(func(s *rings.State) error {
			return s.PlaceHalt(rings.Halt{ID: "h1", Scope: rings.HaltScope{Apps: []string{"a"}}, Reason: "y"})
		}), rings.ErrConflict, nil, ""},
		{"resume halt", []ringstest.Step{ringstest.On(func(s *rings.State) error {
			return s.PlaceHalt(rings.Halt{ID: "h1", Scope: rings.HaltScope{Global: true}, Reason: "x"})
		})}, ringstest.On(func(s *rings.State) error {
			return s.ResumeHalt("h1", "ic", "fixed", ringstest.T0)
		}), nil,
			func(s *rings.State) string { return fmt.Sprint(s.Halts[0].Active(), s.Halts[0].ResumedBy) }, "falseic"},
		{"resume resumed halt conflicts", []ringstest.Step{ringstest.On(func(s *rings.State) error {
			return s.PlaceHalt(rings.Halt{ID: "h1", Scope: rings.HaltScope{Global: true}, Reason: "x"})
		}), ringstest.On(func(s *rings.State) error {
			return s.ResumeHalt("h1", "ic", "fixed", ringstest.T0)
		})},
			ringstest.On(func(s *rings.State) error {
				return s.ResumeHalt("h1", "ic", "again", ringstest.T0)
			}), rings.ErrConflict, nil, ""},
		{"resume unknown halt", nil, ringstest.On(func(s *rings.State) error { return s.ResumeHalt("h9", "ic", "x", ringstest.T0) }), rings.ErrNotFound, nil, ""},
		{"record budget", nil, ringstest.On(func(s *rings.State) error {
			s.RecordBudget(rings.Budget{Region: "eu-west-1", RemainingPercent: 40})
			return nil
		}), nil, func(s *rings.State) string { return fmt.Sprint(s.Budgets["eu-west-1"].RemainingPercent) }, "40"},
	}
	top := ringstest.Topology(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := ringstest.NewState(t, top, tc.prep...)
			op := func() error { return tc.op(top, s) }
			if tc.wantErr != nil {
				ringstest.Refused(t, s, tc.wantErr, op)
				return
			}
			if err := op(); err != nil {
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
	top := ringstest.Topology(t)
	s := &rings.State{}
	for _, step := range ringstest.After(ringstest.CanaryDone, ringstest.On(func(s *rings.State) error {
		if err := s.Approve("r1", "early", "bob", "", ringstest.T0); err != nil {
			return err
		}
		s.RecordBudget(rings.Budget{Region: "eu-west-1", RemainingPercent: 40})
		return s.PlaceHalt(rings.Halt{ID: "h1", Scope: rings.HaltScope{Regions: []string{"eu-west-1"}}, Reason: "x"})
	})) {
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
	c.Budgets["eu-west-1"] = rings.Budget{}
	c.Releases[0].State = rings.ReleaseAborted
	o := s.Releases[0]
	if o.Rings[0].Regions[0].Name != "us-east-1" || o.Rings[1].Approval.By != "bob" || s.Halts[0].Scope.Regions[0] != "eu-west-1" ||
		s.Budgets["eu-west-1"].RemainingPercent != 40 || o.State != rings.ReleaseRunning {
		t.Fatal("mutating the clone changed the original")
	}
}
