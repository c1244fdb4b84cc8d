package coordinator

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// followerOf returns an API fixture whose store is a follower pointing at
// leaderURL.
func followerOf(t *testing.T, leaderURL string) *apiFixture {
	s := newTStore(false).withTopology(t)
	s.leaderID, s.leaderHTTP = "n1", strings.TrimPrefix(leaderURL, "http://")
	return newAPIFixture(t, s)
}

func TestForwardWriteLandsOnTheLeader(t *testing.T) {
	t.Parallel()
	leader := newAPIFixture(t, newTStore(true).withTopology(t))
	follower := followerOf(t, leader.srv.URL)
	code, body, hdr := call(t, follower.srv.URL, "POST", "/v1/releases", `{"app":"checkout","version":"v3"}`, HeaderActor, "dave")
	cmds := leader.store.commands()
	if code != 201 || len(cmds) != 1 || cmds[0].Actor != "dave" || len(follower.store.commands()) != 0 || hdr.Get("X-Ringleader-Leader") == "" {
		t.Fatalf("got %d %s; leader has %d commands, follower %d; want 201, one command by dave on the leader only",
			code, body, len(cmds), len(follower.store.commands()))
	}
}

func TestForwardBadInputIsRejectedByTheLeader(t *testing.T) {
	t.Parallel()
	leader := newAPIFixture(t, newTStore(true).withTopology(t))
	follower := followerOf(t, leader.srv.URL)
	code, body, _ := call(t, follower.srv.URL, "POST", "/v1/halts", `{"reason":"x"}`)
	if code != 400 || !strings.Contains(string(body), "names nothing") || len(leader.store.commands()) != 0 {
		t.Fatalf("got %d %s; want 400 from the leader and no command", code, body)
	}
}

func TestForwardConsistentReadGoesToTheLeader(t *testing.T) {
	t.Parallel()
	ls, _ := seeded(t)
	leader := newAPIFixture(t, ls)
	follower := followerOf(t, leader.srv.URL)
	_, local, _ := call(t, follower.srv.URL, "GET", "/v1/releases", "")
	_, consistent, _ := call(t, follower.srv.URL, "GET", "/v1/releases?consistent=true", "")
	if len(decodeAs[ReleaseList](t, local).Releases) != 0 || len(decodeAs[ReleaseList](t, consistent).Releases) != 1 {
		t.Fatalf("local %s, consistent %s; want the follower's empty list and the leader's one release", local, consistent)
	}
}

func TestForwardDoesNotLoopBetweenFollowers(t *testing.T) {
	t.Parallel()
	// b is a follower pointing at a; a is a follower pointing at b.
	a := newTStore(false)
	aAPI, err := NewAPI(APIConfig{Store: a, Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	aSrv := httptest.NewServer(aAPI)
	defer aSrv.Close()
	b := followerOf(t, aSrv.URL)
	a.leaderHTTP = strings.TrimPrefix(b.srv.URL, "http://")
	code, body, _ := call(t, b.srv.URL, "POST", "/v1/halts", `{"global":true,"reason":"x"}`)
	if code != 503 || !strings.Contains(string(body), "not the leader") {
		t.Fatalf("got %d %s; want 503 after one hop", code, body)
	}
}

func TestForwardToAnUnreachableLeaderNamesIt(t *testing.T) {
	t.Parallel()
	dead := httptest.NewServer(nil)
	deadURL := dead.URL
	dead.Close()
	follower := followerOf(t, deadURL)
	code, body, hdr := call(t, follower.srv.URL, "POST", "/v1/halts", `{"global":true,"reason":"x"}`)
	eb := decodeAs[ErrorBody](t, body)
	if code != 503 || hdr.Get("Retry-After") == "" || !strings.Contains(eb.Error, strings.TrimPrefix(deadURL, "http://")) {
		t.Fatalf("got %d %s; want 503 naming the leader address", code, body)
	}
}
