package topology

import (
	"strings"
	"testing"
	"time"
)

func TestEffectivePolicyMerges(t *testing.T) {
	t.Parallel()
	doc := withAppPolicy(t, `analysis: {interval: 30s, metrics: [{name: errors, max: 0.5}, {name: p99, query: 'q', max: 0.3}]}
soak: {main: 8h}
approval: {canary: required}
rollback: manual
webhooks: {postRing: {url: "https://h.example.com/post", secretFile: web-post}}`)
	// A second app without a policy runs under spec.policy and the rings.
	doc = []byte(strings.Replace(string(doc), "  trains:\n", "    - {name: api, targets: [{file: a.yaml, yamlPath: tag}]}\n  trains:\n", 1))
	top, err := Parse("t.yaml", doc)
	if err != nil {
		t.Fatal(err)
	}
	web := top.EffectivePolicy("web")
	checks := []struct {
		what      string
		got, want any
	}{
		{"interval", web.Analysis.Interval, Duration(30 * time.Second)},
		{"threshold (inherited default)", web.Analysis.FailureThreshold, DefaultFailureThreshold},
		{"metrics", len(web.Analysis.Metrics), 2},
		{"errors max overridden", *web.Analysis.Metrics[0].Max, 0.5},
		{"errors query inherited", web.Analysis.Metrics[0].Query, "sum(rate(errors[5m]))"},
		{"canary soak from ring", web.Soak("canary"), time.Hour},
		{"main soak from app", web.Soak("main"), 8 * time.Hour},
		{"canary approval from app", web.ApprovalRequired("canary"), true},
		{"main approval from ring", web.ApprovalRequired("main"), false},
		{"rollback mode", web.Rollback.Mode, RollbackManual},
		{"verify is 2 × the app's interval", web.Rollback.Verify, Duration(time.Minute)},
		{"budget slo inherited", web.ErrorBudget.SLO, 0.999},
		{"webhook", web.Webhooks.Hook(WebhookPostRing).SecretFile, "web-post"},
		{"source interval", web.Sources["analysis.interval"], SourceApp},
		{"source threshold", web.Sources["analysis.failureThreshold"], SourceDefault},
		{"source errors", web.Sources["analysis.metrics.errors"], SourceAppOverPolicy},
		{"source p99", web.Sources["analysis.metrics.p99"], SourceApp},
		{"source canary soak", web.Sources["rings.canary.soak"], SourceRing},
		{"source main soak", web.Sources["rings.main.soak"], SourceApp},
		{"source slo", web.Sources["errorBudget.slo"], SourcePolicy},
		{"source window", web.Sources["errorBudget.window"], SourceDefault},
		{"source verify", web.Sources["rollback.verify"], SourceDefault},
		{"source webhook", web.Sources["webhooks.post-ring"], SourceApp},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("web %s = %v, want %v", c.what, c.got, c.want)
		}
	}
	api := top.EffectivePolicy("api")
	if api.Analysis.Interval != DefaultAnalysisInterval || api.Soak("main") != 2*time.Hour || api.Rollback.Mode != RollbackAutomatic || api.Webhooks != nil {
		t.Errorf("api without policy = %+v, want spec.policy and the rings", api)
	}
	if gone := top.EffectivePolicy("removed"); gone.Analysis.Interval != DefaultAnalysisInterval || gone.Soak("canary") != time.Hour {
		t.Errorf("an app not in the topology = %+v, want spec.policy and the rings", gone)
	}
}

func TestEffectivePolicyBudgetOnlyForApp(t *testing.T) {
	t.Parallel()
	base := strings.Replace(string(withAppPolicy(t, "errorBudget: {slo: 0.99}")), "    errorBudget: {slo: 0.999}\n", "", 1)
	top, err := Parse("t.yaml", []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	b := top.EffectivePolicy("web").ErrorBudget
	if b.SLO != 0.99 || b.Window != DefaultBudgetWindow || b.AutoApproveAbove != DefaultAutoApproveAbove {
		t.Errorf("app budget = %+v, want slo 0.99 over the defaults", b)
	}
	if top.Spec.Policy.ErrorBudget.Enabled() {
		t.Error("spec.policy has no budget, yet it is enabled")
	}
	noSLO := strings.Replace(base, "errorBudget: {slo: 0.99}", "errorBudget: {window: 14d}", 1)
	_, err = Parse("t.yaml", []byte(noSLO))
	if err == nil || !strings.Contains(err.Error(), `t.yaml:24:9: errorBudget of app "web" needs an slo`) {
		t.Errorf("an app budget without slo and none to inherit: err = %v", err)
	}
}

// TestEffectivePolicyLiteral checks a topology built in Go (as tests and
// the simulator build them), which Parse never saw: all comes from
// spec.policy and the rings.
func TestEffectivePolicyLiteral(t *testing.T) {
	t.Parallel()
	top := &Topology{Spec: TopologySpec{
		Rings:  []Ring{{Name: "r0", Soak: Duration(time.Hour), Approval: "required"}},
		Policy: Policy{Analysis: Analysis{Interval: Duration(time.Minute), FailureThreshold: 2}, Rollback: RollbackPolicy{Verify: Duration(5 * time.Minute)}},
		Apps:   []App{{Name: "a", Policy: &AppPolicy{Soak: map[string]Duration{"r0": 0}}}},
	}}
	e := top.EffectivePolicy("a")
	if e.Soak("r0") != 0 || !e.ApprovalRequired("r0") || e.Rollback.Verify != Duration(5*time.Minute) || e.Sources["analysis.interval"] != SourcePolicy {
		t.Errorf("literal effective policy = %+v", e)
	}
	c := e.Clone()
	c.Rings[0].Soak = Duration(time.Hour)
	c.Sources["rings.r0.soak"] = "risk tier high"
	if top.EffectivePolicy("a").Soak("r0") != 0 || e.Sources["rings.r0.soak"] != SourceApp {
		t.Error("changing a clone changed the topology's policy")
	}
}
