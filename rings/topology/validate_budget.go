package topology

// validateBudgetSLI checks policy.errorBudget.sli: absent means the
// adapter's default SLI; given, it needs both good and total, each a
// template checkSLITemplate accepts.
func (p *topoParser) validateBudgetSLI(b *ErrorBudgetPolicy) {
	const sp = "spec.policy.errorBudget.sli"
	if b.SLI == nil || p.isBad(sp) {
		return
	}
	gp, tp := sp+".good", sp+".total"
	if !p.given[gp] && !p.given[tp] {
		p.errorAt(p.at(sp), "errorBudget sli needs good and total, PromQL templates over {{region}}, {{app}} and {{window}}; remove sli for the default (non-5xx over all http_requests_total)")
		return
	}
	for _, q := range []struct{ path, name, v string }{{gp, "good", b.SLI.Good}, {tp, "total", b.SLI.Total}} {
		switch {
		case p.isBad(q.path):
		case !p.given[q.path]:
			p.errorAt(p.at(sp), "errorBudget sli needs %s too: give both good and total", q.name)
		default:
			if err := checkSLITemplate(q.v); err != nil {
				p.errorAt(p.at(q.path), "errorBudget sli %s %v", q.name, err)
			}
		}
	}
}
