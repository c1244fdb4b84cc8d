package rings_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/ringstest"
)

// The state keeps every active halt, every automatic halt and only the
// newest KeepResumedHalts resumed manual ones, so its size does not grow
// with the halt history.
func TestResumedHaltHistoryIsBounded(t *testing.T) {
	s := &rings.State{}
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	place := func(id string) {
		t.Helper()
		if err := s.PlaceHalt(rings.Halt{ID: id, Scope: rings.HaltScope{Global: true}, Reason: "incident"}); err != nil {
			t.Fatal(err)
		}
	}
	// Two halts stay active through the whole history, one placed first.
	place("kept-first")
	// A resumed automatic halt stays: the planner reads it.
	if err := s.PlaceHalt(rings.Halt{ID: "auto-resumed", Scope: rings.HaltScope{Releases: []string{"r1"}, Rings: []string{"late"}}, Reason: "ring failed", Auto: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.ResumeHalt("auto-resumed", "ic", "known issue", at); err != nil {
		t.Fatal(err)
	}
	for i := range rings.KeepResumedHalts + 50 {
		id := fmt.Sprintf("h%03d", i)
		place(id)
		if err := s.ResumeHalt(id, "ic", "fixed", at.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if i == 10 {
			place("kept-middle")
		}
	}
	if got, want := len(s.Halts), rings.KeepResumedHalts+3; got != want {
		t.Fatalf("state holds %d halts, want %d (%d resumed manual + 1 resumed auto + 2 active)", got, want, rings.KeepResumedHalts)
	}
	if s.Halts[0].ID != "kept-first" || !s.Halts[0].Active() {
		t.Fatalf("first halt is %+v, want the active kept-first", s.Halts[0])
	}
	var active, resumed []string
	for _, h := range s.Halts {
		if h.Auto {
			if h.ID != "auto-resumed" || h.Active() {
				t.Fatalf("automatic halt %+v, want the resumed auto-resumed", h)
			}
			continue
		}
		if h.Active() {
			active = append(active, h.ID)
		} else {
			resumed = append(resumed, h.ID)
		}
	}
	if fmt.Sprint(active) != "[kept-first kept-middle]" {
		t.Fatalf("active halts %v, want both kept", active)
	}
	// The 50 resumed first are gone; the rest keep their order.
	if resumed[0] != "h050" || resumed[len(resumed)-1] != fmt.Sprintf("h%03d", rings.KeepResumedHalts+49) {
		t.Fatalf("resumed halts run %s … %s, want h050 … h%03d", resumed[0], resumed[len(resumed)-1], rings.KeepResumedHalts+49)
	}
	for i := 1; i < len(resumed); i++ {
		if resumed[i] <= resumed[i-1] {
			t.Fatalf("resumed halts out of order at %d: %s after %s", i, resumed[i], resumed[i-1])
		}
	}
	// A forgotten halt is unknown now; a kept one still refuses a second resume.
	if err := s.ResumeHalt("h000", "ic", "again", at); !errors.Is(err, rings.ErrNotFound) {
		t.Fatalf("resume of a forgotten halt: %v, want not found", err)
	}
	if err := s.ResumeHalt("h120", "ic", "again", at); !errors.Is(err, rings.ErrConflict) {
		t.Fatalf("second resume of a kept halt: %v, want conflict", err)
	}
}

// The state keeps KeepFinishedReleases completed and as many other
// finished releases per app, plus what is still needed: running releases
// and a completed release being rolled back.
func TestFinishedReleaseHistoryIsBounded(t *testing.T) {
	t.Parallel()
	top := ringstest.Topology(t)
	s := &rings.State{}
	complete := func(id string) {
		t.Helper()
		r := s.ReleaseByID(id)
		if err := s.StartRelease(id, ringstest.T0); err != nil {
			t.Fatal(err)
		}
		for i := range r.Rings {
			r.Rings[i].State = rings.RingDone
		}
		if err := s.CompleteRelease(id, ringstest.T0); err != nil {
			t.Fatal(err)
		}
	}
	create := func(id, app string) {
		t.Helper()
		if _, err := s.CreateRelease(top, id, app, id, "", "", time.Time{}, ringstest.T0, "alice", ""); err != nil {
			t.Fatal(err)
		}
	}
	// ledger: one completed release, then a long run of aborted ones.
	create("ledger-good", "ledger")
	complete("ledger-good")
	// checkout: one running release created first, one completed release
	// asked to roll back, then many aborted.
	create("checkout-running", "checkout")
	if err := s.StartRelease("checkout-running", ringstest.T0); err != nil {
		t.Fatal(err)
	}
	create("checkout-done", "checkout")
	complete("checkout-done")
	done := s.ReleaseByID("checkout-done")
	done.Rings[0].Regions[0].PromotedAt, done.PreviousVersion = ringstest.T0, "1.0" // promoted: the rollback has work to do
	if err := s.RequestRollback("checkout-done", "bob", "regressed", ringstest.T0); err != nil {
		t.Fatal(err)
	}
	for i := range rings.KeepFinishedReleases + 4 {
		for _, app := range []string{"ledger", "checkout"} {
			id := fmt.Sprintf("%s-%02d", app, i)
			create(id, app)
			if err := s.Abort(id, "bob", "superseded", ringstest.T0); err != nil {
				t.Fatal(err)
			}
		}
	}
	var ledger, checkout []string
	for _, r := range s.Releases {
		if r.App == "ledger" {
			ledger = append(ledger, r.ID)
		} else {
			checkout = append(checkout, r.ID)
		}
	}
	// ledger keeps its completed release and the newest aborted ones:
	// completed releases are counted apart.
	wantLedger := []string{"ledger-good"}
	for i := 4; i < rings.KeepFinishedReleases+4; i++ {
		wantLedger = append(wantLedger, fmt.Sprintf("ledger-%02d", i))
	}
	if fmt.Sprint(ledger) != fmt.Sprint(wantLedger) {
		t.Fatalf("ledger releases %v, want %v", ledger, wantLedger)
	}
	// checkout keeps the running release and the one rolling back, which
	// do not count, and KeepFinishedReleases aborted ones.
	wantCheckout := []string{"checkout-running", "checkout-done"}
	for i := 4; i < rings.KeepFinishedReleases+4; i++ {
		wantCheckout = append(wantCheckout, fmt.Sprintf("checkout-%02d", i))
	}
	if fmt.Sprint(checkout) != fmt.Sprint(wantCheckout) {
		t.Fatalf("checkout releases %v, want %v", checkout, wantCheckout)
	}
	// The next ledger release still rolls back to the completed one.
	create("ledger-next", "ledger")
	if got := s.ReleaseByID("ledger-next").PreviousVersion; got != "ledger-good" {
		t.Fatalf("the next release's previous version is %q, want ledger-good", got)
	}
}

// Review findings: a transition never forgets what it just changed, and
// forgetting goes by when things finished, not by when they were created.
func TestForgettingKeepsWhatTheTransitionChanged(t *testing.T) {
	t.Parallel()
	top := ringstest.Topology(t)
	at := func(m int) time.Time { return ringstest.T0.Add(time.Duration(m) * time.Minute) }

	t.Run("an old halt resumed after a full history stays", func(t *testing.T) {
		s := &rings.State{}
		if err := s.PlaceHalt(rings.Halt{ID: "old", Scope: rings.HaltScope{Global: true}, Reason: "incident"}); err != nil {
			t.Fatal(err)
		}
		for i := range rings.KeepResumedHalts {
			id := fmt.Sprintf("h%03d", i)
			if err := s.PlaceHalt(rings.Halt{ID: id, Scope: rings.HaltScope{Global: true}, Reason: "drill"}); err != nil {
				t.Fatal(err)
			}
			if err := s.ResumeHalt(id, "ic", "over", at(i)); err != nil {
				t.Fatal(err)
			}
		}
		// The new leader's clock is behind the old one's: by resume time
		// this halt is the oldest, and still the resume keeps it.
		if err := s.ResumeHalt("old", "ic", "fixed", at(-5)); err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, h := range s.Halts {
			ids = append(ids, h.ID)
		}
		if len(ids) != rings.KeepResumedHalts || ids[0] != "old" || ids[1] != "h001" {
			t.Fatalf("halts after resuming the old one: %d, starting %v; want %d with old kept and h000 (resumed first) gone", len(ids), ids[:3], rings.KeepResumedHalts)
		}
		// By resume time, not by placement: resuming h100 next forgets h001
		// (resumed at minute 1), not old (resumed at minute -5 but kept
		// above, now the oldest resumed).
		if err := s.PlaceHalt(rings.Halt{ID: "h100", Scope: rings.HaltScope{Global: true}, Reason: "drill"}); err != nil {
			t.Fatal(err)
		}
		if err := s.ResumeHalt("h100", "ic", "over", at(600)); err != nil {
			t.Fatal(err)
		}
		if s.Halts[0].ID != "h001" && s.Halts[0].ID != "h002" {
			t.Fatalf("first halt now %s; want old forgotten as the oldest resumed", s.Halts[0].ID)
		}
	})

	t.Run("an old running release aborted after a full history stays", func(t *testing.T) {
		s := &rings.State{}
		mustCreate := func(id string, m int) {
			if _, err := s.CreateRelease(top, id, "checkout", id, "", "", time.Time{}, at(m), "alice", "1.0"); err != nil {
				t.Fatal(err)
			}
		}
		mustCreate("first", 0)
		if err := s.StartRelease("first", at(0)); err != nil {
			t.Fatal(err)
		}
		for i := range rings.KeepFinishedReleases {
			id := fmt.Sprintf("queued-%d", i)
			mustCreate(id, 1+i)
			if err := s.Abort(id, "bob", "superseded", at(1+i)); err != nil {
				t.Fatal(err)
			}
		}
		// A clock behind the others: by finish time it is the oldest.
		if err := s.Abort("first", "bob", "wrong build", at(-5)); err != nil {
			t.Fatal(err)
		}
		if s.ReleaseByID("first") == nil {
			t.Fatal("the abort forgot the release it aborted")
		}
		if s.ReleaseByID("queued-0") != nil || len(s.Releases) != rings.KeepFinishedReleases {
			t.Fatalf("%d releases, queued-0 kept: %v; want %d and the one that finished first gone", len(s.Releases), s.ReleaseByID("queued-0") != nil, rings.KeepFinishedReleases)
		}
	})

	t.Run("a run of aborts does not push out the rollback target", func(t *testing.T) {
		s := &rings.State{}
		complete := func(id string, m int) {
			if _, err := s.CreateRelease(top, id, "checkout", id, "", "", time.Time{}, at(m), "alice", ""); err != nil {
				t.Fatal(err)
			}
			if err := s.StartRelease(id, at(m)); err != nil {
				t.Fatal(err)
			}
			r := s.ReleaseByID(id)
			for i := range r.Rings {
				r.Rings[i].State = rings.RingDone
				for j := range r.Rings[i].Regions {
					r.Rings[i].Regions[j].PromotedAt = at(m)
				}
			}
			if err := s.CompleteRelease(id, at(m)); err != nil {
				t.Fatal(err)
			}
		}
		complete("r0", 0)
		for i := range rings.KeepFinishedReleases {
			id := fmt.Sprintf("x%d", i)
			if _, err := s.CreateRelease(top, id, "checkout", id, "", "", time.Time{}, at(1+i), "alice", ""); err != nil {
				t.Fatal(err)
			}
			if err := s.Abort(id, "bob", "bad build", at(1+i)); err != nil {
				t.Fatal(err)
			}
		}
		complete("r6", 10)
		if err := s.RequestRollback("r6", "bob", "regressed", at(11)); err != nil {
			t.Fatal(err)
		}
		r6 := s.ReleaseByID("r6")
		for _, rp := range r6.Rings {
			var names []string
			for _, g := range rp.Regions {
				names = append(names, g.Name)
			}
			if err := s.MarkRolledBack("r6", rp.Name, names, "rb-"+rp.Name, "c", at(12)); err != nil {
				t.Fatal(err)
			}
			if err := s.VerifyRollback("r6", rp.Name, names, at(12)); err != nil {
				t.Fatal(err)
			}
		}
		if r6.State != rings.ReleaseRolledBack && s.ReleaseByID("r6").State != rings.ReleaseRolledBack {
			t.Fatalf("r6 is %s, want rolled back", s.ReleaseByID("r6").State)
		}
		next, err := s.CreateRelease(top, "r7", "checkout", "r7", "", "", time.Time{}, at(13), "alice", "")
		if err != nil {
			t.Fatal(err)
		}
		if next.PreviousVersion != "r0" {
			t.Fatalf("the next release rolls back to %q, want r0 (the newest completed release left)", next.PreviousVersion)
		}
	})
}
