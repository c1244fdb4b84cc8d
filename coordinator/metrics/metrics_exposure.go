package metrics

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// exposureDesc is ringleader_release_exposure_ratio.
func exposureDesc() *prometheus.Desc {
	return prometheus.NewDesc("ringleader_release_exposure_ratio",
		"Share (0..1) of the app's traffic served by the release's version now: its promoted regions not rolled back, weighted by trafficShare; per release not finished.",
		[]string{"app", "release"}, nil)
}

// collectExposure exports the exposure of every release of snap that is
// not finished (a finished release's figure would only repeat the next
// one's).
func (c *StateCollector) collectExposure(snap store.Snapshot, ch chan<- prometheus.Metric) {
	if snap.Topology == nil {
		return
	}
	exposure := c.exposures.next(snap.Topology)
	defer c.exposures.done()
	for _, rel := range snap.State.Releases {
		if rel.State.Terminal() {
			continue
		}
		ch <- prometheus.MustNewConstMetric(c.exposure, prometheus.GaugeValue, exposure(rel), rel.App, rel.ID)
	}
}

// exposureMemo keeps each release's exposure from one scrape to the next,
// so a scrape computes it only for the releases that changed: reading
// every region of every release costs milliseconds at 2,000 releases,
// every 15 s, for figures that mostly did not move.
//
// It is keyed by the *rings.Release of the view: a view's releases are
// never changed afterwards (store.FSM.View: the FSM copies a release
// before changing it), so the same pointer under the same topology has the
// same exposure. Each scrape keeps only the releases it saw, so a key is
// never a freed release whose address was reused.
type exposureMemo struct {
	mu        sync.Mutex // one scrape at a time uses the memo
	top       *topology.Topology
	last, now map[*rings.Release]float64
}

// next starts a scrape under top and returns the exposure of a release of
// its view; done ends the scrape.
func (m *exposureMemo) next(top *topology.Topology) func(*rings.Release) float64 {
	m.mu.Lock()
	if m.top != top {
		m.top, m.last = top, nil
	}
	m.now = make(map[*rings.Release]float64, len(m.last))
	return func(r *rings.Release) float64 {
		v, ok := m.last[r]
		if !ok {
			v = rings.Exposure(top, r)
		}
		m.now[r] = v
		return v
	}
}

func (m *exposureMemo) done() {
	m.last, m.now = m.now, nil
	m.mu.Unlock()
}
