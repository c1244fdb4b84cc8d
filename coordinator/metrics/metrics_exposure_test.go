package metrics

import (
	"math"
	"testing"
)

// TestMetricsExposure: the soaking release of checkout has its canary
// (us-east-1, one of the test topology's three regions, none with a
// traffic share) promoted, so a third of checkout's traffic runs it.
func TestMetricsExposure(t *testing.T) {
	t.Parallel()
	st, clock := soaking(t)
	reg, _ := newRegistry(t, StateCollectorConfig{Store: st, Clock: clock})
	rel := st.Snapshot().State.Releases[0]
	got := gathered(t, reg, "ringleader_release_exposure_ratio")
	if v, ok := got[`app="checkout",release="`+rel.ID+`"`]; len(got) != 1 || !ok || math.Abs(v-1.0/3) > 1e-9 {
		t.Fatalf("exposure %v; want checkout's release at 1/3", got)
	}
}
