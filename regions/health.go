package regions

import (
	"context"
	"time"

	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// RegionAnalysis is the metric evidence for one region: one observation per
// check, or none with Reason saying why (e.g. the region has no Prometheus).
type RegionAnalysis struct {
	Region string
	Checks []rings.Observation
	Reason string
}

// SyncSource reports whether regions run the promoted commit and are healthy
// (Argo CD). Its Health values' Checks are ignored.
type SyncSource interface {
	ObserveSync(ctx context.Context, topo *topology.Topology, q rings.HealthQuery) ([]rings.RegionHealth, error)
}

// MetricSource evaluates the analysis metrics of the promoted regions at a
// given time (Prometheus). It returns one entry per promoted region.
type MetricSource interface {
	Analyze(ctx context.Context, topo *topology.Topology, q rings.HealthQuery, at time.Time) ([]RegionAnalysis, error)
}

// SoakHook is called once per observation of a soaking ring; a failing
// observation fails every region of the ring (the during-soak webhook).
type SoakHook interface {
	DuringSoak(ctx context.Context, q rings.HealthQuery, at time.Time) rings.Observation
}
