package topology

import (
	"maps"
	"slices"
	"time"
)

// Source says where a value of an EffectivePolicy came from.
type Source string

// Sources of effective values. A layer added later (a risk tier) names
// itself with its own Source, e.g. Source("risk tier high").
const (
	SourceApp     Source = "app"         // spec.apps[].policy
	SourcePolicy  Source = "spec.policy" // written in spec.policy
	SourceRing    Source = "ring"        // spec.rings[]
	SourceDefault Source = "default"     // filled in by Parse (validate.go)
	// SourceAppOverPolicy is a metric the app changes in part: the parts
	// it gives are its own, the rest (often the query) spec.policy's.
	SourceAppOverPolicy Source = "app over spec.policy"
)

// EffectivePolicy is the policy one app's releases run under: spec.policy
// and the rings, overridden by the app's spec.apps[].policy. It is the one
// place that merge happens; the planner, the leader, the health and budget
// adapters and every view read it rather than Spec.Policy, Ring.Soak or
// Ring.ApprovalRequired.
//
// Sources records, for every value, where it came from, keyed as
// `ringctl topology explain` prints it: "analysis.interval",
// "analysis.metrics.errors", "rings.canary.soak", "errorBudget.slo",
// "webhooks.pre-promotion". A layer on top (a risk tier doubling soaks)
// takes a Clone, changes the values and sets their Sources.
type EffectivePolicy struct {
	App         string            `json:"app"`
	Analysis    Analysis          `json:"analysis"`
	OnFailure   string            `json:"onFailure"`
	Rollback    RollbackPolicy    `json:"rollback"`
	ErrorBudget ErrorBudgetPolicy `json:"errorBudget"`
	Rings       []RingPolicy      `json:"rings"`
	Webhooks    *AppWebhooks      `json:"webhooks,omitempty"` // the app's own; ringd's global ones are called too
	Sources     map[string]Source `json:"sources"`
}

// RingPolicy is what an app's release does in one ring.
type RingPolicy struct {
	Name     string   `json:"name"`
	Soak     Duration `json:"soak"`
	Approval bool     `json:"approval"` // a person must approve the ring
}

// EffectivePolicy returns app's effective policy. Parse computes every
// app's once; an app the topology does not list (a release of an app since
// removed) runs under spec.policy and the rings. The result shares memory
// with the topology: read it, or Clone it before changing it.
func (t *Topology) EffectivePolicy(app string) EffectivePolicy {
	if e, ok := t.effective[app]; ok {
		return e
	}
	a, ok := t.AppByName(app)
	if !ok {
		a = App{Name: app}
	}
	return buildEffective(t, a, nil)
}

// AnyErrorBudget reports whether some app's releases are gated by an error
// budget (spec.policy's or the app's own), so budgets need measuring.
func (t *Topology) AnyErrorBudget() bool {
	if t.Spec.Policy.ErrorBudget.Enabled() {
		return true
	}
	for _, a := range t.Spec.Apps {
		if t.EffectivePolicy(a.Name).ErrorBudget.Enabled() {
			return true
		}
	}
	return false
}

// Ring returns the policy of the named ring (zero for an unknown ring).
func (e EffectivePolicy) Ring(name string) RingPolicy {
	if i := slices.IndexFunc(e.Rings, func(r RingPolicy) bool { return r.Name == name }); i >= 0 {
		return e.Rings[i]
	}
	return RingPolicy{Name: name}
}

// Soak returns how long the app soaks in the named ring.
func (e EffectivePolicy) Soak(ring string) time.Duration { return e.Ring(ring).Soak.D() }

// ApprovalRequired reports whether a person must approve the app's release
// into the named ring.
func (e EffectivePolicy) ApprovalRequired(ring string) bool { return e.Ring(ring).Approval }

// Clone returns a copy whose rings, metrics and sources may be changed
// without touching the topology.
func (e EffectivePolicy) Clone() EffectivePolicy {
	e.Rings = slices.Clone(e.Rings)
	e.Analysis.Metrics = slices.Clone(e.Analysis.Metrics)
	e.ErrorBudget.AllowWhenExhausted = slices.Clone(e.ErrorBudget.AllowWhenExhausted)
	e.Sources = maps.Clone(e.Sources)
	return e
}

// effectiveAll computes every app's effective policy at the end of a
// successful Parse, when given still says which spec.policy values were
// written and which were defaulted.
func effectiveAll(t *Topology, given map[string]bool) map[string]EffectivePolicy {
	out := make(map[string]EffectivePolicy, len(t.Spec.Apps))
	for _, a := range t.Spec.Apps {
		out[a.Name] = buildEffective(t, a, given)
	}
	return out
}

// merger builds one EffectivePolicy, recording sources as it goes.
type merger struct {
	given   map[string]bool // nil: unknown (a topology not from Parse), all is spec.policy
	sources map[string]Source
}

// policy records key as coming from spec.policy, or from the defaults when
// Parse saw nothing written at path.
func (m *merger) policy(key, path string) {
	if m.given != nil && !m.given[path] {
		m.sources[key] = SourceDefault
		return
	}
	m.sources[key] = SourcePolicy
}

// override sets *dst to *v and records key as the app's when v is set.
func override[T any](m *merger, key string, dst *T, v *T) {
	if v != nil {
		*dst = *v
		m.sources[key] = SourceApp
	}
}

// buildEffective merges app's policy over spec.policy and the rings.
func buildEffective(t *Topology, app App, given map[string]bool) EffectivePolicy {
	m := &merger{given: given, sources: map[string]Source{}}
	pol := t.Spec.Policy
	ap := app.Policy
	if ap == nil {
		ap = &AppPolicy{}
	}
	e := EffectivePolicy{App: app.Name, OnFailure: pol.OnFailure, Webhooks: ap.Webhooks}
	m.policy("onFailure", "spec.policy.onFailure")
	if ap.OnFailure != "" {
		e.OnFailure, m.sources["onFailure"] = ap.OnFailure, SourceApp
	}
	e.Analysis = m.analysis(pol.Analysis, ap.Analysis)
	e.Rollback = m.rollback(pol.Rollback, ap.Rollback, e.Analysis.Interval)
	e.ErrorBudget = m.budget(pol.ErrorBudget, ap.ErrorBudget)
	for _, r := range t.Spec.Rings {
		rp := RingPolicy{Name: r.Name, Soak: r.Soak, Approval: r.ApprovalRequired()}
		sk, ak := "rings."+r.Name+".soak", "rings."+r.Name+".approval"
		m.sources[sk], m.sources[ak] = SourceRing, SourceRing
		if d, ok := ap.Soak[r.Name]; ok {
			rp.Soak, m.sources[sk] = d, SourceApp
		}
		if a, ok := ap.Approval[r.Name]; ok {
			rp.Approval, m.sources[ak] = a == "required", SourceApp
		}
		e.Rings = append(e.Rings, rp)
	}
	for _, h := range ap.Webhooks.Each() {
		m.sources["webhooks."+h.Event] = SourceApp
	}
	e.Sources = m.sources
	return e
}

func (m *merger) analysis(pol Analysis, o *AnalysisOverride) Analysis {
	const pp = "spec.policy.analysis"
	a := pol
	a.Metrics = slices.Clone(pol.Metrics)
	m.policy("analysis.interval", pp+".interval")
	m.policy("analysis.failureThreshold", pp+".failureThreshold")
	for _, mt := range a.Metrics {
		m.sources["analysis.metrics."+mt.Name] = SourcePolicy
	}
	if o == nil {
		return a
	}
	override(m, "analysis.interval", &a.Interval, o.Interval)
	override(m, "analysis.failureThreshold", &a.FailureThreshold, o.FailureThreshold)
	for _, om := range o.Metrics {
		m.sources["analysis.metrics."+om.Name] = SourceApp
		i := slices.IndexFunc(a.Metrics, func(x Metric) bool { return x.Name == om.Name })
		if i < 0 {
			a.Metrics = append(a.Metrics, om)
			continue
		}
		a.Metrics[i] = mergeMetric(a.Metrics[i], om)
		if om.Query == "" {
			m.sources["analysis.metrics."+om.Name] = SourceAppOverPolicy
		}
	}
	return a
}

// mergeMetric lays the parts of o that are set over base.
func mergeMetric(base, o Metric) Metric {
	if o.Query != "" {
		base.Query = o.Query
	}
	if o.Min != nil {
		base.Min = o.Min
	}
	if o.Max != nil {
		base.Max = o.Max
	}
	if o.MaxDegradation != nil {
		base.MaxDegradation = o.MaxDegradation
	}
	return base
}

// rollback merges the rollback policy. An unwritten verify period is 2 ×
// the app's own analysis interval, as spec.policy's is 2 × its interval.
func (m *merger) rollback(pol RollbackPolicy, o *RollbackOverride, interval Duration) RollbackPolicy {
	const pp = "spec.policy.rollback"
	r := pol
	m.policy("rollback.mode", pp+".mode")
	m.policy("rollback.verify", pp+".verify")
	m.policy("rollback.timeout", pp+".timeout")
	if m.given != nil && !m.given[pp+".verify"] {
		r.Verify = 2 * interval
	}
	if o == nil {
		return r
	}
	if o.Mode != "" {
		r.Mode, m.sources["rollback.mode"] = o.Mode, SourceApp
	}
	override(m, "rollback.verify", &r.Verify, o.Verify)
	override(m, "rollback.timeout", &r.Timeout, o.Timeout)
	return r
}

// budget merges the error-budget policy. An app may turn the gate on for
// itself: its budget then starts from the defaults.
func (m *merger) budget(pol ErrorBudgetPolicy, o *ErrorBudgetOverride) ErrorBudgetPolicy {
	const pp = "spec.policy.errorBudget"
	keys := []string{"slo", "window", "autoApproveAbove", "approvalAbove", "allowWhenExhausted", "sli"}
	b := pol
	if pol.Enabled() {
		for _, k := range keys {
			m.policy("errorBudget."+k, pp+"."+k)
		}
		if pol.SLI == nil {
			m.sources["errorBudget.sli"] = SourceDefault
		}
	}
	if o == nil {
		return b
	}
	if !pol.Enabled() {
		b = ErrorBudgetPolicy{Window: DefaultBudgetWindow, AutoApproveAbove: DefaultAutoApproveAbove,
			ApprovalAbove: DefaultApprovalAbove, AllowWhenExhausted: DefaultAllowWhenExhausted()}
		for _, k := range keys {
			m.sources["errorBudget."+k] = SourceDefault
		}
	}
	override(m, "errorBudget.slo", &b.SLO, o.SLO)
	override(m, "errorBudget.window", &b.Window, o.Window)
	override(m, "errorBudget.autoApproveAbove", &b.AutoApproveAbove, o.AutoApproveAbove)
	override(m, "errorBudget.approvalAbove", &b.ApprovalAbove, o.ApprovalAbove)
	if o.AllowWhenExhausted != nil {
		b.AllowWhenExhausted, m.sources["errorBudget.allowWhenExhausted"] = o.AllowWhenExhausted, SourceApp
	}
	if o.SLI != nil {
		b.SLI, m.sources["errorBudget.sli"] = o.SLI, SourceApp
	}
	return b
}
