package regions

import (
	"context"
	"time"

	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// Query asks for evidence about the promoted regions of one ring. It has the
// shape of coordinator.HealthQuery field for field, so cmd/ringd converts one
// into the other with a struct literal.
type Query struct {
	ReleaseID string
	App       string
	Version   string
	// BaselineVersion is what the regions not yet promoted run; canary
	// comparisons evaluate the metric for them at this version.
	BaselineVersion string
	Ring            string
	// Regions are the promoted regions with the commit each was promoted at.
	Regions []Target
	// Baseline are regions not yet promoted to Version.
	Baseline []string
	// Soaking is set when the ring's soak clock runs: analysis and the
	// during-soak webhook apply only then.
	Soaking bool
}

// Target is a promoted region and the commit that promoted it.
type Target struct {
	Region string
	Commit string
}

// RegionNames returns the names of the promoted regions, in query order.
func (q Query) RegionNames() []string {
	out := make([]string, len(q.Regions))
	for i, t := range q.Regions {
		out[i] = t.Region
	}
	return out
}

// Health is the evidence for one region at one moment, the shape of
// coordinator.RegionHealth.
type Health struct {
	Region  string
	Synced  bool
	Healthy bool
	// Reason explains an unsynced or unhealthy region (the first failing
	// piece of evidence), or notes missing sources.
	Reason string
	// Checks are analysis results, one per metric (and per canary
	// comparison and during-soak webhook); empty when not soaking.
	Checks []rings.Observation
	// InProgress: the deployment source says the promoted version is still
	// rolling out (Argo CD Progressing or Suspended health, a sync
	// running), not failing. The planner lets the region wait up to the
	// ring's syncTimeout instead of counting it unhealthy.
	InProgress bool
}

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
	ObserveSync(ctx context.Context, topo *topology.Topology, q Query) ([]Health, error)
}

// MetricSource evaluates the analysis metrics of the promoted regions at a
// given time (Prometheus). It returns one entry per promoted region.
type MetricSource interface {
	Analyze(ctx context.Context, topo *topology.Topology, q Query, at time.Time) ([]RegionAnalysis, error)
}

// SoakHook is called once per observation of a soaking ring; a failing
// observation fails every region of the ring (the during-soak webhook).
type SoakHook interface {
	DuringSoak(ctx context.Context, q Query, at time.Time) rings.Observation
}
