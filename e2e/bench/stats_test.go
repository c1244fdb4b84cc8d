package bench

import (
	"fmt"
	"slices"
	"time"
)

// dist is a sorted set of durations.
type dist []time.Duration

func newDist(d []time.Duration) dist {
	s := slices.Clone(d)
	slices.Sort(s)
	return s
}

// pct returns the p-quantile (nearest rank).
func (d dist) pct(p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return d[min(len(d)-1, int(float64(len(d))*p))]
}

// median is the middle value (mean of the two middle ones for an even count).
func (d dist) median() time.Duration {
	if len(d) == 0 {
		return 0
	}
	if len(d)%2 == 0 {
		return (d[len(d)/2-1] + d[len(d)/2]) / 2
	}
	return d[len(d)/2]
}

func (d dist) max() time.Duration {
	if len(d) == 0 {
		return 0
	}
	return d[len(d)-1]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// row formats p50/p99/max in milliseconds.
func (d dist) row() string {
	return fmt.Sprintf("p50 %.3f ms, p99 %.3f ms, max %.3f ms (n=%d)", ms(d.pct(0.5)), ms(d.pct(0.99)), ms(d.max()), len(d))
}
