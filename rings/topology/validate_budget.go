package topology

// validateBudgetSLI checks an errorBudget.sli written at sp (spec.policy's
// or an app's): absent means the adapter's default SLI; given, it needs both
// good and total, each a template checkSLITemplate accepts.
func (p *topoParser) validateBudgetSLI(sp string, sli *BudgetSLI) {
	if sli == nil || p.isBad(sp) {
		return
	}
	gp, tp := sp+".good", sp+".total"
	if !p.given[gp] && !p.given[tp] {
		p.errorAt(p.at(sp), "errorBudget sli needs good and total, PromQL templates over {{region}}, {{app}} and {{window}}; remove sli for the default (non-5xx over all http_requests_total)")
		return
	}
	for _, q := range []struct{ path, name, v string }{{gp, "good", sli.Good}, {tp, "total", sli.Total}} {
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
