package scalegen

import (
	"strings"
	"testing"

	"github.com/ringleader-dev/ringleader/rings/topology"
)

func TestTopologyParsesWithTheRequestedShape(t *testing.T) {
	t.Parallel()
	cases := []struct {
		shape               Shape
		firstRing, lastRing int
	}{
		{Shape{Apps: 3, Regions: 50, Rings: 4, Soak: "1h"}, 13, 12},
		{Shape{Apps: 1, Regions: 4, Rings: 4, Soak: "0s"}, 1, 1},
		{Shape{Apps: 100, Regions: 7, Rings: 2, Soak: "30m"}, 4, 3},
		{Shape{Apps: 2, Regions: 4, Rings: 2, Soak: "0s", NoHealthSources: true}, 2, 2},
	}
	for _, tc := range cases {
		src, err := Topology(tc.shape)
		if err != nil {
			t.Fatalf("Topology(%+v): %v", tc.shape, err)
		}
		top, err := topology.Parse("scale.yaml", src)
		if err != nil {
			t.Fatalf("Parse(Topology(%+v)): %v\n%s", tc.shape, err, src)
		}
		got := [4]int{len(top.Spec.Apps), len(top.Spec.Regions), len(top.Spec.Rings[0].Regions), len(top.Spec.Rings[len(top.Spec.Rings)-1].Regions)}
		want := [4]int{tc.shape.Apps, tc.shape.Regions, tc.firstRing, tc.lastRing}
		if got != want {
			t.Errorf("Topology(%+v): apps, regions, first ring, last ring = %v; want %v", tc.shape, got, want)
		}
		if has := top.Spec.Regions[0].HasHealthSources(); has == tc.shape.NoHealthSources {
			t.Errorf("Topology(%+v): region has health sources = %v; want %v", tc.shape, has, !tc.shape.NoHealthSources)
		}
	}
}

func TestTopologyRejectsImpossibleShapes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		shape Shape
		want  string
	}{
		{Shape{Apps: 0, Regions: 4, Rings: 4, Soak: "1h"}, "at least 1"},
		{Shape{Apps: 1, Regions: 3, Rings: 4, Soak: "1h"}, "at least as many regions"},
		{Shape{Apps: 1, Regions: 4, Rings: 4}, "soak is required"},
	}
	for _, tc := range cases {
		_, err := Topology(tc.shape)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Topology(%+v) = %v; want an error containing %q", tc.shape, err, tc.want)
		}
	}
}
