package prometheus

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/regions"
	"github.com/ringleader-dev/ringleader/regions/promtest"
	"github.com/ringleader-dev/ringleader/rings"
	ringtopology "github.com/ringleader-dev/ringleader/rings/topology"
)

// analyze runs one check of q at now against topo and returns the checks of
// the first promoted region.
func analyze(t *testing.T, a *Analyzer, topo *ringtopology.Topology, q rings.HealthQuery) regions.RegionAnalysis {
	t.Helper()
	res, err := a.Analyze(context.Background(), topo, q, time.Now())
	if err != nil {
		t.Fatalf("Analyze: %v", err)
	}
	if len(res) != len(q.Regions) {
		t.Fatalf("Analyze returned %d regions, want %d", len(res), len(q.Regions))
	}
	return res[0]
}

func newAnalyzer(t *testing.T, cfg Config) *Analyzer {
	t.Helper()
	a, err := NewAnalyzer(cfg)
	if err != nil {
		t.Fatalf("NewAnalyzer: %v", err)
	}
	return a
}

func query(app, version string, promoted []string, baseline ...string) rings.HealthQuery {
	q := rings.HealthQuery{ReleaseID: "rel", App: app, Version: version, BaselineVersion: "v1", Ring: "canary", Baseline: baseline, Soaking: true}
	for _, r := range promoted {
		q.Regions = append(q.Regions, rings.RegionTarget{Region: r, Commit: "c0ffee"})
	}
	return q
}

// TestThresholds runs the min and max checks against real scraped data: a
// region at 1 % errors passes both, one at 20 % fails both with the value and
// the bound in the reason.
func TestThresholds(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		errorRatio float64
		metric     ringtopology.Metric
		wantPass   bool
		wantValue  float64
		wantReason string
	}{
		{"max passes at 1%", 0.01, ringtopology.Metric{Name: "error-rate", Query: errorRateQuery, Max: ptr(5)}, true, 1, ""},
		{"min passes at 1%", 0.01, ringtopology.Metric{Name: "success-rate", Query: successRateQuery, Min: ptr(95)}, true, 99, ""},
		{"max fails at 20%", 0.20, ringtopology.Metric{Name: "error-rate", Query: errorRateQuery, Max: ptr(5)}, false, 20, "error-rate = 20, above the maximum 5"},
		{"min fails at 20%", 0.20, ringtopology.Metric{Name: "success-rate", Query: successRateQuery, Min: ptr(95)}, false, 80, "success-rate = 80, below the minimum 95"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			app := "thresholds-" + string(rune('a'+i))
			exporter.SetErrorRatio(promtest.Series{Region: "use1", App: app, Version: "v2"}, tc.errorRatio)
			a := newAnalyzer(t, Config{})
			topo := topology([]ringtopology.Region{region("use1")}, tc.metric)
			eventually(t, 30*time.Second, func() (bool, string) {
				ra := analyze(t, a, topo, query(app, "v2", []string{"use1"}))
				if len(ra.Checks) != 1 {
					return false, "checks: " + describe(ra.Checks)
				}
				o := ra.Checks[0]
				ok := o.Pass == tc.wantPass && near(o.Value, tc.wantValue, 1e-6) && o.Reason == tc.wantReason &&
					o.Threshold == Threshold(tc.metric) && o.Region == "use1" && o.Check == tc.metric.Name
				return ok, describe(ra.Checks)
			})
		})
	}
}

// TestRecovery: a failing check passes again once the error rate drops.
func TestRecovery(t *testing.T) {
	t.Parallel()
	s := promtest.Series{Region: "use1", App: "recovery", Version: "v2"}
	exporter.SetErrorRatio(s, 0.30)
	a := newAnalyzer(t, Config{})
	topo := topology([]ringtopology.Region{region("use1")}, ringtopology.Metric{Name: "error-rate", Query: errorRateQuery, Max: ptr(5)})
	q := query("recovery", "v2", []string{"use1"})
	// The failure must be the threshold's (30 % errors), not missing data.
	eventually(t, 30*time.Second, func() (bool, string) {
		ra := analyze(t, a, topo, q)
		return len(ra.Checks) == 1 && !ra.Checks[0].Pass && near(ra.Checks[0].Value, 30, 1e-6) &&
			ra.Checks[0].Reason == "error-rate = 30, above the maximum 5", describe(ra.Checks)
	})
	exporter.SetErrorRatio(s, 0)
	eventually(t, 30*time.Second, func() (bool, string) {
		ra := analyze(t, a, topo, q)
		return len(ra.Checks) == 1 && ra.Checks[0].Pass && ra.Checks[0].Value <= 5 && ra.Checks[0].Reason == "", describe(ra.Checks)
	})
}

// TestCanaryVsBaseline: the canary at 3 % errors is inside the absolute
// thresholds (and the aggregate over all regions, about 1 %, looks fine), but
// it is 3 points worse than the baseline regions at 0 %, more than the
// allowed 1 point. A canary at 0.5 % is within the allowed degradation.
func TestCanaryVsBaseline(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		canaryRatio float64
		metric      ringtopology.Metric
		wantPass    bool
		wantValue   float64 // the degradation
	}{
		{"min metric: canary 3 points lower fails", 0.03, ringtopology.Metric{Name: "success-rate", Query: successRateQuery, Min: ptr(95), MaxDegradation: ptr(1)}, false, 3},
		{"max metric: canary 3 points higher fails", 0.03, ringtopology.Metric{Name: "error-rate", Query: errorRateQuery, Max: ptr(5), MaxDegradation: ptr(1)}, false, 3},
		{"min metric: canary half a point lower passes", 0.005, ringtopology.Metric{Name: "success-rate", Query: successRateQuery, Min: ptr(95), MaxDegradation: ptr(1)}, true, 0.5},
		{"max metric: canary half a point higher passes", 0.005, ringtopology.Metric{Name: "error-rate", Query: errorRateQuery, Max: ptr(5), MaxDegradation: ptr(1)}, true, 0.5},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			app := "canary-" + string(rune('a'+i))
			exporter.SetErrorRatio(promtest.Series{Region: "canary-1", App: app, Version: "v2"}, tc.canaryRatio)
			exporter.SetErrorRatio(promtest.Series{Region: "base-1", App: app, Version: "v1"}, 0)
			exporter.SetErrorRatio(promtest.Series{Region: "base-2", App: app, Version: "v1"}, 0)
			a := newAnalyzer(t, Config{})
			topo := topology([]ringtopology.Region{region("canary-1"), region("base-1"), region("base-2")}, tc.metric)
			q := query(app, "v2", []string{"canary-1"}, "base-1", "base-2")
			eventually(t, 30*time.Second, func() (bool, string) {
				ra := analyze(t, a, topo, q)
				if len(ra.Checks) != 2 {
					return false, describe(ra.Checks)
				}
				abs, cmp := ra.Checks[0], ra.Checks[1]
				ok := abs.Pass && cmp.Check == tc.metric.Name+BaselineSuffix && cmp.Pass == tc.wantPass && near(cmp.Value, tc.wantValue, 1e-6)
				return ok, describe(ra.Checks)
			})
		})
	}
}

// TestCanaryWithoutBaseline: the last ring has no baseline regions; the
// comparison passes and says it was skipped. Baseline regions that cannot be
// measured make it fail (fail closed).
func TestCanaryWithoutBaseline(t *testing.T) {
	t.Parallel()
	exporter.SetErrorRatio(promtest.Series{Region: "last-1", App: "nobaseline", Version: "v2"}, 0)
	a := newAnalyzer(t, Config{})
	m := ringtopology.Metric{Name: "error-rate", Query: errorRateQuery, Max: ptr(5), MaxDegradation: ptr(1)}
	topo := topology([]ringtopology.Region{region("last-1"), region("dark-1")}, m)
	cases := []struct {
		name       string
		q          rings.HealthQuery
		wantPass   bool
		wantReason string
	}{
		{"no baseline regions", query("nobaseline", "v2", []string{"last-1"}), true, "skipped: no baseline regions"},
		{"baseline without data", query("nobaseline", "v2", []string{"last-1"}, "dark-1"), false, "no baseline region answered: dark-1:"},
		{"release without a previous version", func() rings.HealthQuery {
			q := query("nobaseline", "v2", []string{"last-1"}, "dark-1")
			q.BaselineVersion = ""
			return q
		}(), false, "no baseline region answered: dark-1: the release has no previous version to compare with"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eventually(t, 30*time.Second, func() (bool, string) {
				ra := analyze(t, a, topo, tc.q)
				if len(ra.Checks) != 2 || !ra.Checks[0].Pass {
					return false, describe(ra.Checks)
				}
				cmp := ra.Checks[1]
				return cmp.Pass == tc.wantPass && strings.HasPrefix(cmp.Reason, tc.wantReason), describe(ra.Checks)
			})
		})
	}
}

// TestFailuresAreRecorded: every way a query can go wrong is a failing
// observation with a reason, never a pass and never a missing check.
func TestFailuresAreRecorded(t *testing.T) {
	t.Parallel()
	// A server that accepts the query and never answers in time.
	hang := hangingServer(t)
	// A port nobody listens on (picked after the server above, so the
	// kernel cannot hand the same port to it).
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedURL := "http://" + l.Addr().String()
	l.Close()

	exporter.SetErrorRatio(promtest.Series{Region: "use1", App: "failures", Version: "v2"}, 0)
	withURL := func(name, url string) ringtopology.Region {
		return ringtopology.Region{Name: name, Prometheus: &ringtopology.PrometheusSource{URL: url}}
	}
	cases := []struct {
		name       string
		region     ringtopology.Region
		query      string
		wantReason string
	}{
		{"unreachable server", withURL("use1", closedURL), errorRateQuery, "prometheus unreachable: dial tcp " + closedURL[len("http://"):] + ": connect: connection refused"},
		{"timeout", withURL("use1", hang.URL), errorRateQuery, "prometheus unreachable: no answer within 300ms"},
		{"empty result", region("nowhere-1"), errorRateQuery, "query returned no data"},
		{"more than one series", region("use1"), `http_requests_total{app="{{app}}",region="{{region}}"}`, "query returned more than one series (2)"},
		{"NaN", region("use1"), `0 / 0`, "query value is not a finite number (NaN)"},
		{"+Inf", region("use1"), `1 / 0`, "query value is not a finite number (+Inf)"},
		{"PromQL syntax error", region("use1"), `sum(rate(http_requests_total{region="{{region}}"}[5s])`, "prometheus refused it"},
		{"template error", region("use1"), `up{region={{region}}}`, "invalid query template"},
		{"bad prometheus url", withURL("use1", "ftp://user:pw@prom"), errorRateQuery, `prometheus url "ftp://REDACTED@prom" is not an http(s) URL`},
	}
	a := newAnalyzer(t, Config{QueryTimeout: 300 * time.Millisecond})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := ringtopology.Metric{Name: "m", Query: tc.query, Max: ptr(5)}
			topo := topology([]ringtopology.Region{tc.region}, m)
			eventually(t, 30*time.Second, func() (bool, string) {
				ra := analyze(t, a, topo, query("failures", "v2", []string{tc.region.Name}))
				if len(ra.Checks) != 1 {
					return false, describe(ra.Checks)
				}
				o := ra.Checks[0]
				// The observation goes into the Raft log as JSON: it must encode.
				if _, err := json.Marshal(o); err != nil {
					return false, "observation does not encode: " + err.Error()
				}
				return !o.Pass && strings.Contains(o.Reason, tc.wantReason), describe(ra.Checks)
			})
			if testing.Verbose() {
				ra := analyze(t, a, topo, query("failures", "v2", []string{tc.region.Name}))
				t.Logf("reason: %s", ra.Checks[0].Reason)
			}
		})
	}
}

// TestRegionWithoutPrometheus gets no checks and says why.
func TestRegionWithoutPrometheus(t *testing.T) {
	t.Parallel()
	a := newAnalyzer(t, Config{})
	topo := topology([]ringtopology.Region{{Name: "bare-1"}}, ringtopology.Metric{Name: "error-rate", Query: errorRateQuery, Max: ptr(5)})
	ra := analyze(t, a, topo, query("bare", "v2", []string{"bare-1"}))
	if len(ra.Checks) != 0 || ra.Reason != ReasonNoPrometheus {
		t.Fatalf("got checks %s reason %q, want none and %q", describe(ra.Checks), ra.Reason, ReasonNoPrometheus)
	}
}

// TestUnknownRegion is a request the analyzer cannot interpret.
func TestUnknownRegion(t *testing.T) {
	t.Parallel()
	a := newAnalyzer(t, Config{})
	_, err := a.Analyze(context.Background(), topology(nil), query("x", "v2", []string{"ghost-1"}), time.Now())
	if err == nil || !strings.Contains(err.Error(), `region "ghost-1" is not in topology`) {
		t.Fatalf("Analyze = %v, want an unknown-region error", err)
	}
}

// TestEscapingAgainstPrometheus: label values with quotes, backslashes and
// regex metacharacters reach Prometheus as literals: they match their own
// series and nothing else.
func TestEscapingAgainstPrometheus(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		region  string
		decoy   string // a series the region value must not match
		matcher string
	}{
		{"quote and backslash in an equality matcher", `we"ird\re}gion`, `we`, `region="{{region}}"`},
		{"dot in a regex matcher", `eu.west`, `euxwest`, `region=~"{{region}}"`},
		{"single quotes", `o'brien`, `o`, `region='{{region}}'`},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			app := "escape-" + string(rune('a'+i))
			exporter.SetErrorRatio(promtest.Series{Region: tc.region, App: app, Version: "v2"}, 0.02)
			exporter.SetErrorRatio(promtest.Series{Region: tc.decoy, App: app, Version: "v2"}, 0.5)
			m := ringtopology.Metric{Name: "error-rate", Max: ptr(5), Query: `sum(rate(http_requests_total{` + tc.matcher + `,app="{{app}}",code="500"}[5s]))` +
				` / sum(rate(http_requests_total{` + tc.matcher + `,app="{{app}}"}[5s])) * 100`}
			a := newAnalyzer(t, Config{})
			topo := topology([]ringtopology.Region{region(tc.region)}, m)
			eventually(t, 30*time.Second, func() (bool, string) {
				ra := analyze(t, a, topo, query(app, "v2", []string{tc.region}))
				return len(ra.Checks) == 1 && ra.Checks[0].Pass && near(ra.Checks[0].Value, 2, 1e-6), describe(ra.Checks)
			})
		})
	}
}
