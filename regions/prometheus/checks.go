package prometheus

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/ringleader-dev/ringleader/rings"
	ringtopology "github.com/ringleader-dev/ringleader/rings/topology"
)

// Threshold renders a metric's bounds as people read them: ">= 99",
// "<= 0.5", ">= 1 and <= 2", or "none".
func Threshold(m ringtopology.Metric) string {
	var parts []string
	if m.Min != nil {
		parts = append(parts, ">= "+formatFloat(*m.Min))
	}
	if m.Max != nil {
		parts = append(parts, "<= "+formatFloat(*m.Max))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, " and ")
}

// thresholdCheck compares one value with the metric's min and max.
func thresholdCheck(region string, m ringtopology.Metric, v float64, err error, at time.Time) rings.Observation {
	o := rings.Observation{Region: region, Check: m.Name, Value: v, Threshold: Threshold(m), At: at}
	switch {
	case err != nil:
		o.Reason = err.Error()
	case m.Min != nil && v < *m.Min:
		o.Reason = fmt.Sprintf("%s = %s, below the minimum %s", m.Name, formatFloat(v), formatFloat(*m.Min))
	case m.Max != nil && v > *m.Max:
		o.Reason = fmt.Sprintf("%s = %s, above the maximum %s", m.Name, formatFloat(v), formatFloat(*m.Max))
	default:
		o.Pass = true
	}
	return o
}

// degradationCheck compares the canary value with the baseline mean. Value is
// the degradation (how much worse the canary is; negative when better).
func degradationCheck(region string, m ringtopology.Metric, v float64, err error, b baseline, at time.Time) rings.Observation {
	limit := *m.MaxDegradation
	o := rings.Observation{Region: region, Check: m.Name + BaselineSuffix, At: at,
		Threshold: "<= " + formatFloat(limit) + " worse than baseline"}
	lowerIsWorse := m.Min != nil || m.Max == nil
	switch {
	case m.Min == nil && m.Max == nil:
		o.Reason = "maxDegradation needs min or max to say which direction is worse"
		return o
	case b.skipped != "":
		o.Pass, o.Reason = true, "skipped: "+b.skipped
		return o
	case err != nil:
		o.Reason = "canary: " + err.Error()
		return o
	case b.err != nil:
		o.Reason = strings.ReplaceAll(b.err.Error(), "\n", "; ") // errors.Join: one region a line
		return o
	}
	if lowerIsWorse {
		o.Value = b.mean - v
	} else {
		o.Value = v - b.mean
	}
	if o.Value > limit {
		o.Reason = fmt.Sprintf("%s = %s on the canary vs %s on the baseline (%d regions): %s worse, more than %s",
			m.Name, formatFloat(v), formatFloat(b.mean), b.regions, formatFloat(o.Value), formatFloat(limit))
		return o
	}
	o.Pass = true
	return o
}

func formatFloat(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return strconv.FormatFloat(f, 'g', 6, 64)
}
