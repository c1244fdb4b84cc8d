package topology

import (
	"fmt"
	"maps"
	"slices"
)

// validateExposure checks the traffic shares of the regions and of each
// app, the rings' maxExposure and the apps' risk (exposure.go, risk.go).
// regions is the index of each region by name.
func (p *topoParser) validateExposure(s *TopologySpec, regions map[string]int) {
	regionShares := map[string]float64{}
	for i, r := range s.Regions {
		sp := pathJoin(pathIndex("spec.regions", i), "trafficShare")
		if r.TrafficShare == nil || p.isBad(sp) {
			continue
		}
		_, owner := listEntry("spec.regions", i, "region", r.Name)
		if p.checkPercent(sp, "trafficShare of "+owner, *r.TrafficShare) {
			regionShares[r.Name] = *r.TrafficShare
		}
	}
	regionsKnown := !p.isBad("spec.regions")
	if regionsKnown {
		p.checkShareSum("spec.regions", "the trafficShare of the regions", regionShares, len(s.Regions))
	}
	for i, ring := range s.Rings {
		mp := pathJoin(pathIndex("spec.rings", i), "maxExposure")
		if ring.MaxExposure != nil && !p.isBad(mp) {
			_, owner := listEntry("spec.rings", i, "ring", ring.Name)
			p.checkPercent(mp, "maxExposure of "+owner, *ring.MaxExposure)
		}
	}
	for i, a := range s.Apps {
		ap, owner := listEntry("spec.apps", i, "app", a.Name)
		if rp := pathJoin(ap, "risk.failureRate"); a.Risk != nil && a.Risk.FailureRate != nil && !p.isBad(rp) {
			if v := *a.Risk.FailureRate; v <= 0 || v > 100 {
				p.errorAt(p.at(rp), "risk.failureRate of %s must be a percentage above 0 and at most 100, such as 0.5, not %v", owner, v)
			}
		}
		if a.Risk != nil && a.Risk.DREAD != nil {
			p.checkDREAD(pathJoin(ap, "risk.dread"), owner, a.Risk.DREAD)
		}
		tp := pathJoin(ap, "trafficShare")
		if len(a.TrafficShare) == 0 || p.isBad(tp) || !regionsKnown {
			continue
		}
		merged := map[string]float64{}
		for name, v := range regionShares {
			merged[name] = v
		}
		complete := true
		for name, v := range a.TrafficShare {
			kp := pathJoin(tp, name)
			switch {
			case p.isBad(kp):
				complete = false
			case !hasKey(regions, name):
				complete = false
				p.errorAt(p.keyAt(kp), "unknown region %q in the trafficShare of %s; define it under spec.regions", name, owner)
			case p.checkPercent(kp, fmt.Sprintf("trafficShare of %s in %s", name, owner), v):
				merged[name] = v
			default:
				complete = false
			}
		}
		if complete {
			p.checkShareSum(tp, "the trafficShare of "+owner+" (with the regions' own)", merged, len(s.Regions))
		}
	}
}

// checkPercent reports a percentage outside 0–100 and says whether it is
// inside.
func (p *topoParser) checkPercent(path, what string, v float64) bool {
	if v < 0 || v > 100 {
		p.errorAt(p.at(path), "%s must be a percentage between 0 and 100, not %v", what, v)
		return false
	}
	return true
}

// checkShareSum reports traffic shares that add up to more than 100 %, or,
// when every one of the n regions has one, to other than 100 % (each
// within ShareTolerance).
func (p *topoParser) checkShareSum(path, what string, shares map[string]float64, n int) {
	if len(shares) == 0 {
		return
	}
	sum := 0.0
	for _, name := range slices.Sorted(maps.Keys(shares)) {
		sum += shares[name]
	}
	switch {
	case len(shares) == n && (sum < 100-ShareTolerance || sum > 100+ShareTolerance):
		p.errorAt(p.keyAt(path), "%s add up to %v %% over every region; they must add up to 100 %% (± %v)", what, round2(sum), ShareTolerance)
	case len(shares) < n && sum > 100+ShareTolerance:
		p.errorAt(p.keyAt(path), "%s add up to %v %%, above 100 %%, and %d %s no share left", what, round2(sum), n-len(shares), plural(n-len(shares), "region has", "regions have"))
	}
}

// round2 rounds a percentage to two decimals for messages.
func round2(v float64) float64 { return float64(int64(v*100+0.5)) / 100 }

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
