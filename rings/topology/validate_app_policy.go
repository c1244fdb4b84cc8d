package topology

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// validateAppPolicies checks every spec.apps[].policy against the rings and
// spec.policy it overrides. It runs after both are validated and their
// defaults filled, so the merged policy it checks last is the one
// EffectivePolicy will return.
func (p *topoParser) validateAppPolicies(t *Topology) {
	for i, a := range t.Spec.Apps {
		ap, owner := listEntry("spec.apps", i, "app", a.Name)
		pp := pathJoin(ap, "policy")
		if a.Policy == nil || p.isBad(pp) {
			continue
		}
		pol := a.Policy
		if pol.OnFailure != "" && pol.OnFailure != OnFailureHaltLaterRings && pol.OnFailure != OnFailureHaltRegion && !p.isBad(pp+".onFailure") {
			p.errorAt(p.at(pp+".onFailure"), "onFailure %q of %s is not valid; use %q or %q", pol.OnFailure, owner, OnFailureHaltLaterRings, OnFailureHaltRegion)
		}
		p.validateRingOverrides(t, pp, owner, pol)
		p.validateAnalysisOverride(&t.Spec.Policy.Analysis, pathJoin(pp, "analysis"), owner, pol.Analysis)
		p.validateRollbackOverride(pathJoin(pp, "rollback"), owner, pol.Rollback)
		p.validateBudgetOverride(t.Spec.Policy.ErrorBudget.Enabled(), pathJoin(pp, "errorBudget"), owner, pol.ErrorBudget)
		p.validateAppWebhooks(pathJoin(pp, "webhooks"), owner, pol.Webhooks)
		if len(p.errs) == 0 {
			p.checkMerged(pp, owner, buildEffective(t, a, p.given))
		}
	}
}

// validateRingOverrides checks that soak and approval name existing rings.
func (p *topoParser) validateRingOverrides(t *Topology, pp, owner string, pol *AppPolicy) {
	ringsKnown := !p.isBad("spec.rings")
	names := make([]string, len(t.Spec.Rings))
	for i, r := range t.Spec.Rings {
		names[i] = r.Name
	}
	unknown := func(field, ring string) {
		kp := pathJoin(pathJoin(pp, field), ring)
		if ringsKnown && t.RingIndex(ring) < 0 {
			p.errorAt(p.keyAt(kp), "unknown ring %q in %s of %s; rings are %s", ring, field, owner, joinOr(names))
		}
	}
	for _, ring := range sortedKeys(pol.Soak) {
		unknown("soak", ring)
		if kp := pathJoin(pp+".soak", ring); !p.isBad(kp) && pol.Soak[ring] < 0 {
			p.errorAt(p.at(kp), "soak of %s in ring %q must not be negative", owner, ring)
		}
	}
	for _, ring := range sortedKeys(pol.Approval) {
		unknown("approval", ring)
		kp := pathJoin(pp+".approval", ring)
		switch v := pol.Approval[ring]; {
		case p.isBad(kp), v == "required", v == "none":
		default:
			p.errorAt(p.at(kp), "approval %q of %s in ring %q is not valid; use \"required\" or \"none\"", v, owner, ring)
		}
	}
}

// validateAnalysisOverride checks an app's analysis. Its metrics merge by
// name with spec.policy's: an entry that names none of them adds a metric,
// so it must be complete; one that does must change something.
func (p *topoParser) validateAnalysisOverride(base *Analysis, ap, owner string, o *AnalysisOverride) {
	if o == nil || p.isBad(ap) {
		return
	}
	if ip := ap + ".interval"; o.Interval != nil && !p.isBad(ip) && *o.Interval <= 0 {
		p.errorAt(p.at(ip), "analysis interval of %s must be greater than 0, such as \"1m\"", owner)
	}
	if fp := ap + ".failureThreshold"; o.FailureThreshold != nil && !p.isBad(fp) && *o.FailureThreshold < 1 {
		p.errorAt(p.at(fp), "failureThreshold of %s must be at least 1, not %d", owner, *o.FailureThreshold)
	}
	mp := ap + ".metrics"
	p.checkNames(mp, "metric", len(o.Metrics), func(i int) string { return o.Metrics[i].Name })
	baseKnown := !p.isBad("spec.policy.analysis.metrics")
	for i, m := range o.Metrics {
		ep, mowner := listEntry(mp, i, "metric", m.Name)
		mowner += " of " + owner
		j := -1
		for k, b := range base.Metrics {
			if b.Name == m.Name {
				j = k
			}
		}
		switch {
		case p.isBad(ep) || m.Name == "":
		case j < 0 && baseKnown && strings.TrimSpace(m.Query) == "" && !p.isBad(pathJoin(ep, "query")):
			p.errorAt(p.at(pathJoin(ep, "name")), "%s overrides no metric of spec.policy.analysis (%s); fix the name, or give it a query and a bound to add a metric", mowner, metricNames(base.Metrics))
		case j < 0:
			p.checkMetric(ep, mowner, m)
		case m.Query == "" && m.Min == nil && m.Max == nil && m.MaxDegradation == nil:
			p.errorAt(p.at(ep), "%s changes nothing of spec.policy's %q; give query, min, max or maxDegradation, or remove it", mowner, m.Name)
		default:
			p.checkMetric(ep, mowner, mergeMetric(base.Metrics[j], m))
		}
	}
}

// metricNames renders the names of spec.policy's metrics for a message.
func metricNames(ms []Metric) string {
	if len(ms) == 0 {
		return "it has none"
	}
	names := make([]string, len(ms))
	for i, m := range ms {
		names[i] = m.Name
	}
	return "it has " + joinOr(names)
}

func (p *topoParser) validateRollbackOverride(rp, owner string, o *RollbackOverride) {
	if o == nil || p.isBad(rp) {
		return
	}
	if mp := rp + ".mode"; o.Mode != "" && o.Mode != RollbackAutomatic && o.Mode != RollbackManual && !p.isBad(mp) {
		p.errorAt(p.at(mp), "rollback %q of %s is not valid; use %q or %q", o.Mode, owner, RollbackAutomatic, RollbackManual)
	}
	if vp := rp + ".verify"; o.Verify != nil && !p.isBad(vp) && *o.Verify < 0 {
		p.errorAt(p.at(vp), "rollback verify of %s must not be negative (0s skips the checks)", owner)
	}
	if tp := rp + ".timeout"; o.Timeout != nil && !p.isBad(tp) && *o.Timeout <= 0 {
		p.errorAt(p.at(tp), "rollback timeout of %s must be greater than 0, such as \"15m\": a rollback that never verifies must fail", owner)
	}
}

func (p *topoParser) validateBudgetOverride(policyHasBudget bool, bp, owner string, o *ErrorBudgetOverride) {
	if o == nil || p.isBad(bp) {
		return
	}
	sp := bp + ".slo"
	switch {
	case p.isBad(sp):
	case o.SLO == nil && !policyHasBudget && !p.isBad("spec.policy.errorBudget"):
		p.errorAt(p.at(sp), "errorBudget of %s needs an slo, a fraction such as 0.999: spec.policy has no errorBudget to inherit one from", owner)
	case o.SLO != nil && (*o.SLO <= 0 || *o.SLO >= 1):
		p.errorAt(p.at(sp), "slo of %s must be a fraction between 0 and 1 (exclusive) such as 0.999, not %v", owner, *o.SLO)
	}
	if wp := bp + ".window"; o.Window != nil && !p.isBad(wp) && *o.Window <= 0 {
		p.errorAt(p.at(wp), "errorBudget window of %s must be greater than 0, such as \"720h\"", owner)
	}
	for _, c := range []struct {
		name string
		v    *float64
	}{{"autoApproveAbove", o.AutoApproveAbove}, {"approvalAbove", o.ApprovalAbove}} {
		if cp := pathJoin(bp, c.name); c.v != nil && !p.isBad(cp) && (*c.v < 0 || *c.v > 100) {
			p.errorAt(p.at(cp), "%s of %s must be a percentage between 0 and 100, not %v", c.name, owner, *c.v)
		}
	}
	p.checkPriorities(bp+".allowWhenExhausted", "errorBudget allowWhenExhausted of "+owner, o.AllowWhenExhausted)
	p.validateBudgetSLI(bp+".sli", o.SLI)
}

// secretFileName is what an app webhook's secretFile may be: a plain file
// name inside ringd's --webhook-secret-dir, never a path.
var secretFileName = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]*$`)

func (p *topoParser) validateAppWebhooks(wp, owner string, w *AppWebhooks) {
	if w == nil || p.isBad(wp) {
		return
	}
	for _, h := range []struct {
		key  string
		hook *AppWebhook
	}{{"prePromotion", w.PrePromotion}, {"duringSoak", w.DuringSoak}, {"postRing", w.PostRing}} {
		hp := pathJoin(wp, h.key)
		if h.hook == nil || p.isBad(hp) {
			continue
		}
		what := h.key + " webhook of " + owner
		up, fp := hp+".url", hp+".secretFile"
		if !p.isBad(up) {
			if u, err := url.Parse(strings.TrimSpace(h.hook.URL)); h.hook.URL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				p.errorAt(p.at(up), "%s needs a url, http:// or https:// with a host", what)
			} else {
				p.checkNoCredentials(up, h.hook.URL, what+" url", "let the receiver verify the signature made with secretFile")
			}
		}
		switch sf := h.hook.SecretFile; {
		case p.isBad(fp):
		case sf == "":
			p.errorAt(p.at(fp), "%s needs a secretFile: the name of the file in ringd's --webhook-secret-dir that holds its HMAC secret", what)
		case len(sf) > 255 || !secretFileName.MatchString(sf):
			p.errorAt(p.at(fp), "secretFile %q of %s must be a plain file name (letters, digits, '.', '_', '-'), not a path: ringd reads it from its --webhook-secret-dir", sf, what)
		}
	}
}

// checkMerged checks what only the merged policy shows: bounds and periods
// that are each valid but contradict the values they are combined with.
func (p *topoParser) checkMerged(pp, owner string, e EffectivePolicy) {
	if e.ErrorBudget.Enabled() && e.ErrorBudget.ApprovalAbove > e.ErrorBudget.AutoApproveAbove {
		p.errorAt(p.at(pathJoin(pp, "errorBudget")), "approvalAbove %v of %s must not exceed its autoApproveAbove %v", e.ErrorBudget.ApprovalAbove, owner, e.ErrorBudget.AutoApproveAbove)
	}
	if e.Rollback.Timeout <= e.Rollback.Verify && e.Rollback.Timeout > 0 {
		p.errorAt(p.at(pathJoin(pp, "rollback")), "rollback timeout %s of %s must be longer than its verify period %s", e.Rollback.Timeout, owner, e.Rollback.Verify)
	}
}

// sortedKeys returns m's keys in order, so errors come out the same every time.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
