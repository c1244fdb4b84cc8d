package httpapi

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/coordinator/coordtest"
)

// followerOf returns an API fixture whose store is a follower pointing at
// leaderURL.
func followerOf(t *testing.T, leaderURL string) *apiFixture {
	s := coordtest.NewStore(false).WithTopology(t)
	s.SetLeaderAddr("n1", strings.TrimPrefix(leaderURL, "http://"))
	return newAPIFixture(t, s)
}

func TestForwardWriteLandsOnTheLeader(t *testing.T) {
	t.Parallel()
	leader := newAPIFixture(t, coordtest.NewStore(true).WithTopology(t))
	follower := followerOf(t, leader.srv.URL)
	code, body, hdr := coordtest.Call(t, follower.srv.URL, "POST", "/v1/releases", `{"app":"checkout","version":"v3"}`, apiclient.HeaderActor, "dave")
	cmds := leader.store.Commands()
	if code != 201 || len(cmds) != 1 || cmds[0].Actor != "dave" || len(follower.store.Commands()) != 0 || hdr.Get("X-Ringleader-Leader") == "" {
		t.Fatalf("got %d %s; leader has %d commands, follower %d; want 201, one command by dave on the leader only",
			code, body, len(cmds), len(follower.store.Commands()))
	}
}

func TestForwardBadInputIsRejectedByTheLeader(t *testing.T) {
	t.Parallel()
	leader := newAPIFixture(t, coordtest.NewStore(true).WithTopology(t))
	follower := followerOf(t, leader.srv.URL)
	code, body, _ := coordtest.Call(t, follower.srv.URL, "POST", "/v1/halts", `{"reason":"x"}`)
	if code != 400 || !strings.Contains(string(body), "names nothing") || len(leader.store.Commands()) != 0 {
		t.Fatalf("got %d %s; want 400 from the leader and no command", code, body)
	}
}

func TestForwardConsistentReadGoesToTheLeader(t *testing.T) {
	t.Parallel()
	ls, _ := seeded(t)
	leader := newAPIFixture(t, ls)
	follower := followerOf(t, leader.srv.URL)
	_, local, _ := coordtest.Call(t, follower.srv.URL, "GET", "/v1/releases", "")
	_, consistent, _ := coordtest.Call(t, follower.srv.URL, "GET", "/v1/releases?consistent=true", "")
	if len(coordtest.DecodeAs[apiclient.ReleaseList](t, local).Releases) != 0 || len(coordtest.DecodeAs[apiclient.ReleaseList](t, consistent).Releases) != 1 {
		t.Fatalf("local %s, consistent %s; want the follower's empty list and the leader's one release", local, consistent)
	}
}

func TestForwardDoesNotLoopBetweenFollowers(t *testing.T) {
	t.Parallel()
	// b is a follower pointing at a; a is a follower pointing at b.
	a := coordtest.NewStore(false)
	aAPI, err := NewAPI(APIConfig{Store: a, Logger: coordtest.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	aSrv := httptest.NewServer(aAPI)
	defer aSrv.Close()
	b := followerOf(t, aSrv.URL)
	a.SetLeaderAddr("n1", strings.TrimPrefix(b.srv.URL, "http://"))
	code, body, _ := coordtest.Call(t, b.srv.URL, "POST", "/v1/halts", `{"global":true,"reason":"x"}`)
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
	code, body, hdr := coordtest.Call(t, follower.srv.URL, "POST", "/v1/halts", `{"global":true,"reason":"x"}`)
	eb := coordtest.DecodeAs[apiclient.ErrorBody](t, body)
	if code != 503 || hdr.Get("Retry-After") == "" || !strings.Contains(eb.Error, strings.TrimPrefix(deadURL, "http://")) {
		t.Fatalf("got %d %s; want 503 naming the leader address", code, body)
	}
}

// TestForwardFollowsANewLeaderWhenTheOldOneFreezes: a write forwarded to a
// leader that stops answering is sent again to the node elected in its
// place, with the same Idempotency-Key, instead of hanging until the
// forward timeout.
func TestForwardFollowsANewLeaderWhenTheOldOneFreezes(t *testing.T) {
	t.Parallel()
	reached := make(chan string, 1)
	thaw := make(chan struct{})
	frozen := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case reached <- r.Header.Get(apiclient.HeaderIdempotencyKey):
		default:
		}
		_, _ = io.Copy(io.Discard, r.Body)
		select { // a stopped process: never answers
		case <-r.Context().Done():
		case <-thaw:
		}
	}))
	defer frozen.Close()
	defer close(thaw)
	var newKey atomic.Value
	elected := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		newKey.Store(r.Header.Get(apiclient.HeaderIdempotencyKey))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"id":"halt-1"}`))
	}))
	defer elected.Close()

	follower := followerOf(t, frozen.URL)
	var oldKey atomic.Value
	go func() {
		oldKey.Store(<-reached)
		follower.store.SetLeaderAddr("n2", strings.TrimPrefix(elected.URL, "http://"))
	}()
	code, body, hdr := coordtest.Call(t, follower.srv.URL, "POST", "/v1/halts", `{"global":true,"reason":"incident"}`)
	if code != 201 || hdr.Get("X-Ringleader-Leader") != strings.TrimPrefix(elected.URL, "http://") {
		t.Fatalf("got %d %s from %s; want 201 from the new leader", code, body, hdr.Get("X-Ringleader-Leader"))
	}
	k, _ := newKey.Load().(string)
	if old, _ := oldKey.Load().(string); k == "" || k != old {
		t.Fatalf("Idempotency-Key %q at the new leader, %q at the old; want the same non-empty key", k, old)
	}
}

// catchingUpStore is a leader whose post-election barrier has not completed
// (ready false) until the API runs one.
type catchingUpStore struct {
	*coordtest.Store
	ready    atomic.Bool
	barriers atomic.Int32
}

func (s *catchingUpStore) LeaderReady() bool { return s.ready.Load() }

func (s *catchingUpStore) Barrier(time.Duration) error {
	s.barriers.Add(1)
	s.ready.Store(true)
	return nil
}

// TestNewLeaderCatchesUpBeforeAnswering: a consistent read or a write on a
// leader that has not yet applied the entries of earlier terms runs a barrier
// first; once caught up, no further barrier is paid.
func TestNewLeaderCatchesUpBeforeAnswering(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		method, path, body string
	}{
		{"GET", "/v1/halts?consistent=true", ""},
		{"POST", "/v1/halts", `{"global":true,"reason":"incident"}`},
	} {
		s := &catchingUpStore{Store: coordtest.NewStore(true).WithTopology(t)}
		api, err := NewAPI(APIConfig{Store: s, Logger: coordtest.Discard()})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(api)
		for i := 0; i < 2; i++ {
			if code, body, _ := coordtest.Call(t, srv.URL, tc.method, tc.path, tc.body); code >= 300 {
				t.Fatalf("%s %s: got %d %s", tc.method, tc.path, code, body)
			}
		}
		srv.Close()
		if n := s.barriers.Load(); n != 1 {
			t.Errorf("%s %s: %d barriers over two requests; want 1 (before the first answer only)", tc.method, tc.path, n)
		}
	}
}
