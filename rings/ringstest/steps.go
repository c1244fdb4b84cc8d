package ringstest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// T0 is the time the steps happen at (a Tuesday, 10:00 UTC).
var T0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// Step is one transition applied to a state, for table tests that build a
// state step by step.
type Step func(t *topology.Topology, s *rings.State) error

// On is a step that needs only the state.
func On(f func(s *rings.State) error) Step {
	return func(_ *topology.Topology, s *rings.State) error { return f(s) }
}

// Create creates release id of app at version, with prev as the previous
// version a person gave.
func Create(id, app, version, prev string) Step {
	return func(t *topology.Topology, s *rings.State) error {
		_, err := s.CreateRelease(t, id, app, version, "", "", time.Time{}, T0, "alice", prev)
		return err
	}
}

// Start starts release id.
func Start(id string) Step {
	return On(func(s *rings.State) error { return s.StartRelease(id, T0) })
}

// Promote records the promotion of regions of ring as landed.
func Promote(id, ring string, regions ...string) Step {
	return On(func(s *rings.State) error {
		return s.MarkPromoted(id, ring, regions, rings.PromotionID(id, ring, regions), "c1", T0.Add(time.Minute))
	})
}

// Soak starts the soak of ring.
func Soak(id, ring string) Step {
	return On(func(s *rings.State) error { return s.StartSoak(id, ring, T0.Add(2*time.Minute)) })
}

// Done completes ring.
func Done(id, ring string) Step {
	return On(func(s *rings.State) error {
		return s.CompleteRing(id, ring, T0.Add(3*time.Minute))
	})
}

// Fail fails ring.
func Fail(id, ring string) Step {
	return On(func(s *rings.State) error {
		return s.FailRing(id, ring, "bad", T0.Add(3*time.Minute))
	})
}

// Rollback records the rollback of regions of ring as landed.
func Rollback(id, ring string, regions ...string) Step {
	return On(func(s *rings.State) error {
		return s.MarkRolledBack(id, ring, regions, rings.PromotionID(id, ring, regions)+"/rollback", "c2", T0.Add(4*time.Minute))
	})
}

// Verify records the rollback of regions of ring as verified.
func Verify(id, ring string, regions ...string) Step {
	return On(func(s *rings.State) error {
		return s.VerifyRollback(id, ring, regions, T0.Add(6*time.Minute))
	})
}

// FailRollback fails the rollback of regions of ring, halting them.
func FailRollback(id, ring string, regions ...string) Step {
	return On(func(s *rings.State) error {
		return s.FailRollback(id, ring, regions, "still degraded", rings.Halt{ID: "h-rb", Scope: rings.HaltScope{Regions: regions}, Author: "ringleader", Reason: "rollback failed"}, T0.Add(20*time.Minute))
	})
}

// Running is a started release r1 of checkout 2.0 with previous version 1.0,
// its baseline recorded.
var Running = []Step{Create("r1", "checkout", "2.0", "1.0"), Start("r1"), Baseline("r1", "1.0")}

// Baseline records that every region of release id ran version in Git.
func Baseline(id, version string) Step {
	return On(func(s *rings.State) error {
		r := s.ReleaseByID(id)
		if r == nil {
			return rings.ErrNotFound
		}
		var bs []rings.RegionBaseline
		for _, name := range r.RegionNames() {
			bs = append(bs, rings.RegionBaseline{Region: name, Version: version})
		}
		return s.RecordBaseline(id, "base", bs, T0)
	})
}

// CanaryDone is Running with the canary ring done.
var CanaryDone = After(Running, Promote("r1", "canary", "us-east-1"), Soak("r1", "canary"), Done("r1", "canary"))

// After is the steps of base followed by more, in a slice of its own, so a
// shared base such as Running is never appended to in place.
func After(base []Step, more ...Step) []Step {
	return append(slices.Clone(base), more...)
}

// NewState is a state built by applying steps to an empty one (Apply).
func NewState(t testing.TB, top *topology.Topology, steps ...Step) *rings.State {
	t.Helper()
	s := &rings.State{}
	Apply(t, top, s, steps...)
	return s
}

// Apply applies steps to s in order and fails the test at the first step
// that returns an error, naming it by its index.
func Apply(t testing.TB, top *topology.Topology, s *rings.State, steps ...Step) {
	t.Helper()
	for i, step := range steps {
		if err := step(top, s); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
}

// Refused runs change, which must refuse to change s: it fails the test
// unless change returns an error wrapping want and leaves s as it was.
func Refused(t testing.TB, s *rings.State, want error, change func() error) {
	t.Helper()
	before := JSON(t, s)
	if err := change(); !errors.Is(err, want) {
		t.Fatalf("err = %v; want %v", err, want)
	}
	if after := JSON(t, s); after != before {
		t.Fatalf("a refused change changed the state:\n%s\n%s", before, after)
	}
}
