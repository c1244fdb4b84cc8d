package planner

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/ringstest"
)

// progressObs is one observation of us-east-1 at ringstest.T0+at.
type progressObs struct {
	at   time.Duration
	kind string
}

// observeKind records one observation of the canary region of r1: a paused
// or progressing rollout (in progress), a sync still running (healthy but
// not synced, in progress), a healthy region, health Missing (synced, not
// healthy, not in progress), or Argo CD unreachable.
func observeKind(s *rings.State, o progressObs) error {
	at := ringstest.T0.Add(o.at)
	switch o.kind {
	case "paused":
		return s.ObserveInProgress("r1", "canary", "us-east-1", true, false, "Suspended: Rollout is paused", nil, at)
	case "progressing":
		return s.ObserveInProgress("r1", "canary", "us-east-1", true, false, "Progressing: 1 of 3 updated replicas are available", nil, at)
	case "hooks":
		return s.ObserveInProgress("r1", "canary", "us-east-1", false, true, "Progressing: sync operation Running at c1", nil, at)
	case "healthy":
		return s.Observe("r1", "canary", "us-east-1", true, true, "", nil, at)
	case "missing":
		return s.Observe("r1", "canary", "us-east-1", true, false, "health Missing", nil, at)
	case "down":
		return s.Observe("r1", "canary", "us-east-1", false, false, "argocd: server unavailable", nil, at)
	}
	return errors.New("unknown observation kind " + o.kind)
}

// every returns n observations of kind, one a minute from the first.
func every(first time.Duration, n int, kind string) []progressObs {
	out := make([]progressObs, n)
	for i := range out {
		out[i] = progressObs{first + time.Duration(i)*time.Minute, kind}
	}
	return out
}

func obsList(groups ...[]progressObs) []progressObs {
	var out []progressObs
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

// TestInProgressRegions: a rollout still in progress (an Argo Rollouts
// canary paused between steps, a Progressing Deployment, post-sync hooks)
// is neither failing nor ready. The canary ring of fxTopology has
// syncTimeout 30m, a 4h soak and failureThreshold 5; it was promoted at
// 10:01 and, in the soak cases, started soaking at 10:02.
func TestInProgressRegions(t *testing.T) {
	t.Parallel()
	m := time.Minute
	cases := []struct {
		name     string
		prep     []ringstest.Step
		obs      []progressObs
		now      time.Duration // after ringstest.T0
		want     string        // briefPlan
		text     string        // in an action's reason or a wait's detail
		failures int           // the ring's ConsecutiveFailures
		since    time.Duration // the region's InProgressSince after ringstest.T0; 0: zero
	}{
		{"soak: a paused rollout is not a failed check", mtCanarySoaking, every(3*m, 8, "paused"), 11 * m,
			"wait sync r1 canary [us-east-1] until 2026-12-01T10:33:00Z; wait soak r1 canary until 2026-12-01T14:02:00Z; next 2026-12-01T10:33:00Z",
			"us-east-1 in progress since 2026-12-01T10:03:00Z (Suspended: Rollout is paused); the soak completes only once every region is synced and healthy, and the ring fails at 2026-12-01T10:33:00Z",
			0, 3 * m},
		{"soak: Progressing is not a failed check either", mtCanarySoaking, every(3*m, 6, "progressing"), 9 * m,
			"wait sync r1 canary [us-east-1] until 2026-12-01T10:33:00Z; wait soak r1 canary until 2026-12-01T14:02:00Z; next 2026-12-01T10:33:00Z",
			"", 0, 3 * m},
		{"soak: unhealthy and not in progress still counts", mtCanarySoaking, every(3*m, 5, "missing"), 8 * m,
			"fail-ring r1 canary [us-east-1]", "region us-east-1 failed 5 consecutive checks", 5, 0},
		{"soak: in progress does not reset failed checks", mtCanarySoaking, obsList(every(3*m, 2, "down"), every(5*m, 1, "paused")), 6 * m,
			"wait sync r1 canary [us-east-1] until 2026-12-01T10:35:00Z; wait soak r1 canary until 2026-12-01T14:02:00Z; next 2026-12-01T10:35:00Z",
			"", 2, 5 * m},
		{"soak: paused for syncTimeout fails the ring", mtCanarySoaking, every(3*m, 30, "paused"), 33 * m,
			"fail-ring r1 canary [us-east-1]",
			"region us-east-1 has been in progress for longer than syncTimeout 30m0s (since 2026-12-01T10:03:00Z): Suspended: Rollout is paused",
			0, 3 * m},
		{"soak: paused a second less than syncTimeout waits", mtCanarySoaking, every(3*m, 30, "paused"), 33*m - time.Second,
			"wait sync r1 canary [us-east-1] until 2026-12-01T10:33:00Z; wait soak r1 canary until 2026-12-01T14:02:00Z; next 2026-12-01T10:33:00Z",
			"", 0, 3 * m},
		{"soak: paused then progressing is one stretch", mtCanarySoaking, obsList(every(3*m, 10, "paused"), every(13*m, 20, "progressing")), 33 * m,
			"fail-ring r1 canary [us-east-1]", "since 2026-12-01T10:03:00Z): Progressing: 1 of 3", 0, 3 * m},
		{"soak: a monitoring blip does not restart the pause clock", mtCanarySoaking,
			obsList(every(3*m, 10, "paused"), every(13*m, 1, "down"), every(14*m, 19, "paused")), 33 * m,
			"fail-ring r1 canary [us-east-1]", "since 2026-12-01T10:03:00Z", 1, 3 * m},
		{"soak: healthy again ends the stretch", mtCanarySoaking,
			obsList(every(3*m, 10, "paused"), every(13*m, 1, "healthy"), every(20*m, 15, "paused")), 40 * m,
			"wait sync r1 canary [us-east-1] until 2026-12-01T10:50:00Z; wait soak r1 canary until 2026-12-01T14:02:00Z; next 2026-12-01T10:50:00Z",
			"us-east-1 in progress since 2026-12-01T10:20:00Z", 0, 20 * m},
		{"soak over: a paused region holds the completion", mtCanarySoaking, every(4*time.Hour, 3, "paused"), 4*time.Hour + 5*m,
			"wait sync r1 canary [us-east-1] until 2026-12-01T14:30:00Z; wait evidence r1 canary; next 2026-12-01T14:30:00Z",
			"region us-east-1 is still in progress (Suspended: Rollout is paused); it completes once it is synced and healthy", 0, 4 * time.Hour},
		{"soak over: a sync still running holds the completion", mtCanarySoaking, every(4*time.Hour, 1, "hooks"), 4*time.Hour + 5*m,
			"wait sync r1 canary [us-east-1] until 2026-12-01T14:30:00Z; wait evidence r1 canary; next 2026-12-01T14:30:00Z",
			"is still in progress (Progressing: sync operation Running at c1)", 0, 4 * time.Hour},
		{"soak over: healthy again completes", mtCanarySoaking, obsList(every(4*time.Hour, 3, "paused"), every(4*time.Hour+3*m, 1, "healthy")), 4*time.Hour + 5*m,
			"complete-ring r1 canary", "soaked 4h", 0, 0},
		// syncing: the sync timeout from the last promotion (10:01) applies
		{"syncing: a paused region waits for the sync timeout", mtCanarySyncing, every(5*m, 10, "paused"), 20 * m,
			"wait sync r1 canary [us-east-1] until 2026-12-01T10:31:00Z; next 2026-12-01T10:31:00Z",
			"us-east-1 in progress since 2026-12-01T10:05:00Z (Suspended: Rollout is paused); the ring fails at 2026-12-01T10:31:00Z", 0, 5 * m},
		{"syncing: paused at the sync timeout fails with that reason", mtCanarySyncing, every(5*m, 26, "paused"), 31 * m,
			"fail-ring r1 canary [us-east-1]",
			"sync timeout: us-east-1 not synced and healthy within 30m0s of the last promotion; still us-east-1 in progress since 2026-12-01T10:05:00Z (Suspended: Rollout is paused)",
			0, 5 * m},
		{"syncing: Progressing then healthy starts the soak", mtCanarySyncing, obsList(every(5*m, 5, "progressing"), every(10*m, 1, "healthy")), 11 * m,
			"start-soak r1 canary", "every region is synced and healthy", 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			top := ringstest.Topology(t)
			s := &rings.State{}
			ringstest.Apply(t, top, s, tc.prep...)
			for _, o := range tc.obs {
				if err := observeKind(s, o); err != nil {
					t.Fatalf("observe %s at +%s: %v", o.kind, o.at, err)
				}
			}
			plan := PlanNext(top, s, ringstest.T0.Add(tc.now))
			if got := briefPlan(plan); got != tc.want {
				t.Errorf("plan:\n got %s\nwant %s", got, tc.want)
			}
			var texts []string
			for _, a := range plan.Actions {
				texts = append(texts, a.Reason)
			}
			for _, w := range plan.Waits {
				texts = append(texts, w.Detail)
			}
			if all := strings.Join(texts, "\n"); !strings.Contains(all, tc.text) {
				t.Errorf("reasons and details:\n%s\nwant them to contain %q", all, tc.text)
			}
			rp := s.ReleaseByID("r1").Ring("canary")
			if rp.ConsecutiveFailures != tc.failures {
				t.Errorf("ConsecutiveFailures = %d, want %d", rp.ConsecutiveFailures, tc.failures)
			}
			var want time.Time
			if tc.since != 0 {
				want = ringstest.T0.Add(tc.since)
			}
			if got := rp.Region("us-east-1").InProgressSince; !got.Equal(want) {
				t.Errorf("InProgressSince = %s, want %s", got, want)
			}
		})
	}
}

// TestObserveInProgressRefusalChangesNothing: ObserveInProgress validates
// like Observe and leaves the state as it was when it refuses.
func TestObserveInProgressRefusalChangesNothing(t *testing.T) {
	t.Parallel()
	top := ringstest.Topology(t)
	s := &rings.State{}
	ringstest.Apply(t, top, s, mtCanarySoaking...)
	before := s.Clone()
	at := ringstest.T0.Add(time.Hour)
	for _, tc := range []struct {
		name string
		err  error
		call func() error
	}{
		{"unknown release", rings.ErrNotFound, func() error {
			return s.ObserveInProgress("r9", "canary", "us-east-1", true, false, "Suspended", nil, at)
		}},
		{"unknown region", rings.ErrNotFound, func() error { return s.ObserveInProgress("r1", "canary", "mars-1", true, false, "Suspended", nil, at) }},
		{"ring not observed", rings.ErrTransition, func() error {
			return s.ObserveInProgress("r1", "early", "eu-west-1", true, false, "Suspended", nil, at)
		}},
	} {
		if err := tc.call(); !errors.Is(err, tc.err) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.err)
		}
	}
	if !reflect.DeepEqual(s, before) {
		t.Errorf("a refused ObserveInProgress changed the state:\n got %+v\nwant %+v", s.ReleaseByID("r1"), before.ReleaseByID("r1"))
	}
}
