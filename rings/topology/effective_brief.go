package topology

import (
	"fmt"
	"strconv"
	"strings"
)

// PolicyBrief is an app's effective policy in three lines, for release
// views (ringctl release show, the dashboard): how it is analysed, how long
// each ring soaks and which rings need an approval. A value the app sets
// itself is marked "*".
type PolicyBrief struct {
	Analysis  string `json:"analysis"`  // "every 30s, fail after 2 checks; error-ratio max 0.01*"
	Soak      string `json:"soak"`      // "canary 2h*, early 8h, global 0s"
	Approvals string `json:"approvals"` // "early, global*" or "none"
}

// Brief summarises e.
func (e EffectivePolicy) Brief() PolicyBrief {
	mark := func(key string) string {
		if s := e.Sources[key]; s == SourceApp || s == SourceAppOverPolicy {
			return "*"
		}
		return ""
	}
	var b PolicyBrief
	a := e.Analysis
	b.Analysis = fmt.Sprintf("every %s%s, fail after %d %s%s", a.Interval, mark("analysis.interval"),
		a.FailureThreshold, pluralWord(a.FailureThreshold, "check", "checks"), mark("analysis.failureThreshold"))
	var ms []string
	for _, m := range a.Metrics {
		ms = append(ms, m.Name+" "+m.Bounds()+mark("analysis.metrics."+m.Name))
	}
	if len(ms) == 0 {
		ms = []string{"no metrics"}
	}
	b.Analysis += "; " + strings.Join(ms, ", ")
	var soaks, approvals []string
	for _, r := range e.Rings {
		soaks = append(soaks, r.Name+" "+r.Soak.String()+mark("rings."+r.Name+".soak"))
		if r.Approval {
			approvals = append(approvals, r.Name+mark("rings."+r.Name+".approval"))
		}
	}
	b.Soak = strings.Join(soaks, ", ")
	b.Approvals = strings.Join(approvals, ", ")
	if b.Approvals == "" {
		b.Approvals = "none"
	}
	return b
}

// Bounds renders a metric's bounds: "min 99", "max 0.01 maxDegradation 0.5".
func (m Metric) Bounds() string {
	var parts []string
	for _, bd := range []struct {
		name string
		v    *float64
	}{{"min", m.Min}, {"max", m.Max}, {"maxDegradation", m.MaxDegradation}} {
		if bd.v != nil {
			parts = append(parts, bd.name+" "+strconv.FormatFloat(*bd.v, 'g', -1, 64))
		}
	}
	return strings.Join(parts, " ")
}

func pluralWord(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
