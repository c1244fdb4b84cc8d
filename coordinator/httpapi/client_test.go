package httpapi

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/coordinator/coordtest"
	"github.com/ringleader-dev/ringleader/rings"
)

func TestClientRoundTripsEveryResource(t *testing.T) {
	t.Parallel()
	s, id := seeded(t)
	s.SetMembers(apiclient.Member{ID: "n1", RaftAddr: "127.0.0.1:1", Voter: true})
	f := newAPIFixture(t, s)
	c := apiclient.NewClient(f.srv.URL, "tok")
	c.Actor = "frank"
	ctx := context.Background()

	d, err := c.CreateRelease(ctx, apiclient.CreateReleaseRequest{App: "checkout", Version: "v5"})
	if err != nil || d.CreatedBy != "frank" {
		t.Fatalf("create: %v %+v", err, d)
	}
	if rels, err := c.Releases(ctx, "checkout"); err != nil || len(rels) != 2 {
		t.Fatalf("releases: %v, %d", err, len(rels))
	}
	if d, err := c.Approve(ctx, id, "early", "ok"); err != nil || d.Ring("early").Approval == nil {
		t.Fatalf("approve: %v", err)
	}
	if d, err := c.Abort(ctx, id, "stop"); err != nil || d.State != "aborted" {
		t.Fatalf("abort: %v", err)
	}
	h, err := c.PlaceHalt(ctx, apiclient.HaltRequest{HaltScope: rings.HaltScope{Global: true}, Reason: "x"})
	if err != nil || !h.Scope.Global {
		t.Fatalf("halt: %v", err)
	}
	if h, err := c.Resume(ctx, h.ID, "y"); err != nil || h.Active() {
		t.Fatalf("resume: %v", err)
	}
	if hs, err := c.Halts(ctx, true); err != nil || len(hs) != 1 {
		t.Fatalf("active halts: %v %d", err, len(hs))
	}
	if st, err := c.Status(ctx, true); err != nil || len(st.Releases) != 2 {
		t.Fatalf("status: %v", err)
	}
	if tp, err := c.Topology(ctx); err != nil || tp.Topology == nil {
		t.Fatalf("topology: %v", err)
	}
	if ms, err := c.Members(ctx); err != nil || len(ms) != 1 {
		t.Fatalf("members: %v", err)
	}
}

func TestClientErrorsMatchSentinels(t *testing.T) {
	t.Parallel()
	s, _ := seeded(t)
	f := newAPIFixture(t, s)
	c := apiclient.NewClient(f.srv.URL, "")
	ctx := context.Background()
	cases := []struct {
		name string
		call func() error
		want error
	}{
		{"unknown release", func() error { _, err := c.Release(ctx, "nope"); return err }, command.ErrNotFound},
		{"resume twice", func() error {
			if _, err := c.Resume(ctx, "halt-1", "a"); err != nil {
				return err
			}
			_, err := c.Resume(ctx, "halt-1", "b")
			return err
		}, command.ErrConflict},
		{"missing reason", func() error { _, err := c.Abort(ctx, "checkout-v1-aaaaaa", ""); return err }, command.ErrInvalid},
	}
	for _, tc := range cases {
		err := tc.call()
		var ae *apiclient.APIError
		if !errors.Is(err, tc.want) || !errors.As(err, &ae) || ae.Message == "" || apiclient.IsRetryable(err) {
			t.Errorf("%s: %v; want an APIError matching %v, not retryable", tc.name, err, tc.want)
		}
	}
}

func TestClientTopologyIssuesAndRetryable(t *testing.T) {
	t.Parallel()
	f := newAPIFixture(t, coordtest.NewStore(true))
	c := apiclient.NewClient(f.srv.URL, "")
	_, err := c.AdoptTopology(context.Background(), []byte("kind: Topology\nspec:\n  rings: 3\n"), "bad.yaml")
	var ae *apiclient.APIError
	if !errors.As(err, &ae) || len(ae.Issues) == 0 || ae.StatusCode != 400 {
		t.Fatalf("adopt bad topology: %v; want a 400 with issues", err)
	}
	src := coordtest.Topology
	if r, err := c.AdoptTopology(context.Background(), src, "ok.yaml"); err != nil || !r.Changed {
		t.Fatalf("adopt good topology: %v", err)
	}
	noLeader := coordtest.NewStore(false)
	noLeader.SetLeaderAddr("", "")
	srv := httptest.NewServer(mustAPI(t, noLeader))
	defer srv.Close()
	_, err = apiclient.NewClient(srv.URL, "").PlaceHalt(context.Background(), apiclient.HaltRequest{HaltScope: rings.HaltScope{Global: true}, Reason: "x"})
	if !apiclient.IsRetryable(err) || !errors.Is(err, command.ErrNotLeader) {
		t.Fatalf("write without a leader: %v; want retryable ErrNotLeader", err)
	}
}

func mustAPI(t *testing.T, s Store) *API {
	t.Helper()
	a, err := NewAPI(APIConfig{Store: s, Logger: coordtest.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	return a
}
