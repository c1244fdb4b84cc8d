package httpapi

import (
	"bytes"
	"io"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/coordinator/coordtest"
	"github.com/ringleader-dev/ringleader/coordinator/leader"
	"github.com/ringleader-dev/ringleader/rings"
)

// apiFixture is an API over a coordtest.Store, served by a real httptest server.
type apiFixture struct {
	store *coordtest.Store
	fence *leader.MemFence
	srv   *httptest.Server
}

func newAPIFixture(t *testing.T, store *coordtest.Store) *apiFixture {
	t.Helper()
	f := &apiFixture{store: store, fence: &leader.MemFence{}}
	api, err := NewAPI(APIConfig{Store: store, Fence: f.fence, Clock: leader.NewManualClock(time.Date(2026, 11, 24, 11, 0, 0, 0, time.UTC)), Logger: coordtest.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewServer(api)
	t.Cleanup(f.srv.Close)
	return f
}

// seeded returns a leader store with the topology and one created release.
func seeded(t *testing.T) (*coordtest.Store, string) {
	s := coordtest.NewStore(true).WithTopology(t)
	res := s.MustApply(t, command.CmdCreateRelease, command.CreateRelease{ID: "checkout-v1-aaaaaa", App: "checkout", Version: "v1"})
	s.MustApply(t, command.CmdPlaceHalt, command.PlaceHalt{ID: "halt-1", Scope: rings.HaltScope{Regions: []string{"eu-west-1"}}, Reason: "incident"})
	s.ForgetCommands()
	return s, res.ID
}

func TestAPIRejectsBadInputAndChangesNothing(t *testing.T) {
	t.Parallel()
	big := `{"app":"checkout","version":"v1","train":"` + strings.Repeat("x", MaxBodyBytes) + `"}`
	longReason := strings.Repeat("r", maxReasonLen+1)
	longVersion := strings.Repeat("v", 201)
	cases := []struct {
		name, method, path, body string
		want                     int
	}{
		{"create: bad JSON", "POST", "/v1/releases", `{"app":`, 400},
		{"create: unknown field", "POST", "/v1/releases", `{"app":"checkout","version":"v1","colour":"red"}`, 400},
		{"create: missing version", "POST", "/v1/releases", `{"app":"checkout"}`, 400},
		{"create: missing app", "POST", "/v1/releases", `{"version":"v1"}`, 400},
		{"create: empty body", "POST", "/v1/releases", ``, 400},
		{"create: two values", "POST", "/v1/releases", `{"app":"checkout","version":"v1"}{}`, 400},
		{"create: bad version", "POST", "/v1/releases", `{"app":"checkout","version":"v 1"}`, 400},
		{"create: bad priority", "POST", "/v1/releases", `{"app":"checkout","version":"v1","priority":"urgent"}`, 400},
		{"create: body over 1 MiB", "POST", "/v1/releases", big, 400},
		{"create: unknown app", "POST", "/v1/releases", `{"app":"nope","version":"v1"}`, 404},
		{"approve: missing ring", "POST", "/v1/releases/checkout-v1-aaaaaa/approve", `{"reason":"ok"}`, 400},
		{"approve: unknown release", "POST", "/v1/releases/nope/approve", `{"ring":"early"}`, 404},
		{"abort: missing reason", "POST", "/v1/releases/checkout-v1-aaaaaa/abort", `{}`, 400},
		{"abort: blank reason", "POST", "/v1/releases/checkout-v1-aaaaaa/abort", `{"reason":"  "}`, 400},
		{"abort: unknown release", "POST", "/v1/releases/nope/abort", `{"reason":"x"}`, 404},
		{"rollback: missing reason", "POST", "/v1/releases/checkout-v1-aaaaaa/rollback", `{}`, 400},
		{"rollback: unknown field", "POST", "/v1/releases/checkout-v1-aaaaaa/rollback", `{"reason":"x","force":true}`, 400},
		{"show: unknown release", "GET", "/v1/releases/nope", ``, 404},
		{"halt: empty scope", "POST", "/v1/halts", `{"reason":"x"}`, 400},
		{"halt: missing reason", "POST", "/v1/halts", `{"global":true}`, 400},
		{"halt: bad region name", "POST", "/v1/halts", `{"regions":["a b"],"reason":"x"}`, 400},
		{"halt: unknown field", "POST", "/v1/halts", `{"global":true,"reason":"x","until":"later"}`, 400},
		{"resume: unknown halt", "POST", "/v1/halts/halt-nope/resume", `{"reason":"x"}`, 404},
		{"resume: missing reason", "POST", "/v1/halts/halt-1/resume", `{}`, 400},
		{"topology: invalid", "POST", "/v1/topology", "apiVersion: ringleader.dev/v1alpha1\nkind: Topology\nspec:\n  rings: 3\n", 400},
		{"topology: empty", "POST", "/v1/topology", ``, 400},
		{"join: bad raft address", "POST", "/v1/cluster/join", `{"id":"n4","raftAddr":"nowhere","httpAddr":"127.0.0.1:1"}`, 400},
		{"join: missing id", "POST", "/v1/cluster/join", `{"raftAddr":"127.0.0.1:1","httpAddr":"127.0.0.1:2"}`, 400},
		{"remove: missing id", "POST", "/v1/cluster/remove", `{}`, 400},
		{"create: version of 201 characters", "POST", "/v1/releases", `{"app":"checkout","version":"` + longVersion + `"}`, 400},
		{"abort: reason of 2001 characters", "POST", "/v1/releases/checkout-v1-aaaaaa/abort", `{"reason":"` + longReason + `"}`, 400},
		{"halt: reason of 2001 characters", "POST", "/v1/halts", `{"global":true,"reason":"` + longReason + `"}`, 400},
		{"approve: release ID with a space", "POST", "/v1/releases/a%20b/approve", `{"ring":"early"}`, 400},
		{"abort: release ID with a space", "POST", "/v1/releases/a%20b/abort", `{"reason":"x"}`, 400},
		{"unknown route", "GET", "/v1/nothing", ``, 404},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			store, _ := seeded(t)
			f := newAPIFixture(t, store)
			code, body, _ := coordtest.Call(t, f.srv.URL, tc.method, tc.path, tc.body)
			eb := coordtest.DecodeAs[apiclient.ErrorBody](t, body)
			if code != tc.want || eb.Error == "" || len(store.Commands()) != 0 {
				t.Errorf("got %d %s with %d commands applied; want %d, an error message and no command", code, body, len(store.Commands()), tc.want)
			}
		})
	}
}

func TestAPITopologyErrorsCarryLines(t *testing.T) {
	t.Parallel()
	f := newAPIFixture(t, coordtest.NewStore(true))
	code, body, _ := coordtest.Call(t, f.srv.URL, "POST", "/v1/topology", "apiVersion: ringleader.dev/v1alpha1\nkind: Topology\nmetadata: {name: x}\nspec:\n  rings: 3\n")
	eb := coordtest.DecodeAs[apiclient.ErrorBody](t, body)
	if code != 400 || len(eb.Errors) == 0 || eb.Errors[0].Line == 0 {
		t.Fatalf("got %d %s; want 400 with line-numbered errors", code, body)
	}
}

func TestAPIStateRefusalCodes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		setup func(t *testing.T, s *coordtest.Store, id string)
		path  string
		body  string
		want  int
	}{
		{"approve an aborted release is 422", func(t *testing.T, s *coordtest.Store, id string) {
			s.MustApply(t, command.CmdAbortRelease, command.ReleaseRef{ReleaseID: id, Reason: "no"})
		}, "/v1/releases/checkout-v1-aaaaaa/approve", `{"ring":"early"}`, 422},
		{"approve twice is 409", func(t *testing.T, s *coordtest.Store, id string) {
			s.MustApply(t, command.CmdApprove, command.Approve{ReleaseID: id, Ring: "early"})
		}, "/v1/releases/checkout-v1-aaaaaa/approve", `{"ring":"early"}`, 409},
		{"approve an unknown ring is 404", func(*testing.T, *coordtest.Store, string) {}, "/v1/releases/checkout-v1-aaaaaa/approve", `{"ring":"nope"}`, 404},
		{"resume a resumed halt is 409", func(t *testing.T, s *coordtest.Store, _ string) {
			s.MustApply(t, command.CmdResumeHalt, command.ResumeHalt{HaltID: "halt-1", Reason: "over"})
		}, "/v1/halts/halt-1/resume", `{"reason":"again"}`, 409},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, id := seeded(t)
			tc.setup(t, s, id)
			f := newAPIFixture(t, s)
			code, body, _ := coordtest.Call(t, f.srv.URL, "POST", tc.path, tc.body)
			if code != tc.want || coordtest.DecodeAs[apiclient.ErrorBody](t, body).Error == "" {
				t.Errorf("got %d %s; want %d with an error", code, body, tc.want)
			}
		})
	}
}

var releaseIDRE = regexp.MustCompile(`^checkout-v1\.4\.2-[0-9a-f]{6}$`)

func TestAPICreateReleaseNamesItAndRecordsTheActor(t *testing.T) {
	t.Parallel()
	s := coordtest.NewStore(true).WithTopology(t)
	f := newAPIFixture(t, s)
	code, body, hdr := coordtest.Call(t, f.srv.URL, "POST", "/v1/releases", `{"app":"checkout","version":"v1.4.2","priority":"P0"}`, apiclient.HeaderActor, "alice")
	rel := coordtest.DecodeAs[apiclient.ReleaseDetail](t, body)
	cmds := s.Commands()
	if code != 201 || rel.Release == nil || !releaseIDRE.MatchString(rel.ID) || hdr.Get("Location") != "/v1/releases/"+rel.ID {
		t.Fatalf("got %d %s; want 201 with an ID like checkout-v1.4.2-abcdef", code, body)
	}
	if len(cmds) != 1 || cmds[0].Type != command.CmdCreateRelease || cmds[0].Actor != "alice" || rel.CreatedBy != "alice" || rel.Priority != "P0" {
		t.Fatalf("commands %+v, release %+v; want one create by alice with priority P0", cmds, rel.Release)
	}
}

func TestAPIIdempotencyKeyCreatesOnce(t *testing.T) {
	t.Parallel()
	s := coordtest.NewStore(true).WithTopology(t)
	f := newAPIFixture(t, s)
	_, b1, _ := coordtest.Call(t, f.srv.URL, "POST", "/v1/releases", `{"app":"checkout","version":"v2"}`, apiclient.HeaderIdempotencyKey, "k1")
	_, b2, _ := coordtest.Call(t, f.srv.URL, "POST", "/v1/releases", `{"app":"checkout","version":"v2"}`, apiclient.HeaderIdempotencyKey, "k1")
	id1, id2 := coordtest.DecodeAs[apiclient.ReleaseDetail](t, b1).ID, coordtest.DecodeAs[apiclient.ReleaseDetail](t, b2).ID
	if id1 == "" || id1 != id2 || len(s.Snapshot().State.Releases) != 1 {
		t.Fatalf("ids %q %q, %d releases; want the same ID and one release", id1, id2, len(s.Snapshot().State.Releases))
	}
}

func TestAPIReleaseRoutes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, method, path, body string
		want                     int
		check                    func(t *testing.T, s *coordtest.Store, body []byte) bool
	}{
		{"list", "GET", "/v1/releases", "", 200, func(t *testing.T, _ *coordtest.Store, b []byte) bool {
			l := coordtest.DecodeAs[apiclient.ReleaseList](t, b)
			return len(l.Releases) == 1 && l.Releases[0].ID == "checkout-v1-aaaaaa"
		}},
		{"list filtered out", "GET", "/v1/releases?app=ledger", "", 200, func(t *testing.T, _ *coordtest.Store, b []byte) bool {
			return len(coordtest.DecodeAs[apiclient.ReleaseList](t, b).Releases) == 0
		}},
		{"show", "GET", "/v1/releases/checkout-v1-aaaaaa", "", 200, func(t *testing.T, _ *coordtest.Store, b []byte) bool {
			d := coordtest.DecodeAs[apiclient.ReleaseDetail](t, b)
			return d.ID == "checkout-v1-aaaaaa" && len(d.Rings) == 3
		}},
		{"approve", "POST", "/v1/releases/checkout-v1-aaaaaa/approve", `{"ring":"early","reason":"looks good"}`, 200, func(t *testing.T, _ *coordtest.Store, b []byte) bool {
			a := coordtest.DecodeAs[apiclient.ReleaseDetail](t, b).Ring("early").Approval
			return a != nil && a.By == "bob" && a.Reason == "looks good"
		}},
		{"abort", "POST", "/v1/releases/checkout-v1-aaaaaa/abort", `{"reason":"bad build"}`, 200, func(t *testing.T, _ *coordtest.Store, b []byte) bool {
			return coordtest.DecodeAs[apiclient.ReleaseDetail](t, b).State == "aborted"
		}},
		{"rollback with nothing promoted", "POST", "/v1/releases/checkout-v1-aaaaaa/rollback", `{"reason":"bad build"}`, 200, func(t *testing.T, _ *coordtest.Store, b []byte) bool {
			return coordtest.DecodeAs[apiclient.ReleaseDetail](t, b).State == "rolled-back"
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, _ := seeded(t)
			f := newAPIFixture(t, s)
			code, body, _ := coordtest.Call(t, f.srv.URL, tc.method, tc.path, tc.body, apiclient.HeaderActor, "bob")
			if code != tc.want || !tc.check(t, s, body) {
				t.Errorf("got %d %s; want %d and the check to hold", code, body, tc.want)
			}
		})
	}
}

func TestAPIHaltPlaceAndResumeWriteTheFence(t *testing.T) {
	t.Parallel()
	s, _ := seeded(t)
	f := newAPIFixture(t, s)
	code, body, _ := coordtest.Call(t, f.srv.URL, "POST", "/v1/halts", `{"regions":["us-east-1"],"apps":["checkout"],"reason":"pager"}`, apiclient.HeaderActor, "carol")
	h := coordtest.DecodeAs[apiclient.HaltResponse](t, body)
	ids, _ := f.fence.Halts()
	if code != 201 || !strings.HasPrefix(h.ID, "halt-") || h.Author != "carol" || !h.Active() || len(ids) != 2 || ids[1] != h.ID {
		t.Fatalf("place: got %d %s, fence %v; want 201, an active halt by carol, and the fence holding both halts", code, body, ids)
	}
	code, body, _ = coordtest.Call(t, f.srv.URL, "POST", "/v1/halts/"+h.ID+"/resume", `{"reason":"fixed"}`)
	r := coordtest.DecodeAs[apiclient.HaltResponse](t, body)
	ids, _ = f.fence.Halts()
	if code != 200 || r.Active() || r.ResumeReason != "fixed" || len(ids) != 1 || ids[0] != "halt-1" {
		t.Fatalf("resume: got %d %s, fence %v; want 200, resumed, fence holding halt-1 only", code, body, ids)
	}
	_, body, _ = coordtest.Call(t, f.srv.URL, "GET", "/v1/halts?active=true", "")
	if l := coordtest.DecodeAs[apiclient.HaltList](t, body); len(l.Halts) != 1 || l.Halts[0].ID != "halt-1" {
		t.Fatalf("active halts %s; want halt-1 only", body)
	}
}

func TestAPIHaltFenceFailureIsReportedNotFatal(t *testing.T) {
	t.Parallel()
	s, _ := seeded(t)
	f := newAPIFixture(t, s)
	f.fence.Fail(io.ErrUnexpectedEOF)
	code, body, _ := coordtest.Call(t, f.srv.URL, "POST", "/v1/halts", `{"global":true,"reason":"stop"}`)
	h := coordtest.DecodeAs[apiclient.HaltResponse](t, body)
	if code != 201 || !strings.Contains(h.FenceError, "unexpected EOF") || len(s.Commands()) != 1 {
		t.Fatalf("got %d %s; want 201 with fenceError and the halt committed", code, body)
	}
}

func TestAPITopologyRoutes(t *testing.T) {
	t.Parallel()
	s := coordtest.NewStore(true).WithTopology(t)
	f := newAPIFixture(t, s)
	code, body, _ := coordtest.Call(t, f.srv.URL, "GET", "/v1/topology?source=true", "")
	got := coordtest.DecodeAs[apiclient.TopologyResponse](t, body)
	if code != 200 || got.Topology == nil || got.Topology.Metadata.Name != "small" || !strings.Contains(got.Source, "canary") {
		t.Fatalf("get: %d %s", code, body)
	}
	src := coordtest.Topology
	// The same document again changes nothing and proposes nothing.
	code, body, _ = coordtest.Call(t, f.srv.URL, "POST", "/v1/topology", string(src))
	if r := coordtest.DecodeAs[apiclient.TopologyResponse](t, body); code != 200 || r.Changed || len(s.Commands()) != 0 {
		t.Fatalf("same topology: %d %s, %d commands; want 200 unchanged and no command", code, body, len(s.Commands()))
	}
	changed := bytes.Replace(src, []byte("name: small"), []byte("name: smaller"), 1)
	code, body, _ = coordtest.Call(t, f.srv.URL, "POST", "/v1/topology?path=rings.yaml", string(changed))
	r := coordtest.DecodeAs[apiclient.TopologyResponse](t, body)
	if code != 200 || !r.Changed || r.Revision != rings.TopologyRevision(changed) || s.Snapshot().Topology.Metadata.Name != "smaller" {
		t.Fatalf("new topology: %d %s; want it adopted", code, body)
	}
}

func TestAPIStatus(t *testing.T) {
	t.Parallel()
	s, id := seeded(t)
	s.SetMembers(apiclient.Member{ID: "n1", RaftAddr: "127.0.0.1:1", HTTPAddr: "127.0.0.1:2", Voter: true, Leader: true})
	f := newAPIFixture(t, s)
	code, body, _ := coordtest.Call(t, f.srv.URL, "GET", "/v1/status", "")
	st := coordtest.DecodeAs[apiclient.Status](t, body)
	if code != 200 || st.Leader.ID != "n1" || !st.IsLeader || len(st.Members) != 1 || len(st.Releases) != 1 ||
		st.Releases[0].ID != id || len(st.Releases[0].Rings) != 3 || len(st.Halts) != 1 || st.TopologyRevision == "" {
		t.Fatalf("status %d %s", code, body)
	}
}

func TestAPIClusterRoutes(t *testing.T) {
	t.Parallel()
	s := coordtest.NewStore(true)
	s.SetLeaderAddr("n1", "127.0.0.1:9")
	f := newAPIFixture(t, s)
	code, body, _ := coordtest.Call(t, f.srv.URL, "POST", "/v1/cluster/join", `{"id":"n2","raftAddr":"127.0.0.1:7001","httpAddr":"127.0.0.1:8001"}`)
	if l := coordtest.DecodeAs[apiclient.MemberList](t, body); code != 200 || len(l.Members) != 1 || l.Members[0].ID != "n2" {
		t.Fatalf("join: %d %s", code, body)
	}
	code, body, _ = coordtest.Call(t, f.srv.URL, "GET", "/v1/cluster/leader", "")
	if li := coordtest.DecodeAs[apiclient.LeaderInfo](t, body); code != 200 || li.ID != "n1" || li.HTTPAddr != "127.0.0.1:9" {
		t.Fatalf("leader: %d %s", code, body)
	}
	code, body, _ = coordtest.Call(t, f.srv.URL, "POST", "/v1/cluster/remove", `{"id":"n2"}`)
	if l := coordtest.DecodeAs[apiclient.MemberList](t, body); code != 200 || len(l.Members) != 0 {
		t.Fatalf("remove: %d %s", code, body)
	}
	code, _, _ = coordtest.Call(t, f.srv.URL, "POST", "/v1/cluster/remove", `{"id":"n9"}`)
	if code != 404 {
		t.Fatalf("remove unknown: %d; want 404", code)
	}
}

func TestAPIHealthAndReadiness(t *testing.T) {
	t.Parallel()
	s := coordtest.NewStore(false)
	f := newAPIFixture(t, s)
	if code, _, _ := coordtest.Call(t, f.srv.URL, "GET", "/readyz", ""); code != 503 {
		t.Fatalf("readyz before applying anything: %d; want 503", code)
	}
	s.WithTopology(t)
	if code, _, _ := coordtest.Call(t, f.srv.URL, "GET", "/readyz", ""); code != 200 {
		t.Fatalf("readyz with a known leader: %d; want 200", code)
	}
	s.SetLeaderAddr("", "")
	code, _, hdr := coordtest.Call(t, f.srv.URL, "GET", "/readyz", "")
	if code != 503 || hdr.Get("Retry-After") == "" {
		t.Fatalf("readyz without a leader: %d; want 503 with Retry-After", code)
	}
	if code, _, _ := coordtest.Call(t, f.srv.URL, "GET", "/healthz", ""); code != 200 {
		t.Fatalf("healthz: %d; want 200", code)
	}
}

func TestAPIWriteWithoutKnownLeaderIs503(t *testing.T) {
	t.Parallel()
	s := coordtest.NewStore(false).WithTopology(t)
	s.SetLeaderAddr("", "")
	f := newAPIFixture(t, s)
	code, body, hdr := coordtest.Call(t, f.srv.URL, "POST", "/v1/releases", `{"app":"checkout","version":"v1"}`)
	if code != 503 || hdr.Get("Retry-After") == "" || coordtest.DecodeAs[apiclient.ErrorBody](t, body).Error == "" {
		t.Fatalf("got %d %s; want 503 with Retry-After and an error", code, body)
	}
}
