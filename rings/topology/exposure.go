package topology

// Traffic share and exposure.
//
// A region may say what share of an app's global traffic it serves
// (spec.regions[].trafficShare, percent) and an app may override that per
// region (spec.apps[].trafficShare: {region: percent}; the app's figure
// wins for the regions it names, the regions' own figures count for the
// rest). The regions left without a figure share what the given ones leave
// of 100 % equally; when no region has a figure every region serves an
// equal share. Validation keeps the given figures in 0–100, their sum at
// most 100 % (± 0.5), and exactly 100 % (± 0.5) when every region has one.
//
// The exposure of a release after ring k is the share of the app's traffic
// served by the regions of rings 0…k: the shares are normalised by their
// sum, so the last ring always reaches 100 % even when the figures add up
// to 99.6 %.

// ShareTolerance is how far, in percentage points, the traffic shares of
// every region may add up away from 100.
const ShareTolerance = 0.5

// TrafficShares returns the percent of app's global traffic each region
// serves, for every region of the topology (see the rules above). An app
// the topology does not have gets the regions' own figures. The map is the
// caller's: Parse computed the figures once, and this hands out a copy.
func (t *Topology) TrafficShares(app string) map[string]float64 {
	return t.exposureOf(app).sharesCopy()
}

// CumulativeExposure returns, per ring in order, the share (0..1) of app's
// traffic a release reaches once that ring and every ring before it are
// promoted: with shares 20/40/40 over three rings, 0.2, 0.6 and 1. When
// no region serves any traffic every entry is 0. The slice is the
// caller's.
func (t *Topology) CumulativeExposure(app string) []float64 {
	return t.exposureOf(app).cumulativeCopy()
}

// ExposureOf returns the share (0..1) of app's traffic served by the named
// regions: what a release reaches once exactly those regions run it.
func (t *Topology) ExposureOf(app string, regions []string) float64 {
	e := t.exposureOf(app)
	sum := 0.0
	for _, name := range regions {
		sum += e.shares[name]
	}
	return e.ratio(sum)
}
