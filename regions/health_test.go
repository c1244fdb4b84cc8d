package regions

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// fakeSync and fakeMetrics are in-memory sources: structs of Fn fields.
type fakeSync struct {
	ObserveSyncFn func(ctx context.Context, topo *topology.Topology, q Query) ([]Health, error)
}

func (f fakeSync) ObserveSync(ctx context.Context, topo *topology.Topology, q Query) ([]Health, error) {
	return f.ObserveSyncFn(ctx, topo, q)
}

type fakeMetrics struct {
	AnalyzeFn func(ctx context.Context, topo *topology.Topology, q Query, at time.Time) ([]RegionAnalysis, error)
}

func (f fakeMetrics) Analyze(ctx context.Context, topo *topology.Topology, q Query, at time.Time) ([]RegionAnalysis, error) {
	return f.AnalyzeFn(ctx, topo, q, at)
}

var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func testTopology() *topology.Topology {
	t := &topology.Topology{Metadata: topology.Metadata{Name: "t"}}
	t.Spec.Regions = []topology.Region{
		{Name: "argo-1", ArgoCD: &topology.ArgoCDSource{Server: "https://argo", Application: "{{app}}"}, Prometheus: &topology.PrometheusSource{URL: "http://prom"}},
		{Name: "argo-2", ArgoCD: &topology.ArgoCDSource{Server: "https://argo", Application: "{{app}}"}},
		{Name: "prom-1", Prometheus: &topology.PrometheusSource{URL: "http://prom"}},
		{Name: "bare-1"},
	}
	t.Spec.Policy.Analysis.Metrics = []topology.Metric{{Name: "success-rate", Query: `x{region="{{region}}"}`}}
	return t
}

func q(soaking bool, regions ...string) Query {
	out := Query{ReleaseID: "rel", App: "checkout", Version: "v2", Ring: "canary", Soaking: soaking}
	for _, r := range regions {
		out.Regions = append(out.Regions, Target{Region: r, Commit: "abc"})
	}
	return out
}

func healthySync(ctx context.Context, topo *topology.Topology, q Query) ([]Health, error) {
	var out []Health
	for _, r := range q.RegionNames() {
		out = append(out, Health{Region: r, Synced: true, Healthy: true, Reason: "Healthy"})
	}
	return out, nil
}

func passingMetrics(ctx context.Context, topo *topology.Topology, q Query, at time.Time) ([]RegionAnalysis, error) {
	var out []RegionAnalysis
	for _, r := range q.RegionNames() {
		reg, _ := topo.RegionByName(r)
		if reg.Prometheus == nil {
			out = append(out, RegionAnalysis{Region: r, Reason: "no prometheus"})
			continue
		}
		out = append(out, RegionAnalysis{Region: r, Checks: []rings.Observation{{Region: r, Check: "success-rate", Value: 99.9, Pass: true, At: at}}})
	}
	return out, nil
}

// summary renders one Health compactly for comparison.
func summary(h Health) string {
	var b strings.Builder
	b.WriteString(h.Region)
	if h.Synced {
		b.WriteString(" synced")
	}
	if h.Healthy {
		b.WriteString(" healthy")
	}
	if h.InProgress {
		b.WriteString(" in-progress")
	}
	if h.Reason != "" {
		b.WriteString(" (" + h.Reason + ")")
	}
	for _, c := range h.Checks {
		b.WriteString(" [" + c.Check)
		if c.Pass {
			b.WriteString(" pass")
		} else {
			b.WriteString(" fail: " + c.Reason)
		}
		b.WriteString("]")
	}
	return b.String()
}

func TestHealthSourceObserve(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		cfg  HealthConfig
		q    Query
		want []string
	}{
		{"bare region advances on soak time alone", HealthConfig{}, q(true, "bare-1"),
			[]string{"bare-1 synced healthy"}},
		{"argocd region without a wired sync source fails closed", HealthConfig{}, q(false, "argo-2"),
			[]string{"argo-2 (region has an argocd source but no sync source is wired: no sync evidence)"}},
		{"sync source answers", HealthConfig{Sync: fakeSync{healthySync}}, q(false, "argo-1", "bare-1"),
			[]string{"argo-1 synced healthy (Healthy)", "bare-1 synced healthy"}},
		{"sync source errs", HealthConfig{Sync: fakeSync{func(context.Context, *topology.Topology, Query) ([]Health, error) {
			return nil, errors.New("argocd unreachable")
		}}}, q(false, "argo-1", "bare-1"),
			[]string{"argo-1 (sync evidence unavailable: argocd unreachable)", "bare-1 synced healthy"}},
		{"sync source omits a region", HealthConfig{Sync: fakeSync{func(context.Context, *topology.Topology, Query) ([]Health, error) {
			return []Health{{Region: "argo-1", Synced: true, Healthy: true}}, nil
		}}}, q(false, "argo-1", "argo-2"),
			[]string{"argo-1 synced healthy", "argo-2 (sync source said nothing about the region)"}},
		{"degraded passes through", HealthConfig{Sync: fakeSync{func(context.Context, *topology.Topology, Query) ([]Health, error) {
			return []Health{{Region: "argo-2", Synced: true, Healthy: false, Reason: "Degraded: CrashLoopBackOff"}}, nil
		}}}, q(false, "argo-2"),
			[]string{"argo-2 synced (Degraded: CrashLoopBackOff)"}},
		{"a paused rollout stays in progress while soaking", HealthConfig{Metrics: fakeMetrics{passingMetrics}, Sync: fakeSync{func(context.Context, *topology.Topology, Query) ([]Health, error) {
			return []Health{{Region: "argo-1", Synced: true, Reason: "Suspended: Rollout is paused", InProgress: true}}, nil
		}}}, q(true, "argo-1"),
			[]string{"argo-1 synced in-progress (Suspended: Rollout is paused) [success-rate pass]"}},
		{"unknown region", HealthConfig{}, q(false, "ghost-1"),
			[]string{`ghost-1 (region "ghost-1" is not in topology "t")`}},
		{"not soaking: no analysis", HealthConfig{Metrics: fakeMetrics{func(context.Context, *topology.Topology, Query, time.Time) ([]RegionAnalysis, error) {
			panic("analysis must not run outside the soak")
		}}}, q(false, "prom-1"),
			[]string{"prom-1 synced healthy"}},
		{"soaking: checks appended, region without prometheus says so", HealthConfig{Metrics: fakeMetrics{passingMetrics}}, q(true, "prom-1", "bare-1"),
			[]string{"prom-1 synced healthy [success-rate pass]", "bare-1 synced healthy (no prometheus)"}},
		{"failing check does not clear healthy", HealthConfig{Metrics: fakeMetrics{func(_ context.Context, _ *topology.Topology, q Query, at time.Time) ([]RegionAnalysis, error) {
			return []RegionAnalysis{{Region: "prom-1", Checks: []rings.Observation{{Check: "success-rate", Reason: "below 99"}}}}, nil
		}}}, q(true, "prom-1"),
			[]string{"prom-1 synced healthy [success-rate fail: below 99]"}},
		{"metric source errs: every region fails its analysis", HealthConfig{Metrics: fakeMetrics{func(context.Context, *topology.Topology, Query, time.Time) ([]RegionAnalysis, error) {
			return nil, errors.New("boom")
		}}}, q(true, "prom-1", "bare-1"),
			[]string{"prom-1 synced healthy [analysis fail: analysis could not run: boom]", "bare-1 synced healthy [analysis fail: analysis could not run: boom]"}},
		{"metric source omits a region", HealthConfig{Metrics: fakeMetrics{func(context.Context, *topology.Topology, Query, time.Time) ([]RegionAnalysis, error) {
			return nil, nil
		}}}, q(true, "prom-1"),
			[]string{"prom-1 synced healthy [analysis fail: metric source said nothing about the region]"}},
		{"prometheus region without a wired metric source fails closed", HealthConfig{}, q(true, "prom-1", "bare-1"),
			[]string{"prom-1 synced healthy [analysis fail: region has a prometheus source but no metric source is wired: no metric evidence]", "bare-1 synced healthy"}},
		{"during-soak webhook failure fails every region's check", HealthConfig{DuringSoak: func(context.Context, Query, time.Time) error {
			return errors.New("webhook refused: 409")
		}}, q(true, "bare-1", "argo-2"),
			[]string{"bare-1 synced healthy [webhook/during-soak fail: webhook refused: 409]",
				"argo-2 (region has an argocd source but no sync source is wired: no sync evidence) [webhook/during-soak fail: webhook refused: 409]"}},
		{"during-soak webhook passes", HealthConfig{DuringSoak: func(context.Context, Query, time.Time) error { return nil }}, q(true, "bare-1"),
			[]string{"bare-1 synced healthy [webhook/during-soak pass]"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := tc.cfg
			cfg.Topology = testTopology
			cfg.Now = func() time.Time { return now }
			h, err := NewHealthSource(cfg)
			if err != nil {
				t.Fatalf("NewHealthSource: %v", err)
			}
			got, err := h.Observe(context.Background(), tc.q)
			if err != nil {
				t.Fatalf("Observe: %v", err)
			}
			var lines []string
			for _, g := range got {
				lines = append(lines, summary(g))
			}
			if strings.Join(lines, "\n") != strings.Join(tc.want, "\n") {
				t.Fatalf("got\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestHealthSourceNeedsTopology(t *testing.T) {
	t.Parallel()
	if _, err := NewHealthSource(HealthConfig{}); err == nil {
		t.Fatal("NewHealthSource without Topology succeeded")
	}
	h, err := NewHealthSource(HealthConfig{Topology: func() *topology.Topology { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Observe(context.Background(), q(true, "bare-1")); !errors.Is(err, ErrNoTopology) {
		t.Fatalf("Observe = %v, want ErrNoTopology", err)
	}
}
