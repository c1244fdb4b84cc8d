package httpapi

import (
	"errors"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/rings"
)

func TestEventForSummarisesEachCommand(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		name    string
		typ     command.Type
		actor   string
		payload any
		result  string
		err     error
		want    Event
	}{
		{"create", command.CmdCreateRelease, "alice", command.CreateRelease{ID: "checkout-v2-abc", App: "checkout", Version: "v2"}, "checkout-v2-abc", nil,
			Event{ReleaseID: "checkout-v2-abc", Summary: "release checkout-v2-abc (checkout v2) created by alice"}},
		{"promoted", command.CmdPromoted, command.ActorSystem, command.Promoted{ReleaseID: "r1", Ring: "canary", Regions: []string{"us-east-1", "eu-west-1"}, Commit: "0123456789abcdef"}, "", nil,
			Event{ReleaseID: "r1", Ring: "canary", Summary: "ring canary of r1 promoted in us-east-1, eu-west-1 (commit 0123456789ab)"}},
		{"soak", command.CmdStartSoak, command.ActorSystem, command.RingRef{ReleaseID: "r1", Ring: "canary"}, "", nil,
			Event{ReleaseID: "r1", Ring: "canary", Summary: "ring canary of r1 started soaking"}},
		{"fail", command.CmdFailRing, command.ActorSystem, command.RingRef{ReleaseID: "r1", Ring: "early", Reason: "error rate 5%"}, "", nil,
			Event{ReleaseID: "r1", Ring: "early", Summary: "ring early of r1 failed: error rate 5%"}},
		{"halt", command.CmdPlaceHalt, "bob", command.PlaceHalt{ID: "halt-1", Scope: rings.HaltScope{Global: true}, Reason: "incident 42"}, "halt-1", nil,
			Event{HaltID: "halt-1", Summary: "halt halt-1 placed by bob: incident 42"}},
		{"auto halt", command.CmdPlaceHalt, command.ActorSystem, command.PlaceHalt{ID: "halt-auto-r1-early", Auto: true, Reason: "ring early failed"}, "halt-auto-r1-early", nil,
			Event{HaltID: "halt-auto-r1-early", Summary: "automatic halt halt-auto-r1-early placed: ring early failed"}},
		{"resume", command.CmdResumeHalt, "bob", command.ResumeHalt{HaltID: "halt-1", Reason: "fixed"}, "", nil,
			Event{HaltID: "halt-1", Summary: "halt halt-1 resumed by bob: fixed"}},
		{"observe with a failing check", command.CmdObserve, command.ActorSystem, command.Observe{ReleaseID: "r1", Ring: "canary", Region: "us-east-1", Synced: true, Healthy: true,
			Check: &rings.Observation{Check: "error-rate", Value: 0.07, Pass: false}}, "", nil,
			Event{ReleaseID: "r1", Ring: "canary", Region: "us-east-1", Summary: "us-east-1 in ring canary of r1: synced and healthy; check error-rate fail (0.07)"}},
		{"observe a paused rollout", command.CmdObserve, command.ActorSystem, command.Observe{ReleaseID: "r1", Ring: "canary", Region: "us-east-1", Synced: true,
			Reason: "Suspended: Rollout is paused", InProgress: true}, "", nil,
			Event{ReleaseID: "r1", Ring: "canary", Region: "us-east-1", Summary: "us-east-1 in ring canary of r1: synced=true healthy=false in progress: Suspended: Rollout is paused"}},
		{"a payload that does not decode", command.CmdApprove, "bob", "not an approval", "", nil,
			Event{Summary: string(command.CmdApprove)}},
		{"refused", command.CmdResumeHalt, "bob", command.ResumeHalt{HaltID: "halt-1", Reason: "again"}, "", errors.New("conflict"),
			Event{HaltID: "halt-1", Summary: "refused: halt halt-1 resumed by bob: again: conflict"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cmd, err := command.New(tc.typ, tc.actor, tc.payload)
			if err != nil {
				t.Fatal(err)
			}
			cmd.At = at
			got := EventFor(store.AppliedCommand{Index: 7, Command: cmd, ResultID: tc.result, Err: tc.err})
			want := tc.want
			want.ID, want.Type, want.At, want.Actor = 7, tc.typ, at, tc.actor
			if got != want {
				t.Fatalf("EventFor:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestEventForBoundsTheSummary(t *testing.T) {
	t.Parallel()
	long := make([]byte, 5000)
	for i := range long {
		long[i] = 'x'
	}
	cmd, _ := command.New(command.CmdPlaceHalt, "a", command.PlaceHalt{ID: "h", Reason: string(long)})
	if got := EventFor(store.AppliedCommand{Command: cmd}); len(got.Summary) > maxSummary+3 {
		t.Fatalf("summary is %d bytes; want at most %d", len(got.Summary), maxSummary+3)
	}
}
