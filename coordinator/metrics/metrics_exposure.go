package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/rings"
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
	for _, rel := range snap.State.Releases {
		if rel.State.Terminal() {
			continue
		}
		ch <- prometheus.MustNewConstMetric(c.exposure, prometheus.GaugeValue, rings.Exposure(snap.Topology, rel), rel.App, rel.ID)
	}
}
