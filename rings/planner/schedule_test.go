package planner

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/ringstest"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

func fmtOpening(o Opening) string {
	f := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.UTC().Format(time.RFC3339)
	}
	if o.Open {
		return "open until " + f(o.Until)
	}
	return "closed, next " + f(o.Next)
}

func TestOpeningAt(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		schedule string
		d        time.Duration
		zone     string
		now      string
		want     string
	}{
		{"dublin monday morning open", "0 9 * * MON-THU", 7 * time.Hour, "Europe/Dublin", "2026-12-07T10:00:00Z", "open until 2026-12-07T16:00:00Z"},
		{"opens at the firing instant", "0 9 * * MON-THU", 7 * time.Hour, "Europe/Dublin", "2026-12-07T09:00:00Z", "open until 2026-12-07T16:00:00Z"},
		{"closes at the end instant", "0 9 * * MON-THU", 7 * time.Hour, "Europe/Dublin", "2026-12-10T16:00:00Z", "closed, next 2026-12-14T09:00:00Z"},
		{"friday afternoon waits for monday", "0 9 * * MON-THU", 7 * time.Hour, "Europe/Dublin", "2026-12-04T15:00:00Z", "closed, next 2026-12-07T09:00:00Z"},
		{"tokyo window in utc", "0 9 * * MON-THU", 7 * time.Hour, "Asia/Tokyo", "2026-12-07T00:30:00Z", "open until 2026-12-07T07:00:00Z"},
		{"los angeles window in utc", "0 9 * * MON-THU", 7 * time.Hour, "America/Los_Angeles", "2026-12-07T12:00:00Z", "closed, next 2026-12-07T17:00:00Z"},
		{"dublin after spring forward opens an hour earlier in utc", "0 9 * * MON-THU", 7 * time.Hour, "Europe/Dublin", "2027-03-26T12:00:00Z", "closed, next 2027-03-29T08:00:00Z"},
		{"los angeles after fall back opens an hour later in utc", "0 9 * * MON-THU", 7 * time.Hour, "America/Los_Angeles", "2026-10-30T20:00:00Z", "closed, next 2026-11-02T17:00:00Z"},
		{"open across spring forward lasts elapsed hours", "0 0 * * SUN", 4 * time.Hour, "Europe/Dublin", "2027-03-28T03:30:00Z", "open until 2027-03-28T04:00:00Z"},
		{"freeze open since it fired less than its duration ago", "0 0 20 12 *", 336 * time.Hour, "UTC", "2027-01-02T23:59:00Z", "open until 2027-01-03T00:00:00Z"},
		{"freeze next opening", "0 0 20 12 *", 336 * time.Hour, "UTC", "2026-11-01T00:00:00Z", "closed, next 2026-12-20T00:00:00Z"},
		{"overlapping firings merge", "*/30 9-10 * * *", 45 * time.Minute, "UTC", "2026-12-07T09:10:00Z", "open until 2026-12-07T11:15:00Z"},
		{"never fires within a year", "0 0 30 2 *", time.Hour, "UTC", "2026-12-07T09:10:00Z", "closed, next -"},
		{"zero duration never open", "0 9 * * *", 0, "UTC", "2026-12-07T09:00:00Z", "closed, next 2026-12-08T09:00:00Z"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o, err := OpeningAt(tc.schedule, tc.d, ringstest.Loc(t, tc.zone), ringstest.Time(t, tc.now))
			if err != nil {
				t.Fatal(err)
			}
			if got := fmtOpening(o); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestOpeningAtBadSchedule(t *testing.T) {
	t.Parallel()
	if _, err := OpeningAt("0 9 * *", time.Hour, time.UTC, ringstest.T0); err == nil {
		t.Fatal("want an error for a four-field schedule")
	}
}

func TestRingWindowAt(t *testing.T) {
	t.Parallel()
	top := ringstest.Topology(t)
	region := func(name string) topology.Region { r, _ := top.RegionByName(name); return r }
	cases := []struct {
		name   string
		ring   topology.Ring
		region string
		now    string
		want   string
	}{
		{"no windows is always open", top.Spec.Rings[0], "us-east-1", "2026-12-05T03:00:00Z", "open until -"},
		{"region zone tokyo", top.Spec.Rings[2], "ap-northeast-1", "2026-12-07T01:00:00Z", "open until 2026-12-07T07:00:00Z"},
		{"region zone los angeles same instant", top.Spec.Rings[2], "us-west-2", "2026-12-07T01:00:00Z", "closed, next 2026-12-07T17:00:00Z"},
		{"two windows take the earliest opening", topology.Ring{Name: "x", Windows: []string{"business-hours", "sunday"}}, "eu-west-1", "2026-12-04T15:00:00Z", "closed, next 2026-12-06T12:00:00Z"},
		{"two windows one open", topology.Ring{Name: "x", Windows: []string{"business-hours", "sunday"}}, "eu-west-1", "2026-12-06T13:00:00Z", "open until 2026-12-06T14:00:00Z"},
	}
	top.Spec.Windows = append(top.Spec.Windows, topology.Window{Name: "sunday", Schedule: "0 12 * * SUN", Duration: topology.Duration(2 * time.Hour), Timezone: "UTC"})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o, err := RingWindowAt(top, tc.ring, region(tc.region), ringstest.Time(t, tc.now))
			if err != nil {
				t.Fatal(err)
			}
			if got := fmtOpening(o); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestRingWindowAtUnknownWindow(t *testing.T) {
	t.Parallel()
	top := ringstest.Topology(t)
	_, err := RingWindowAt(top, topology.Ring{Name: "x", Windows: []string{"nope"}}, top.Spec.Regions[0], ringstest.T0)
	if !errors.Is(err, rings.ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
}

func TestBlockingFreezes(t *testing.T) {
	t.Parallel()
	top := ringstest.Topology(t)
	cases := []struct {
		priority string
		now      string
		want     string
	}{
		{topology.PriorityNormal, "2026-12-24T12:00:00Z", "[year-end until 2027-01-03T00:00:00Z]"},
		{topology.PriorityP0, "2026-12-24T12:00:00Z", "[]"},
		{topology.PrioritySecurity, "2026-12-24T12:00:00Z", "[]"},
		{topology.PriorityReliability, "2026-12-24T12:00:00Z", "[year-end until 2027-01-03T00:00:00Z]"},
		{topology.PriorityNormal, "2027-01-03T00:00:00Z", "[]"},
		{topology.PriorityNormal, "2026-12-19T23:59:59Z", "[]"},
	}
	for _, tc := range cases {
		t.Run(tc.priority+"@"+tc.now, func(t *testing.T) {
			t.Parallel()
			hits, err := BlockingFreezes(top, top.Spec.Regions[1], tc.priority, ringstest.Time(t, tc.now))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, h := range hits {
				got = append(got, h.Freeze.Name+" until "+h.Until.Format(time.RFC3339))
			}
			if s := fmt.Sprintf("%v", got); s != tc.want {
				t.Fatalf("got %s, want %s", s, tc.want)
			}
		})
	}
}

func TestTrainDeparture(t *testing.T) {
	t.Parallel()
	top := ringstest.Topology(t)
	cases := []struct{ after, want string }{
		{"2026-12-08T10:00:00Z", "2026-12-08T10:00:00Z"}, // Tuesday 10:00 Dublin: departs at once
		{"2026-12-08T10:00:01Z", "2026-12-15T10:00:00Z"},
		{"2026-12-04T15:00:00Z", "2026-12-08T10:00:00Z"},
		{"2027-06-01T08:00:00Z", "2027-06-01T09:00:00Z"}, // summer time: 10:00 IST is 09:00 UTC
	}
	for _, tc := range cases {
		t.Run(tc.after, func(t *testing.T) {
			t.Parallel()
			got, err := TrainDeparture(top, "tuesday", ringstest.Time(t, tc.after))
			if err != nil {
				t.Fatal(err)
			}
			if got.Format(time.RFC3339) != tc.want {
				t.Fatalf("got %s, want %s", got.Format(time.RFC3339), tc.want)
			}
		})
	}
	if _, err := TrainDeparture(top, "nope", ringstest.T0); !errors.Is(err, rings.ErrNotFound) {
		t.Fatalf("unknown train: err = %v, want ErrNotFound", err)
	}
}
