package topology

import (
	"maps"
	"slices"
)

// Lookups a state-sized caller makes per release (the planner, the
// /metrics scrape, the dashboard): a region, ring or app by name and an
// app's traffic shares and exposure. Parse computes the index once, after
// validation, like the effective policies; the topology is immutable
// afterwards, so readers share it without locking. A Topology built by
// hand (tests) has no index and every lookup searches the lists and
// computes the shares, as before.
//
// The index remembers the lists it was built from: a copy of a parsed
// topology whose apps, regions or rings were replaced or grown (tests do
// this) is not served by it. An entry changed in place is not seen, which
// invariant 1 of DESIGN.md rules out.

// index is what Parse computes for O(1) lookups.
type index struct {
	// apps, regions and rings are the lists indexed (the same backing
	// arrays as the topology's, not copies).
	apps    []App
	regions []Region
	rings   []Ring

	appAt, regionAt, ringAt map[string]int // name → position of its first entry

	// exposure holds each app's traffic shares and cumulative exposure;
	// apps without a trafficShare of their own share one entry
	// (defaultExposure), since theirs are the regions' figures, as are
	// those of an app the topology does not list.
	exposure        map[string]*appExposure
	defaultExposure *appExposure
}

// appExposure is one app's traffic shares (region → percent, every region
// of the topology), their sum, and its cumulative exposure per ring.
// Never handed out: callers get copies.
type appExposure struct {
	shares     map[string]float64
	total      float64
	cumulative []float64
}

// buildIndex computes the index of a validated topology.
func buildIndex(t *Topology) *index {
	ix := &index{
		apps:     t.Spec.Apps,
		regions:  t.Spec.Regions,
		rings:    t.Spec.Rings,
		appAt:    positions(t.Spec.Apps, appName),
		regionAt: positions(t.Spec.Regions, regionName),
		ringAt:   positions(t.Spec.Rings, ringName),
		exposure: make(map[string]*appExposure, len(t.Spec.Apps)),
	}
	ix.defaultExposure = exposureFor(t, App{})
	for i, a := range t.Spec.Apps {
		switch {
		case ix.appAt[a.Name] != i: // a later entry of a name is not the app (byName)
		case len(a.TrafficShare) == 0:
			ix.exposure[a.Name] = ix.defaultExposure
		default:
			ix.exposure[a.Name] = exposureFor(t, a)
		}
	}
	return ix
}

func appName(a App) string       { return a.Name }
func regionName(r Region) string { return r.Name }
func ringName(r Ring) string     { return r.Name }

// positions maps each name of list to the position of its first entry.
func positions[T any](list []T, nameOf func(T) string) map[string]int {
	out := make(map[string]int, len(list))
	for i, v := range list {
		if _, ok := out[nameOf(v)]; !ok {
			out[nameOf(v)] = i
		}
	}
	return out
}

// indexFor returns t's index when it still describes t's lists, else nil.
func (t *Topology) indexFor() *index {
	ix := t.index
	if ix == nil || !sameList(ix.apps, t.Spec.Apps) || !sameList(ix.regions, t.Spec.Regions) || !sameList(ix.rings, t.Spec.Rings) {
		return nil
	}
	return ix
}

// sameList reports whether a and b are the same list: same length over the
// same backing array.
func sameList[T any](a, b []T) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// entryAt returns the entry of list at name's position in at.
func entryAt[T any](at map[string]int, list []T, name string) (T, bool) {
	if i, ok := at[name]; ok {
		return list[i], true
	}
	var zero T
	return zero, false
}

// exposureOf returns app's shares and exposure: the cached ones of a
// parsed topology, or computed now for a topology built by hand or
// changed since Parse.
func (t *Topology) exposureOf(app string) *appExposure {
	if ix := t.indexFor(); ix != nil {
		if e, ok := ix.exposure[app]; ok {
			return e
		}
		return ix.defaultExposure
	}
	a, _ := t.AppByName(app)
	return exposureFor(t, a)
}

// exposureFor computes a's traffic shares (the rules at the top of
// exposure.go) and cumulative exposure.
func exposureFor(t *Topology, a App) *appExposure {
	e := &appExposure{shares: make(map[string]float64, len(t.Spec.Regions))}
	given, unset := 0.0, 0
	for _, r := range t.Spec.Regions {
		if v, ok := a.TrafficShare[r.Name]; ok {
			e.shares[r.Name] = v
			given += v
			continue
		}
		if r.TrafficShare != nil {
			e.shares[r.Name] = *r.TrafficShare
			given += *r.TrafficShare
			continue
		}
		unset++
	}
	if unset > 0 {
		rest := max(0, 100-given) / float64(unset)
		for _, r := range t.Spec.Regions {
			if _, ok := e.shares[r.Name]; !ok {
				e.shares[r.Name] = rest
			}
		}
	}
	for _, r := range t.Spec.Regions {
		e.total += e.shares[r.Name]
	}
	e.cumulative = make([]float64, len(t.Spec.Rings))
	sum := 0.0
	for i, ring := range t.Spec.Rings {
		for _, name := range ring.Regions {
			sum += e.shares[name]
		}
		e.cumulative[i] = e.ratio(sum)
	}
	return e
}

// ratio is the share (0..1) that sum percent is of the app's traffic.
func (e *appExposure) ratio(sum float64) float64 {
	if e.total <= 0 {
		return 0
	}
	return min(sum/e.total, 1)
}

// copies of the cached values, for callers that may change them.
func (e *appExposure) sharesCopy() map[string]float64 { return maps.Clone(e.shares) }
func (e *appExposure) cumulativeCopy() []float64      { return slices.Clone(e.cumulative) }
