package metrics

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ringleader-dev/ringleader/rings"
)

// TestExposureFollowsTheRelease: the exposure kept from the last scrape is
// not reused once the release moved on (its canary soaked and the early
// ring was promoted), and a scrape keeps only the releases it saw.
func TestExposureFollowsTheRelease(t *testing.T) {
	t.Parallel()
	st, clock, l := soakingLoop(t)
	reconcile := func() {
		for range 4 {
			l.ReconcileOnce(context.Background())
		}
	}
	sc, err := NewStateCollector(StateCollectorConfig{Store: st, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(sc)
	key := `app="checkout",release="checkout-v2"`
	if got := gathered(t, reg, "ringleader_release_exposure_ratio")[key]; math.Abs(got-1.0/3) > 1e-9 {
		t.Fatalf("exposure with the canary promoted %v, want 1/3", got)
	}

	clock.Advance(2 * time.Hour) // the canary has soaked
	reconcile()
	view := st.View()
	want := rings.Exposure(view.Topology, view.State.ReleaseByID("checkout-v2"))
	if want <= 1.0/3 {
		t.Fatalf("the release did not move past its canary (exposure %v): the test proves nothing", want)
	}
	if got := gathered(t, reg, "ringleader_release_exposure_ratio")[key]; got != want {
		t.Fatalf("exposure after the early ring %v, want %v", got, want)
	}
	if n := len(sc.exposures.last); n != 1 {
		t.Fatalf("the scrape kept %d releases' exposure, want the 1 it saw", n)
	}
}
