package topology

import (
	"strconv"
	"strings"
)

// The checks of each spec section. Each takes the decoded values and their
// paths, reports problems through the parser and fills in its defaults.

// validateRegions checks the regions and loads their time zones. It returns
// the index of each (validly named, first) region by name.
func (p *topoParser) validateRegions(regions []Region) map[string]int {
	p.requireList("spec.regions", len(regions), "no regions: list at least one under spec.regions")
	byName := p.checkNames("spec.regions", "region", len(regions), func(i int) string { return regions[i].Name })
	for i := range regions {
		r := &regions[i]
		rp, owner := listEntry("spec.regions", i, "region", r.Name)
		tzp := pathJoin(rp, "timezone")
		switch {
		case p.isBad(tzp):
		case r.Timezone == "":
			p.errorAt(p.at(tzp), "%s needs a timezone, an IANA name such as \"Europe/Dublin\" or \"UTC\"", owner)
		case r.Timezone == TimezoneRegion:
			p.errorAt(p.at(tzp), "%s cannot use timezone %q; give its IANA zone such as \"Europe/Dublin\"", owner, TimezoneRegion)
		default:
			loc, err := loadTopologyZone(r.Timezone)
			if err != nil {
				p.errorAt(p.at(tzp), "%v (in %s)", err, owner)
			}
			r.Location = loc
		}
		if a := r.ArgoCD; a != nil {
			ap := pathJoin(rp, "argocd")
			if strings.TrimSpace(a.Server) == "" && !p.isBad(pathJoin(ap, "server")) {
				p.errorAt(p.at(pathJoin(ap, "server")), "argocd of %s needs a server URL", owner)
			}
			p.checkNoCredentials(pathJoin(ap, "server"), a.Server, "argocd server of "+owner, "give the token to ringd with --argocd-token-file")
			if strings.TrimSpace(a.Application) == "" && !p.isBad(pathJoin(ap, "application")) {
				p.errorAt(p.at(pathJoin(ap, "application")), "argocd of %s needs an application name, a template over {{app}} and {{region}} such as \"{{app}}-{{region}}\"", owner)
			}
		}
		if pr := r.Prometheus; pr != nil {
			up := pathJoin(rp, "prometheus.url")
			if strings.TrimSpace(pr.URL) == "" && !p.isBad(up) {
				p.errorAt(p.at(up), "prometheus of %s needs a url", owner)
			}
			p.checkNoCredentials(up, pr.URL, "prometheus url of "+owner, "reach it without credentials: ringd sends Prometheus none (Git and Argo CD take theirs from --git-password-file and --argocd-token-file)")
		}
		for k := range r.Labels {
			if k == "" {
				p.errorAt(p.at(pathJoin(rp, "labels")), "labels of %s have an empty key", owner)
			}
		}
	}
	return byName
}

// validateWindows checks the release windows and returns them by name.
func (p *topoParser) validateWindows(windows []Window) map[string]int {
	byName := p.checkNames("spec.windows", "window", len(windows), func(i int) string { return windows[i].Name })
	for i := range windows {
		w := &windows[i]
		wp, owner := listEntry("spec.windows", i, "window", w.Name)
		p.checkPeriod(wp, owner, w.Schedule, w.Duration, &w.Timezone, true)
	}
	return byName
}

// validateRings checks the rings against the regions and windows: every
// region in exactly one ring, every reference known.
func (p *topoParser) validateRings(s *TopologySpec, regions, windows map[string]int) {
	p.requireList("spec.rings", len(s.Rings), "no rings: list at least one under spec.rings; ring 0 goes first")
	p.checkNames("spec.rings", "ring", len(s.Rings), func(i int) string { return s.Rings[i].Name })
	regionsKnown := !p.isBad("spec.regions")
	windowsKnown := !p.isBad("spec.windows")
	// placed maps a region to the path of the ring entry that first holds it.
	placed := map[string]string{}
	placedRing := map[string]string{}
	complete := !p.isBad("spec.rings")
	for i := range s.Rings {
		r := &s.Rings[i]
		rp, owner := listEntry("spec.rings", i, "ring", r.Name)
		regp := pathJoin(rp, "regions")
		if p.isBad(regp) {
			complete = false
		}
		p.requireList(regp, len(r.Regions), "%s has no regions; list at least one", owner)
		for j, name := range r.Regions {
			ep := pathIndex(regp, j)
			switch {
			case p.isBad(ep):
				complete = false
			case name == "":
				p.errorAt(p.at(ep), "%s lists an empty region name", owner)
			case regionsKnown && !hasKey(regions, name):
				p.errorAt(p.at(ep), "unknown region %q in %s; define it under spec.regions", name, owner)
			default:
				if prev, ok := placed[name]; ok {
					if placedRing[name] == rp {
						p.errorAt(p.at(ep), "region %q is listed twice in %s", name, owner)
					} else {
						p.errorAt(p.at(ep), "region %q is already in ring %q (line %d); a region belongs to exactly one ring", name, s.Rings[ringOfPath(prev)].Name, p.line(prev))
					}
					continue
				}
				placed[name] = ep
				placedRing[name] = rp
			}
		}
		if sp := pathJoin(rp, "soak"); !p.isBad(sp) && !p.given[sp] {
			p.errorAt(p.at(sp), "%s needs a soak duration such as \"4h\" (write \"0s\" for none)", owner)
		}
		if ap := pathJoin(rp, "approval"); !p.isBad(ap) {
			switch r.Approval {
			case "", "none", "required":
			default:
				p.errorAt(p.at(ap), "approval %q of %s is not valid; use \"required\" or \"none\"", r.Approval, owner)
			}
		}
		for j, w := range r.Windows {
			ep := pathIndex(pathJoin(rp, "windows"), j)
			if !p.isBad(ep) && windowsKnown && !hasKey(windows, w) {
				p.errorAt(p.at(ep), "unknown window %q in %s; define it under spec.windows", w, owner)
			}
		}
		if r.SyncTimeout == 0 && !p.isBad(pathJoin(rp, "syncTimeout")) {
			r.SyncTimeout = DefaultSyncTimeout
		}
	}
	if !complete || !regionsKnown || len(s.Rings) == 0 {
		return // a ring's region list is unknown: "in no ring" would guess
	}
	for name, i := range regions {
		if _, ok := placed[name]; !ok {
			p.errorAt(p.at(pathJoin(pathIndex("spec.regions", i), "name")), "region %q is in no ring; add it to exactly one ring", name)
		}
	}
}

// ringOfPath returns i from a path "spec.rings[i]...".
func ringOfPath(path string) int {
	rest := strings.TrimPrefix(path, "spec.rings[")
	n := 0
	for _, c := range rest {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int(c-'0')
	}
	return n
}

func (p *topoParser) validateFreezes(freezes []Freeze) {
	p.checkNames("spec.freezes", "freeze", len(freezes), func(i int) string { return freezes[i].Name })
	for i := range freezes {
		f := &freezes[i]
		fp, owner := listEntry("spec.freezes", i, "freeze", f.Name)
		p.checkPeriod(fp, owner, f.Schedule, f.Duration, &f.Timezone, false)
		p.checkPriorities(pathJoin(fp, "allow"), owner, f.Allow)
	}
}

func (p *topoParser) validatePolicy(pol *Policy) {
	const pp = "spec.policy"
	p.checkChoice(pp+".onFailure", "onFailure", &pol.OnFailure, OnFailureHaltLaterRings, OnFailureHaltRegion)
	p.validateAnalysis(&pol.Analysis)
	p.validateRollback(&pol.Rollback, pol.Analysis.Interval)
	p.validateBudget(&pol.ErrorBudget)
	p.validateRiskTiers(pol.RiskTiers)
}

// validateRollback checks policy.rollback and fills its defaults; interval
// is the (validated) analysis interval the verify period defaults from.
func (p *topoParser) validateRollback(r *RollbackPolicy, interval Duration) {
	const rp = "spec.policy.rollback"
	if p.isBad(rp) {
		return
	}
	p.checkChoice(rp+".mode", "rollback", &r.Mode, RollbackAutomatic, RollbackManual)
	orDefault(p, rp+".verify", &r.Verify, 2*interval)
	if tp := rp + ".timeout"; orDefault(p, tp, &r.Timeout, DefaultRollbackTimeout) {
		switch {
		case r.Timeout <= 0:
			p.errorAt(p.at(tp), "rollback timeout must be greater than 0, such as \"15m\": a rollback that never verifies must fail")
		case r.Timeout <= r.Verify:
			p.errorAt(p.at(tp), "rollback timeout %s must be longer than its verify period %s", r.Timeout, r.Verify)
		}
	}
}

func (p *topoParser) validateAnalysis(a *Analysis) {
	const ap = "spec.policy.analysis"
	if ip := ap + ".interval"; orDefault(p, ip, &a.Interval, DefaultAnalysisInterval) && a.Interval <= 0 {
		p.errorAt(p.at(ip), "analysis interval must be greater than 0, such as \"1m\"")
	}
	if fp := ap + ".failureThreshold"; orDefault(p, fp, &a.FailureThreshold, DefaultFailureThreshold) && a.FailureThreshold < 1 {
		p.errorAt(p.at(fp), "failureThreshold must be at least 1, not %d", a.FailureThreshold)
	}
	mp := ap + ".metrics"
	p.checkNames(mp, "metric", len(a.Metrics), func(i int) string { return a.Metrics[i].Name })
	for i, m := range a.Metrics {
		ep, owner := listEntry(mp, i, "metric", m.Name)
		p.checkMetric(ep, owner, m)
	}
}

// checkMetric checks one metric (written at ep) once it is complete.
func (p *topoParser) checkMetric(ep, owner string, m Metric) {
	if qp := pathJoin(ep, "query"); !p.isBad(qp) && strings.TrimSpace(m.Query) == "" {
		p.errorAt(p.at(qp), "%s needs a query (PromQL)", owner)
	}
	minP, maxP, degP := pathJoin(ep, "min"), pathJoin(ep, "max"), pathJoin(ep, "maxDegradation")
	if m.Min == nil && m.Max == nil && m.MaxDegradation == nil && !p.isBad(minP) && !p.isBad(maxP) && !p.isBad(degP) {
		p.errorAt(p.at(ep), "%s needs at least one of min, max or maxDegradation", owner)
	}
	if m.Min != nil && m.Max != nil && *m.Min > *m.Max {
		p.errorAt(p.at(minP), "min %v of %s is above its max %v", *m.Min, owner, *m.Max)
	}
	if m.MaxDegradation != nil && *m.MaxDegradation < 0 {
		p.errorAt(p.at(degP), "maxDegradation of %s must not be negative", owner)
	}
}

func (p *topoParser) validateBudget(b *ErrorBudgetPolicy) {
	const bp = "spec.policy.errorBudget"
	if !p.given[bp] || p.isBad(bp) {
		return // no error-budget gate
	}
	sp := bp + ".slo"
	switch {
	case p.isBad(sp):
	case !p.given[sp]:
		p.errorAt(p.at(sp), "errorBudget needs an slo, a fraction such as 0.999")
	case b.SLO <= 0 || b.SLO >= 1:
		p.errorAt(p.at(sp), "slo must be a fraction between 0 and 1 (exclusive) such as 0.999, not %v", b.SLO)
	}
	if wp := bp + ".window"; orDefault(p, wp, &b.Window, DefaultBudgetWindow) && b.Window <= 0 {
		p.errorAt(p.at(wp), "errorBudget window must be greater than 0, such as \"720h\"")
	}
	autoP, apprP := bp+".autoApproveAbove", bp+".approvalAbove"
	orDefault(p, autoP, &b.AutoApproveAbove, DefaultAutoApproveAbove)
	orDefault(p, apprP, &b.ApprovalAbove, DefaultApprovalAbove)
	inRange := true
	for _, c := range []struct {
		path, name string
		v          float64
	}{{autoP, "autoApproveAbove", b.AutoApproveAbove}, {apprP, "approvalAbove", b.ApprovalAbove}} {
		if p.isBad(c.path) {
			inRange = false
		} else if c.v < 0 || c.v > 100 {
			inRange = false
			p.errorAt(p.at(c.path), "%s must be a percentage between 0 and 100, not %v", c.name, c.v)
		}
	}
	if inRange && b.ApprovalAbove > b.AutoApproveAbove {
		p.errorAt(p.at(apprP), "approvalAbove %v must not exceed autoApproveAbove %v", b.ApprovalAbove, b.AutoApproveAbove)
	}
	ap := bp + ".allowWhenExhausted"
	orDefault(p, ap, &b.AllowWhenExhausted, DefaultAllowWhenExhausted())
	p.checkPriorities(ap, "errorBudget allowWhenExhausted", b.AllowWhenExhausted)
	p.validateBudgetSLI(bp+".sli", b.SLI)
}

// validateApps checks the apps and their targets and returns them by name.
func (p *topoParser) validateApps(apps []App) map[string]int {
	p.requireList("spec.apps", len(apps), "no apps: list at least one under spec.apps")
	byName := p.checkNames("spec.apps", "app", len(apps), func(i int) string { return apps[i].Name })
	for i, a := range apps {
		ap, owner := listEntry("spec.apps", i, "app", a.Name)
		tp := pathJoin(ap, "targets")
		p.requireList(tp, len(a.Targets), "%s has no targets; say where its version is written", owner)
		for j, t := range a.Targets {
			ep := pathIndex(tp, j)
			if fp := pathJoin(ep, "file"); !p.isBad(fp) && strings.TrimSpace(t.File) == "" {
				p.errorAt(p.at(fp), "target of %s needs a file (a template over {{region}} and {{app}})", owner)
			}
			p.checkTarget(ep, owner, t)
		}
	}
	return byName
}

func (p *topoParser) validateTrains(trains []Train, apps map[string]int) {
	p.checkNames("spec.trains", "train", len(trains), func(i int) string { return trains[i].Name })
	appsKnown := !p.isBad("spec.apps")
	for i := range trains {
		t := &trains[i]
		tp, owner := listEntry("spec.trains", i, "train", t.Name)
		lp := pathJoin(tp, "apps")
		p.requireList(lp, len(t.Apps), "%s has no apps; list the apps it carries", owner)
		for j, a := range t.Apps {
			ep := pathIndex(lp, j)
			if !p.isBad(ep) && appsKnown && !hasKey(apps, a) {
				p.errorAt(p.at(ep), "unknown app %q in %s; define it under spec.apps", a, owner)
			}
		}
		p.checkSchedule(pathJoin(tp, "schedule"), owner, t.Schedule)
		p.checkZone(pathJoin(tp, "timezone"), owner, &t.Timezone, false)
	}
}

func hasKey(m map[string]int, k string) bool {
	_, ok := m[k]
	return ok
}

// listEntry returns the path of entry i of the list at list, and how
// messages name the entry: its kind and quoted name (`ring "early"`), or
// its kind and position from 1 when it has no name (`ring #2`).
func listEntry(list string, i int, kind, name string) (path, owner string) {
	if name == "" {
		return pathIndex(list, i), kind + " #" + strconv.Itoa(i+1)
	}
	return pathIndex(list, i), kind + " " + strconv.Quote(name)
}
