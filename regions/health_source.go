package regions

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// ErrNoDuringSoak is what HealthConfig.DuringSoak returns when no
// during-soak receiver (ringd's or the app's own) is set for the release.
var ErrNoDuringSoak = errors.New("no during-soak webhook for this app")

// CheckDuringSoak is the observation name of the during-soak webhook.
const CheckDuringSoak = "webhook/during-soak"

// CheckAnalysis is the observation name used when the metric source as a
// whole could not run (every region gets one failing check so nothing passes
// by silence).
const CheckAnalysis = "analysis"

// ErrNoTopology: the health source was asked before a topology was loaded.
var ErrNoTopology = errors.New("no topology loaded")

// HealthConfig wires the evidence sources. Only Topology is required; a nil
// source is "not wired", and a region whose topology entry asks for that
// source then fails closed with a reason saying so.
type HealthConfig struct {
	// Topology returns the topology in force (the coordinator's last good one).
	Topology func() *topology.Topology
	// Sync reports sync and health for regions with an argocd source.
	Sync SyncSource
	// Metrics evaluates the analysis metrics while a ring soaks.
	Metrics MetricSource
	// DuringSoak, when set, is called once per observation of a soaking
	// ring (the during-soak webhook); an error fails the check of every
	// region of the ring, except ErrNoDuringSoak: no receiver for that
	// release's app, so no check is recorded.
	DuringSoak func(ctx context.Context, q rings.HealthQuery, at time.Time) error
	// Now stamps the observations (default time.Now).
	Now func() time.Time
}

// HealthSource combines the configured sources into one rings.RegionHealth
// per promoted region; it is the leader loop's leader.HealthSource as is.
type HealthSource struct {
	cfg HealthConfig
}

// NewHealthSource validates cfg and returns a HealthSource.
func NewHealthSource(cfg HealthConfig) (*HealthSource, error) {
	if cfg.Topology == nil {
		return nil, errors.New("health source: Topology is required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &HealthSource{cfg: cfg}, nil
}

// Observe gathers evidence for every promoted region of q, in query order:
//
//   - Synced and Healthy come from the sync source for regions with an
//     argocd entry; a region without one is reported synced and healthy (it
//     advances on soak time alone). An error, a missing answer or an
//     unwired source makes the region unsynced and unhealthy, with a reason.
//     InProgress comes from the sync source too (a rollout still running).
//   - While q.Soaking, Checks hold the metric observations (regions without
//     a Prometheus get none, and Reason says so) and the during-soak
//     webhook's. A failing check does not clear Healthy: analysis failures
//     are counted by the ring's consecutive-failure threshold, whereas an
//     unhealthy region is Argo CD's verdict.
//
// It returns an error only when no topology is loaded; every other problem
// is evidence.
func (h *HealthSource) Observe(ctx context.Context, q rings.HealthQuery) ([]rings.RegionHealth, error) {
	topo := h.cfg.Topology()
	if topo == nil {
		return nil, fmt.Errorf("observe ring %q of release %q: %w", q.Ring, q.ReleaseID, ErrNoTopology)
	}
	at := h.cfg.Now()
	out := make([]rings.RegionHealth, len(q.Regions))
	index := map[string]int{}
	for i, t := range q.Regions {
		out[i] = rings.RegionHealth{Region: t.Region, Synced: true, Healthy: true}
		index[t.Region] = i
	}
	h.sync(ctx, topo, q, out, index)
	if q.Soaking {
		h.metrics(ctx, topo, q, at, out, index)
		h.duringSoak(ctx, q, at, out)
	}
	return out, nil
}

// sync fills Synced/Healthy of regions that have an argocd source.
func (h *HealthSource) sync(ctx context.Context, topo *topology.Topology, q rings.HealthQuery, out []rings.RegionHealth, index map[string]int) {
	need := false
	for i, t := range q.Regions {
		r, ok := topo.RegionByName(t.Region)
		switch {
		case !ok:
			out[i].Synced, out[i].Healthy = false, false
			out[i].Reason = fmt.Sprintf("region %q is not in topology %q", t.Region, topo.Metadata.Name)
		case r.ArgoCD != nil:
			need = true
		}
	}
	if !need {
		return
	}
	unsynced := func(i int, reason string) {
		out[i].Synced, out[i].Healthy, out[i].Reason = false, false, reason
	}
	if h.cfg.Sync == nil {
		for i, t := range q.Regions {
			if r, ok := topo.RegionByName(t.Region); ok && r.ArgoCD != nil {
				unsynced(i, "region has an argocd source but no sync source is wired: no sync evidence")
			}
		}
		return
	}
	got, err := h.cfg.Sync.ObserveSync(ctx, topo, q)
	seen := map[string]bool{}
	if err == nil {
		for _, g := range got {
			i, ok := index[g.Region]
			if r, known := topo.RegionByName(g.Region); !ok || !known || r.ArgoCD == nil {
				continue // not asked, or not a region this source speaks for
			}
			seen[g.Region] = true
			out[i].Synced, out[i].Healthy, out[i].Reason = g.Synced, g.Healthy, g.Reason
			out[i].InProgress = g.InProgress
		}
	}
	for i, t := range q.Regions {
		r, ok := topo.RegionByName(t.Region)
		if !ok || r.ArgoCD == nil || seen[t.Region] {
			continue
		}
		if err != nil {
			unsynced(i, "sync evidence unavailable: "+err.Error())
		} else {
			unsynced(i, "sync source said nothing about the region")
		}
	}
}

// metrics appends the analysis observations of each promoted region.
func (h *HealthSource) metrics(ctx context.Context, topo *topology.Topology, q rings.HealthQuery, at time.Time, out []rings.RegionHealth, index map[string]int) {
	if len(topo.EffectivePolicy(q.App).Analysis.Metrics) == 0 {
		return
	}
	failAll := func(reason string) {
		for i := range out {
			out[i].Checks = append(out[i].Checks, rings.Observation{Region: out[i].Region, Check: CheckAnalysis, Reason: reason, At: at})
		}
	}
	if h.cfg.Metrics == nil {
		for i, t := range q.Regions {
			if r, ok := topo.RegionByName(t.Region); ok && r.Prometheus != nil {
				out[i].Checks = append(out[i].Checks, rings.Observation{Region: t.Region, Check: CheckAnalysis, At: at,
					Reason: "region has a prometheus source but no metric source is wired: no metric evidence"})
			}
		}
		return
	}
	got, err := h.cfg.Metrics.Analyze(ctx, topo, q, at)
	if err != nil {
		failAll("analysis could not run: " + err.Error())
		return
	}
	seen := map[string]bool{}
	for _, ra := range got {
		i, ok := index[ra.Region]
		if !ok {
			continue
		}
		seen[ra.Region] = true
		out[i].Checks = append(out[i].Checks, ra.Checks...)
		if len(ra.Checks) == 0 && ra.Reason != "" && out[i].Reason == "" {
			out[i].Reason = ra.Reason
		}
	}
	for i, t := range q.Regions {
		if !seen[t.Region] {
			out[i].Checks = append(out[i].Checks, rings.Observation{Region: t.Region, Check: CheckAnalysis, At: at,
				Reason: "metric source said nothing about the region"})
		}
	}
}

// duringSoak calls the during-soak webhook once and records its verdict for
// every region of the ring.
func (h *HealthSource) duringSoak(ctx context.Context, q rings.HealthQuery, at time.Time, out []rings.RegionHealth) {
	if h.cfg.DuringSoak == nil {
		return
	}
	err := h.cfg.DuringSoak(ctx, q, at)
	if errors.Is(err, ErrNoDuringSoak) {
		return
	}
	for i := range out {
		o := rings.Observation{Region: out[i].Region, Check: CheckDuringSoak, Pass: err == nil, At: at}
		if err != nil {
			o.Reason = err.Error()
		}
		out[i].Checks = append(out[i].Checks, o)
	}
}
