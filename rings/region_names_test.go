package rings

import (
	"slices"
	"testing"
)

// TestRegionNames: ring order, each region once at its first place, nil
// for a release without regions.
func TestRegionNames(t *testing.T) {
	t.Parallel()
	ring := func(names ...string) RingProgress {
		rp := RingProgress{}
		for _, n := range names {
			rp.Regions = append(rp.Regions, RegionProgress{Name: n})
		}
		return rp
	}
	cases := []struct {
		name  string
		rings []RingProgress
		want  []string
	}{
		{"no ring", nil, nil},
		{"rings without regions", []RingProgress{ring(), ring()}, nil},
		{"ring order", []RingProgress{ring("us-east-1"), ring("eu-west-1", "ap-south-1")}, []string{"us-east-1", "eu-west-1", "ap-south-1"}},
		{"twice in a ring", []RingProgress{ring("b", "a", "b")}, []string{"b", "a"}},
		{"again in a later ring keeps its first place", []RingProgress{ring("a", "b"), ring("c", "a"), ring("b", "d")}, []string{"a", "b", "c", "d"}},
	}
	for _, tc := range cases {
		r := &Release{Rings: tc.rings}
		if got := r.RegionNames(); !slices.Equal(got, tc.want) || (got == nil) != (tc.want == nil) {
			t.Errorf("%s: RegionNames() = %#v, want %#v", tc.name, got, tc.want)
		}
	}
}
