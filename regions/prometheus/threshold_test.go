package prometheus

import (
	"errors"
	"testing"
	"time"

	ringtopology "github.com/ringleader-dev/ringleader/rings/topology"
)

func TestThreshold(t *testing.T) {
	t.Parallel()
	cases := []struct {
		m    ringtopology.Metric
		want string
	}{
		{ringtopology.Metric{Min: ptr(99)}, ">= 99"},
		{ringtopology.Metric{Max: ptr(0.5)}, "<= 0.5"},
		{ringtopology.Metric{Min: ptr(1), Max: ptr(2)}, ">= 1 and <= 2"},
		{ringtopology.Metric{}, "none"},
	}
	for _, tc := range cases {
		if got := Threshold(tc.m); got != tc.want {
			t.Errorf("Threshold(%+v) = %q, want %q", tc.m, got, tc.want)
		}
	}
}

// TestDegradationDirection pins which way is worse: with a min lower is
// worse, with only a max higher is worse.
func TestDegradationDirection(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	base := baseline{mean: 99.5, regions: 2}
	cases := []struct {
		name      string
		m         ringtopology.Metric
		canary    float64
		canaryErr error
		b         baseline
		wantPass  bool
		wantValue float64
	}{
		{"min: canary lower by more than allowed", ringtopology.Metric{Min: ptr(95), MaxDegradation: ptr(1)}, 98, nil, base, false, 1.5},
		{"min: canary lower within allowance", ringtopology.Metric{Min: ptr(95), MaxDegradation: ptr(1)}, 99, nil, base, true, 0.5},
		{"min: canary higher is better", ringtopology.Metric{Min: ptr(95), MaxDegradation: ptr(0)}, 100, nil, base, true, -0.5},
		{"max: canary higher by more than allowed", ringtopology.Metric{Max: ptr(100), MaxDegradation: ptr(1)}, 101, nil, base, false, 1.5},
		{"max: canary lower is better", ringtopology.Metric{Max: ptr(100), MaxDegradation: ptr(0)}, 98, nil, base, true, -1.5},
		{"min and max: min decides", ringtopology.Metric{Min: ptr(0), Max: ptr(100), MaxDegradation: ptr(1)}, 98, nil, base, false, 1.5},
		{"neither bound: no direction", ringtopology.Metric{MaxDegradation: ptr(1)}, 99.5, nil, base, false, 0},
		{"canary unmeasured", ringtopology.Metric{Min: ptr(95), MaxDegradation: ptr(1)}, 0, ErrEmptyResult, base, false, 0},
		{"baseline unmeasured", ringtopology.Metric{Min: ptr(95), MaxDegradation: ptr(1)}, 99.5, nil, baseline{err: errors.New("no baseline region answered")}, false, 0},
		{"no baseline regions", ringtopology.Metric{Min: ptr(95), MaxDegradation: ptr(1)}, 99.5, nil, baseline{skipped: "none"}, true, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.m.Name = "m"
			o := degradationCheck("r", tc.m, tc.canary, tc.canaryErr, tc.b, at)
			if o.Pass != tc.wantPass || !near(o.Value, tc.wantValue, 1e-9) || o.Check != "m"+BaselineSuffix || !o.At.Equal(at) || (!o.Pass && o.Reason == "") {
				t.Fatalf("got %+v; want pass=%v value=%v", o, tc.wantPass, tc.wantValue)
			}
		})
	}
}
