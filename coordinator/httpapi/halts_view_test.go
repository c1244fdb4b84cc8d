package httpapi

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/coordinator/coordtest"
	"github.com/ringleader-dev/ringleader/coordinator/leader"
	"github.com/ringleader-dev/ringleader/rings"
)

func TestHaltEndpointsTakeNoDeepCopyOfTheState(t *testing.T) {
	t.Parallel()
	store := coordtest.NewStore(true).WithTopology(t)
	store.MustApply(t, command.CmdCreateRelease, command.CreateRelease{ID: "checkout-v2", App: "checkout", Version: "v2"})
	api, err := NewAPI(APIConfig{Store: store, Fence: &leader.MemFence{}, Logger: coordtest.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	post := func(path, body string) (int, string) {
		req := httptest.NewRequest("POST", path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	before := store.Snapshots()
	code, body := post("/v1/halts", `{"regions":["us-east-1"],"reason":"incident"}`)
	var h rings.Halt
	if code != 201 || json.Unmarshal([]byte(body), &h) != nil || h.ID == "" || h.Scope.Regions[0] != "us-east-1" {
		t.Fatalf("place halt: %d %s", code, body)
	}
	if code, body := post("/v1/halts/"+h.ID+"/resume", `{"reason":"fixed"}`); code != 200 || !strings.Contains(body, `"resumeReason": "fixed"`) {
		t.Fatalf("resume halt: %d %s", code, body)
	}
	if n := store.Snapshots() - before; n != 0 {
		t.Fatalf("placing and resuming a halt took %d deep copies of the state; want 0", n)
	}
}

func TestHaltViewCopiesTheNamedAndTheActiveHalts(t *testing.T) {
	t.Parallel()
	store := coordtest.NewStore(true).WithTopology(t)
	store.MustApply(t, command.CmdCreateRelease, command.CreateRelease{ID: "checkout-v2", App: "checkout", Version: "v2"})
	store.MustApply(t, command.CmdPlaceHalt, command.PlaceHalt{ID: "halt-old", Scope: rings.HaltScope{Global: true}, Reason: "drill"})
	store.MustApply(t, command.CmdResumeHalt, command.ResumeHalt{HaltID: "halt-old", Reason: "over"})
	store.MustApply(t, command.CmdPlaceHalt, command.PlaceHalt{ID: "halt-gone", Scope: rings.HaltScope{Global: true}, Reason: "drill"})
	store.MustApply(t, command.CmdResumeHalt, command.ResumeHalt{HaltID: "halt-gone", Reason: "over"})
	store.MustApply(t, command.CmdPlaceHalt, command.PlaceHalt{ID: "halt-r", Scope: rings.HaltScope{Regions: []string{"us-east-1"}}, Reason: "incident"})
	named, active := haltView(store, "halt-old")
	if named == nil || named.ID != "halt-old" || named.Active() {
		t.Fatalf("named halt = %+v, want the resumed halt-old", named)
	}
	if len(active) != 1 || active[0].ID != "halt-r" {
		t.Fatalf("active halts = %+v, want only halt-r", active)
	}
	if named, _ := haltView(store, "halt-nope"); named != nil {
		t.Fatalf("unknown halt found: %+v", named)
	}
	active[0].Scope.Regions[0] = "changed"
	if r := store.Snapshot().State.Halts[2].Scope.Regions[0]; r != "us-east-1" {
		t.Fatalf("changing the copy changed the state: region %q", r)
	}
}
