package httpapi

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ringleader-dev/ringleader/coordinator/coordtest"
	"github.com/ringleader-dev/ringleader/coordinator/leader"
)

// TestHaltWritesCallOnHaltChangeInsteadOfOnWrite: a halt tells ringd
// through OnHaltChange (the loop writes the fence without planning over
// every release), any other write through OnWrite (a pass at once), and a
// halt falls back to OnWrite when OnHaltChange is not set.
func TestHaltWritesCallOnHaltChangeInsteadOfOnWrite(t *testing.T) {
	t.Parallel()
	type req struct{ path, body string }
	place := req{"/v1/halts", `{"global":true,"reason":"incident"}`}
	create := req{"/v1/releases", `{"app":"checkout","version":"v9"}`}
	cases := []struct {
		name                 string
		withHaltHook         bool
		reqs                 []req
		wantWrites, wantHalt int
	}{
		{"place and resume a halt", true, []req{place, {"/v1/halts/{id}/resume", `{"reason":"over"}`}}, 0, 2},
		{"create a release", true, []req{create}, 1, 0},
		{"a halt without OnHaltChange", false, []req{place}, 1, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			writes, halts := 0, 0
			cfg := APIConfig{Store: coordtest.NewStore(true).WithTopology(t), Fence: &leader.MemFence{}, Logger: coordtest.Discard(),
				OnWrite: func() { writes++ }}
			if tc.withHaltHook {
				cfg.OnHaltChange = func() { halts++ }
			}
			api, err := NewAPI(cfg)
			if err != nil {
				t.Fatal(err)
			}
			id := ""
			for _, r := range tc.reqs {
				hr := httptest.NewRequest("POST", strings.Replace(r.path, "{id}", id, 1), strings.NewReader(r.body))
				hr.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				api.ServeHTTP(rec, hr)
				if rec.Code >= 300 {
					t.Fatalf("POST %s: %d %s", hr.URL.Path, rec.Code, rec.Body.String())
				}
				id = coordtest.DecodeAs[struct{ ID string }](t, rec.Body.Bytes()).ID
			}
			if writes != tc.wantWrites || halts != tc.wantHalt {
				t.Fatalf("OnWrite called %d times, OnHaltChange %d; want %d and %d", writes, halts, tc.wantWrites, tc.wantHalt)
			}
		})
	}
}
