package topology

import (
	"maps"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// ixTopologies are parsed topologies with apps that have their own
// traffic shares and apps that have none.
func ixTopologies(t *testing.T) map[string]*Topology {
	t.Helper()
	example, err := os.ReadFile(ptExamplePath)
	if err != nil {
		t.Fatal(err)
	}
	twoApps := oneApp + "\n      trafficShare: {us-east-1: 5, eu-west-1: 55}\n" +
		strings.ReplaceAll(oneApp, "web", "api")
	docs := map[string]string{
		"example":     string(example),
		"shares":      exposureDoc(threeRegions, threeRings, twoApps),
		"no shares":   exposureDoc(strings.NewReplacer(", trafficShare: 20", "", ", trafficShare: 40", "").Replace(threeRegions), threeRings, twoApps),
		"some shares": exposureDoc(strings.NewReplacer(", trafficShare: 40", "").Replace(threeRegions), threeRings, twoApps),
	}
	out := map[string]*Topology{}
	for name, doc := range docs {
		top, err := Parse("t.yaml", []byte(doc))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if top.index == nil {
			t.Fatalf("%s: Parse built no index", name)
		}
		out[name] = top
	}
	return out
}

// ixNames is every name of top's apps, regions and rings, plus names it
// does not have.
func ixNames(top *Topology) []string {
	names := []string{"", "absent", "US-EAST-1"}
	for _, a := range top.Spec.Apps {
		names = append(names, a.Name)
	}
	for _, r := range top.Spec.Regions {
		names = append(names, r.Name)
	}
	for _, r := range top.Spec.Rings {
		names = append(names, r.Name)
	}
	return names
}

// TestIndexAnswersLikeTheLists: every lookup of a parsed topology answers
// exactly as the same topology without its index (a linear search and
// shares computed on the spot), for names it has and names it has not.
func TestIndexAnswersLikeTheLists(t *testing.T) {
	t.Parallel()
	for name, top := range ixTopologies(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			bare := &Topology{APIVersion: top.APIVersion, Kind: top.Kind, Metadata: top.Metadata, Spec: top.Spec}
			var regions []string
			for _, r := range top.Spec.Regions {
				regions = append(regions, r.Name)
			}
			for _, n := range ixNames(top) {
				if got, want := top.RingIndex(n), bare.RingIndex(n); got != want {
					t.Errorf("RingIndex(%q) = %d, the list says %d", n, got, want)
				}
				if got, ok := top.RegionByName(n); !reflect.DeepEqual(got, must(bare.RegionByName(n))) || ok != found(bare.RegionByName(n)) {
					t.Errorf("RegionByName(%q) = %+v, %v; the list says otherwise", n, got, ok)
				}
				if got, ok := top.AppByName(n); !reflect.DeepEqual(got, must(bare.AppByName(n))) || ok != found(bare.AppByName(n)) {
					t.Errorf("AppByName(%q) = %+v, %v; the list says otherwise", n, got, ok)
				}
				// Exposure: compared exactly, the cache must add in the same order.
				if got, want := top.TrafficShares(n), bare.TrafficShares(n); !maps.Equal(got, want) {
					t.Errorf("TrafficShares(%q) = %v, computed %v", n, got, want)
				}
				if got, want := top.CumulativeExposure(n), bare.CumulativeExposure(n); !slices.Equal(got, want) {
					t.Errorf("CumulativeExposure(%q) = %v, computed %v", n, got, want)
				}
				for k := range len(regions) + 1 {
					on := append(regions[k:], "absent")
					if got, want := top.ExposureOf(n, on), bare.ExposureOf(n, on); got != want {
						t.Errorf("ExposureOf(%q, %v) = %v, computed %v", n, on, got, want)
					}
				}
			}
		})
	}
}

func must[T any](v T, _ bool) T      { return v }
func found[T any](_ T, ok bool) bool { return ok }

// TestTrafficSharesAreTheCallers: changing what TrafficShares and
// CumulativeExposure returned changes none of the next answers.
func TestTrafficSharesAreTheCallers(t *testing.T) {
	t.Parallel()
	top := ixTopologies(t)["shares"]
	for _, app := range []string{"web", "api", "absent"} {
		shares, cum := top.TrafficShares(app), top.CumulativeExposure(app)
		wantShares, wantCum := maps.Clone(shares), slices.Clone(cum)
		wantOn := top.ExposureOf(app, []string{"us-east-1"})
		for r := range shares {
			shares[r] = 1000
		}
		shares["mars-1"] = 1
		for i := range cum {
			cum[i] = -1
		}
		if got := top.TrafficShares(app); !maps.Equal(got, wantShares) {
			t.Errorf("%s: TrafficShares after the caller changed its map = %v, want %v", app, got, wantShares)
		}
		if got := top.CumulativeExposure(app); !slices.Equal(got, wantCum) {
			t.Errorf("%s: CumulativeExposure after the caller changed its slice = %v, want %v", app, got, wantCum)
		}
		if got := top.ExposureOf(app, []string{"us-east-1"}); got != wantOn {
			t.Errorf("%s: ExposureOf after the caller changed its map = %v, want %v", app, got, wantOn)
		}
	}
}

// TestIndexOfAChangedCopy: a copy of a parsed topology given another app,
// region or ring (tests build topologies this way) is answered from its
// lists, not from the index of the original.
func TestIndexOfAChangedCopy(t *testing.T) {
	t.Parallel()
	top := ixTopologies(t)["no shares"]
	c := *top
	c.Spec.Apps = append(slices.Clone(top.Spec.Apps), App{Name: "new", TrafficShare: map[string]float64{"us-east-1": 70}})
	c.Spec.Regions = append(slices.Clone(top.Spec.Regions), Region{Name: "mars-1"})
	c.Spec.Rings = append(slices.Clone(top.Spec.Rings), Ring{Name: "last", Regions: []string{"mars-1"}})
	if _, ok := c.AppByName("new"); !ok {
		t.Error("the copy does not find its new app")
	}
	if _, ok := c.RegionByName("mars-1"); !ok {
		t.Error("the copy does not find its new region")
	}
	if got := c.RingIndex("last"); got != 3 {
		t.Errorf("RingIndex(last) = %d in the copy, want 3", got)
	}
	if got := c.TrafficShares("new"); got["us-east-1"] != 70 || got["mars-1"] != 10 {
		t.Errorf("TrafficShares(new) in the copy = %v, want us-east-1 70 and the rest 10 each", got)
	}
	if got := c.CumulativeExposure("api"); len(got) != 4 || got[2] != 0.75 {
		t.Errorf("CumulativeExposure(api) in the copy = %v, want four rings, 0.75 after global", got)
	}
	if _, ok := top.AppByName("new"); ok || top.RingIndex("last") != -1 {
		t.Error("the original sees the copy's additions")
	}
}
