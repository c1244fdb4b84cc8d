package planner

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/ringstest"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// exampleTopology parses manifests/examples/rings.yaml.
func exampleTopology(t testing.TB) *topology.Topology {
	t.Helper()
	return ringstest.ParseFile(t, "../../manifests/examples/rings.yaml")
}

// projectCheckout projects checkout 2.0 with priority on top from the given
// time, failing the test if it cannot.
func projectCheckout(t testing.TB, top *topology.Topology, priority string, from time.Time) Timeline {
	t.Helper()
	tl, err := Project(top, "checkout", "2.0", priority, nil, from)
	if err != nil {
		t.Fatalf("project checkout from %s: %v", stamp(from), err)
	}
	return tl
}

// starts flattens a timeline to "ring/region" → start, plus "ring" → soakedAt.
func starts(tl Timeline) map[string]string {
	out := map[string]string{}
	for _, r := range tl.Rings {
		out[r.Name] = stamp(r.SoakedAt)
		out[r.Name+"@start"] = stamp(r.Start)
		for _, g := range r.Regions {
			out[r.Name+"/"+g.Name] = stamp(g.Start)
		}
	}
	return out
}

func TestProjectExample(t *testing.T) {
	t.Parallel()
	top := exampleTopology(t)
	if wd := ringstest.Time(t, "2026-12-04T15:00:00Z").Weekday(); wd != time.Friday {
		t.Fatalf("2026-12-04 is a %s, not a Friday", wd)
	}
	cases := []struct {
		name, from, key, want string
	}{
		// Friday afternoon: canary at once, early on Monday 09:00 Dublin,
		// global at each region's own 09:00 once early soaked 8 h.
		{"friday canary at once", "2026-12-04T15:00:00Z", "canary/us-east-1", "2026-12-04T15:00:00Z"},
		{"friday canary soaked", "2026-12-04T15:00:00Z", "canary", "2026-12-04T19:00:00Z"},
		{"friday early monday 09:00 dublin", "2026-12-04T15:00:00Z", "early/eu-west-1", "2026-12-07T09:00:00Z"},
		{"friday early soaked", "2026-12-04T15:00:00Z", "early", "2026-12-07T17:00:00Z"},
		{"friday los angeles monday 09:00 local", "2026-12-04T15:00:00Z", "global/us-west-2", "2026-12-07T17:00:00Z"},
		{"friday tokyo tuesday 09:00 local", "2026-12-04T15:00:00Z", "global/ap-northeast-1", "2026-12-08T00:00:00Z"},
		{"friday global starts with its earliest region", "2026-12-04T15:00:00Z", "global@start", "2026-12-07T17:00:00Z"},
		{"friday global soaked with its last region", "2026-12-04T15:00:00Z", "global", "2026-12-08T00:00:00Z"},
		// Thursday afternoon: canary's 4 h soak ends after Dublin's window
		// closed, and Friday has no window: early misses it until Monday.
		{"thursday early misses the window", "2026-12-10T13:00:00Z", "early/eu-west-1", "2026-12-14T09:00:00Z"},
		// Thursday early morning: early goes at 09:00 Dublin, but its 8 h
		// soak outlasts Tokyo's Thursday window: Tokyo waits for Monday
		// while Los Angeles goes the same day.
		{"thursday early in the window", "2026-12-10T05:00:00Z", "early/eu-west-1", "2026-12-10T09:00:00Z"},
		{"thursday tokyo misses its window by the soak", "2026-12-10T05:00:00Z", "global/ap-northeast-1", "2026-12-14T00:00:00Z"},
		{"thursday los angeles same day", "2026-12-10T05:00:00Z", "global/us-west-2", "2026-12-10T17:00:00Z"},
	}
	cache := map[string]map[string]string{}
	for _, tc := range cases {
		if _, ok := cache[tc.from]; ok {
			continue
		}
		cache[tc.from] = starts(projectCheckout(t, top, topology.PriorityNormal, ringstest.Time(t, tc.from)))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := cache[tc.from][tc.key]; got != tc.want {
				t.Fatalf("%s = %s, want %s", tc.key, got, tc.want)
			}
		})
	}
}

// TestProjectLocalNine checks that every windowed region of the Friday
// projection starts at 09:00 on its own wall clock.
func TestProjectLocalNine(t *testing.T) {
	t.Parallel()
	top := exampleTopology(t)
	tl := projectCheckout(t, top, topology.PriorityNormal, ringstest.Time(t, "2026-12-04T15:00:00Z"))
	for _, r := range tl.Rings[1:] {
		for _, g := range r.Regions {
			t.Run(g.Name, func(t *testing.T) {
				region, _ := top.RegionByName(g.Name)
				if got := g.Start.In(region.Location).Format("Mon 15:04"); got[4:] != "09:00" {
					t.Fatalf("%s starts at %s local, want 09:00", g.Name, got)
				}
			})
		}
	}
}

// TestProjectYearEndFreeze projects from many points of mid-December: no
// region starts inside the year-end freeze (Dec 20 00:00 UTC + 336 h), and
// the first start after it opened is at or after Jan 3 00:00 UTC, inside a
// window of its ring.
func TestProjectYearEndFreeze(t *testing.T) {
	t.Parallel()
	top := exampleTopology(t)
	freezeStart, freezeEnd := ringstest.Time(t, "2026-12-20T00:00:00Z"), ringstest.Time(t, "2027-01-03T00:00:00Z")
	// From a week before the freeze to three days into it, every 13 hours
	// so the starts fall on different hours of the day.
	for from := ringstest.Time(t, "2026-12-14T08:00:00Z"); from.Before(ringstest.Time(t, "2026-12-23T00:00:00Z")); from = from.Add(13 * time.Hour) {
		t.Run(stamp(from), func(t *testing.T) {
			t.Parallel()
			tl := projectCheckout(t, top, topology.PriorityNormal, from)
			var first time.Time
			var firstRing, firstRegion string
			for _, r := range tl.Rings {
				for _, g := range r.Regions {
					if !g.Start.Before(freezeStart) && g.Start.Before(freezeEnd) {
						t.Fatalf("%s/%s starts at %s, inside the freeze", r.Name, g.Name, stamp(g.Start))
					}
					if !g.Start.Before(freezeStart) && (first.IsZero() || g.Start.Before(first)) {
						first, firstRing, firstRegion = g.Start, r.Name, g.Name
					}
				}
			}
			if first.IsZero() {
				return // the whole rollout fitted before the freeze
			}
			region, _ := top.RegionByName(firstRegion)
			o, err := RingWindowAt(top, top.Spec.Rings[top.RingIndex(firstRing)], region, first)
			if first.Before(freezeEnd) || err != nil || !o.Open {
				t.Fatalf("first start after the freeze: %s/%s at %s (window open %v, err %v)", firstRing, firstRegion, stamp(first), o.Open, err)
			}
		})
	}
}

func TestProjectFreezeExactDates(t *testing.T) {
	t.Parallel()
	top := exampleTopology(t)
	tl := projectCheckout(t, top, topology.PriorityNormal, ringstest.Time(t, "2026-12-18T15:00:00Z"))
	got := starts(tl)
	want := map[string]string{
		"canary/us-east-1":      "2026-12-18T15:00:00Z",
		"early/eu-west-1":       "2027-01-04T09:00:00Z",
		"global/us-west-2":      "2027-01-04T17:00:00Z",
		"global/ap-northeast-1": "2027-01-05T00:00:00Z",
	}
	for k, w := range want {
		t.Run(k, func(t *testing.T) {
			if got[k] != w {
				t.Fatalf("%s = %s, want %s", k, got[k], w)
			}
		})
	}
}

func TestProjectP0IgnoresFreeze(t *testing.T) {
	t.Parallel()
	top := exampleTopology(t)
	tl := projectCheckout(t, top, topology.PriorityP0, ringstest.Time(t, "2026-12-21T06:00:00Z"))
	if got := stamp(tl.Rings[1].Regions[0].Start); got != "2026-12-21T10:00:00Z" {
		t.Fatalf("P0 early starts %s, want 2026-12-21T10:00:00Z (inside the freeze)", got)
	}
}

func TestTimelineJSON(t *testing.T) {
	t.Parallel()
	top := exampleTopology(t)
	tl := projectCheckout(t, top, topology.PriorityNormal, ringstest.Time(t, "2026-12-04T15:00:00Z"))
	b, err := json.Marshal(tl)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"app":"checkout","version":"2.0","rings":[` +
		`{"name":"canary","start":"2026-12-04T15:00:00Z","soakedAt":"2026-12-04T19:00:00Z","approval":"none","regions":[{"name":"us-east-1","start":"2026-12-04T15:00:00Z"}],"exposure":0.25},` +
		`{"name":"early","start":"2026-12-07T09:00:00Z","soakedAt":"2026-12-07T17:00:00Z","approval":"required","regions":[{"name":"eu-west-1","start":"2026-12-07T09:00:00Z"}],"exposure":0.5},` +
		`{"name":"global","start":"2026-12-07T17:00:00Z","soakedAt":"2026-12-08T00:00:00Z","approval":"none","regions":[{"name":"ap-northeast-1","start":"2026-12-08T00:00:00Z"},{"name":"us-west-2","start":"2026-12-07T17:00:00Z"}],"exposure":1}]}`
	if string(b) != want {
		t.Fatalf("json:\n got %s\nwant %s", b, want)
	}
}

func TestProjectErrors(t *testing.T) {
	t.Parallel()
	top := ringstest.Topology(t)
	never := ringstest.Topology(t)
	never.Spec.Windows[0].Schedule = "0 9 30 2 *" // February 30th
	cases := []struct {
		name string
		top  *topology.Topology
		app  string
		want error
	}{
		{"unknown app", top, "nope", rings.ErrNotFound},
		{"window never opens", never, "checkout", ErrProjection},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := Project(tc.top, tc.app, "2.0", "", nil, ringstest.T0); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}
