package ui

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/leader"
	"github.com/ringleader-dev/ringleader/rings"
)

// A ring whose last Git write failed transiently shows "retrying: <error>
// (attempt N)" on the board.
func TestBoardShowsAPromotionRetry(t *testing.T) {
	t.Parallel()
	snap, now := fixture(t)
	st := snap.State.Clone()
	rt := rings.PromotionRetry{PromotionID: "checkout-v2/early/eu-west-1", Attempt: 2, Error: "push to git://git/gitops: connection refused", NextAttemptAt: now.Add(2 * time.Second)}
	if err := st.RecordPromotionRetry("checkout-v2", "early", rt, now); err != nil {
		t.Fatal(err)
	}
	snap.State = *st
	d, err := New(Config{Store: stubStore{snap: snap}, NodeID: "n1", Clock: leader.NewManualClock(now)})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	d.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/ui/board", nil))
	if want := "retrying: push to git://git/gitops: connection refused (attempt 2)"; !strings.Contains(rec.Body.String(), want) {
		t.Fatalf("board lacks %q:\n%s", want, rec.Body)
	}
}
