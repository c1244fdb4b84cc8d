package prometheus

import (
	"context"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/regions"
	"github.com/ringleader-dev/ringleader/regions/promtest"
	ringtopology "github.com/ringleader-dev/ringleader/rings/topology"
)

// TestHealthSourceWithRealPrometheus wires the Analyzer into the combining
// regions.HealthSource the way cmd/ringd does and observes a soaking ring:
// the canary's checks come from the real server (its absolute check passes,
// its comparison with the baseline fails) and the region without a
// Prometheus says so.
func TestHealthSourceWithRealPrometheus(t *testing.T) {
	t.Parallel()
	const app = "wired"
	exporter.SetErrorRatio(promtest.Series{Region: "canary-1", App: app, Version: "v2"}, 0.04)
	exporter.SetErrorRatio(promtest.Series{Region: "base-1", App: app, Version: "v1"}, 0)
	topo := topology([]ringtopology.Region{region("canary-1"), {Name: "bare-1"}, region("base-1")},
		ringtopology.Metric{Name: "error-rate", Query: errorRateQuery, Max: ptr(5), MaxDegradation: ptr(1)})
	h, err := regions.NewHealthSource(regions.HealthConfig{
		Topology: func() *ringtopology.Topology { return topo },
		Metrics:  newAnalyzer(t, Config{}),
	})
	if err != nil {
		t.Fatal(err)
	}
	q := query(app, "v2", []string{"canary-1", "bare-1"}, "base-1")
	eventually(t, 30*time.Second, func() (bool, string) {
		got, err := h.Observe(context.Background(), q)
		if err != nil || len(got) != 2 {
			return false, "observe failed"
		}
		canary, bare := got[0], got[1]
		ok := canary.Synced && canary.Healthy && len(canary.Checks) == 2 && canary.Checks[0].Pass && !canary.Checks[1].Pass &&
			canary.Checks[1].Check == "error-rate"+BaselineSuffix && near(canary.Checks[1].Value, 4, 1e-6) &&
			bare.Reason == ReasonNoPrometheus && len(bare.Checks) == 0
		return ok, describe(canary.Checks) + " | bare: " + bare.Reason
	})
}
