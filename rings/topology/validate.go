package topology

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Validation runs on the decoded Topology, using the positions the decoder
// recorded to point each problem at its key or value. It also fills in the
// defaults, so a topology that passes is complete:
//
//	gitops.branch                   "main"
//	ring approval                   "" stays "" (no approval); "none" is kept as written
//	ring syncTimeout                15m when absent or 0s
//	window/freeze/train timezone    "UTC"
//	policy.onFailure                halt-later-rings
//	policy.rollback                 automatic (a scalar is the mode: rollback: manual)
//	policy.rollback.verify          2 × analysis interval (an explicit 0s skips the checks)
//	policy.rollback.timeout         15m (an explicit 0s is an error)
//	policy.analysis.interval        1m (an explicit 0s is an error)
//	policy.analysis.failureThreshold 3 (an explicit 0 is an error)
//	policy.errorBudget              absent: no error-budget gate (SLO 0, see Enabled)
//	errorBudget.window              720h (30 days) when the errorBudget is given
//	errorBudget.autoApproveAbove    50 when the errorBudget is given without it
//	errorBudget.approvalAbove       25 when the errorBudget is given without it
//	errorBudget.allowWhenExhausted  [P0, security, reliability] when absent (an explicit [] means none)
//	errorBudget.sli                 absent: the Prometheus adapter's default SLI (non-5xx ÷ all http_requests_total); given, both good and total
//	freeze allow                    none: a freeze stops every release unless it lists priorities
//	apps[].policy                   absent: spec.policy and the rings; each unset field inherits (effective.go)
//
// Required, with no default: apiVersion, kind, metadata.name, gitops.repo,
// every name, region timezone (a window in "region" time depends on it), ring
// regions and soak (write "0s" for none: a forgotten soak should not silently
// mean none), window and freeze schedule and duration, errorBudget slo, metric
// query and a bound, app targets with a file, train apps and schedule, and
// server and application of a region's argocd (url of its prometheus) when
// given. Refused outright: time zone "Local" (it differs between machines),
// cron schedules carrying CRON_TZ=/TZ= (the timezone field says where a
// schedule runs), a second YAML document in the file, user info in an
// http(s) URL or a password in any URL (the topology is shown to every
// viewer; credentials go to ringd in files).

// Default values Parse fills in.
const (
	DefaultBranch           = "main"
	DefaultSyncTimeout      = Duration(15 * time.Minute)
	DefaultAnalysisInterval = Duration(time.Minute)
	DefaultFailureThreshold = 3
	DefaultRollbackTimeout  = Duration(15 * time.Minute)
	DefaultBudgetWindow     = Duration(720 * time.Hour)
	DefaultAutoApproveAbove = 50.0
	DefaultApprovalAbove    = 25.0
	DefaultTimezone         = "UTC"
)

// DefaultAllowWhenExhausted is the errorBudget.allowWhenExhausted default.
func DefaultAllowWhenExhausted() []string {
	return []string{PriorityP0, PrioritySecurity, PriorityReliability}
}

// knownPriorities are the release priorities freezes and budgets may allow.
var knownPriorities = []string{PriorityP0, PrioritySecurity, PriorityReliability, PriorityNormal}

// knownPriority reports whether s is a release priority Ringleader knows.
func knownPriority(s string) bool {
	for _, k := range knownPriorities {
		if s == k {
			return true
		}
	}
	return false
}

var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// validate checks the whole topology, recording every problem and filling in
// defaults.
func (p *topoParser) validate(t *Topology) {
	p.validateHeader(t)
	if !p.given["spec"] {
		if !p.isBad("spec") {
			p.errorAt(p.at("spec"), "spec is missing: a topology needs spec.gitops, spec.regions, spec.rings and spec.apps")
		}
		return
	}
	s := &t.Spec
	p.validateGitOps(&s.GitOps)
	regions := p.validateRegions(s.Regions)
	windows := p.validateWindows(s.Windows)
	p.validateRings(s, regions, windows)
	p.validateFreezes(s.Freezes)
	p.validatePolicy(&s.Policy)
	apps := p.validateApps(s.Apps)
	p.validateAppPolicies(t)
	p.validateElementKeys(s)
	p.validateTrains(s.Trains, apps)
	p.validateExposure(s, regions)
}

// at returns where path's value is written, else its key. For a missing
// field it returns the nearest enclosing field's key (or, for a list entry,
// the entry): "errorBudget needs an slo" points at "errorBudget:".
func (p *topoParser) at(path string) srcPos {
	if q, ok := p.vals[path]; ok {
		return q
	}
	if q, ok := p.keys[path]; ok {
		return q
	}
	for path != "" {
		path = pathParent(path)
		if q, ok := p.keys[path]; ok {
			return q
		}
		if q, ok := p.vals[path]; ok {
			return q
		}
	}
	return srcPos{1, 1}
}

// keyAt returns where path's key is written, else where at would point.
func (p *topoParser) keyAt(path string) srcPos {
	if q, ok := p.keys[path]; ok {
		return q
	}
	return p.at(path)
}

// pathParent strips the last segment of a path: "spec.rings[1].soak" →
// "spec.rings[1]" → "spec.rings" → "spec" → "".
func pathParent(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

// isBad reports whether path or anything enclosing it failed to decode, in
// which case its value is unknown and checks on it would only add noise.
func (p *topoParser) isBad(path string) bool {
	for {
		if p.bad[path] {
			return true
		}
		if path == "" {
			return false
		}
		path = pathParent(path)
	}
}

// line returns the line of path's value, for "first defined at line N".
func (p *topoParser) line(path string) int { return p.at(path).line }

func (p *topoParser) validateHeader(t *Topology) {
	p.checkFixed("apiVersion", t.APIVersion, APIVersion)
	p.checkFixed("kind", t.Kind, KindTopology)
	p.checkName("metadata.name", "metadata", t.Metadata.Name)
}

// checkFixed reports a top-level field that is missing or does not hold
// the one value Ringleader supports.
func (p *topoParser) checkFixed(field, got, want string) {
	switch {
	case p.isBad(field):
	case !p.given[field]:
		p.errorAt(p.at(field), "%s is missing; use %q", field, want)
	case got != want:
		p.errorAt(p.at(field), "%s %q is not supported; use %q", field, got, want)
	}
}

// checkChoice fills an empty *v with def and reports a value other than
// def and alt, the two a policy field may take.
func (p *topoParser) checkChoice(path, field string, v *string, def, alt string) {
	if p.isBad(path) {
		return
	}
	switch *v {
	case "":
		*v = def
	case def, alt:
	default:
		p.errorAt(p.at(path), "%s %q is not valid; use %q or %q", field, *v, def, alt)
	}
}

// orDefault fills *v with def when path was left out, and reports whether
// path was written and decoded, so the caller checks the value. A path
// that failed to decode is neither filled nor checked.
func orDefault[T any](p *topoParser, path string, v *T, def T) bool {
	switch {
	case p.isBad(path):
		return false
	case !p.given[path]:
		*v = def
		return false
	}
	return true
}

// checkName reports a missing or malformed name and says whether the name
// can be used for cross-references.
func (p *topoParser) checkName(path, kind, name string) bool {
	switch {
	case p.isBad(path):
		return false
	case name == "":
		p.errorAt(p.at(path), "%s needs a name", kind)
		return false
	case len(name) > 63 || !dnsLabel.MatchString(name):
		p.errorAt(p.at(path), "%s name %q is not valid: use lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters", kind, name)
		return false
	}
	return true
}

// checkNames validates the names of a list and reports duplicates at the
// second occurrence. It returns the index of the first item of each
// non-empty name (a malformed name is reported once, here, and still counts
// as defined so references to it do not add "unknown" errors).
func (p *topoParser) checkNames(listPath, kind string, n int, name func(i int) string) map[string]int {
	first := map[string]int{}
	for i := 0; i < n; i++ {
		np := pathJoin(pathIndex(listPath, i), "name")
		nm := name(i)
		p.checkName(np, kind, nm)
		if nm == "" || p.isBad(np) {
			continue
		}
		if j, dup := first[nm]; dup {
			p.errorAt(p.at(np), "duplicate %s name %q (first defined at line %d); names must be unique", kind, nm, p.line(pathJoin(pathIndex(listPath, j), "name")))
			continue
		}
		first[nm] = i
	}
	return first
}

// requireList reports an empty list that must have entries.
func (p *topoParser) requireList(path string, n int, format string, args ...any) {
	if n == 0 && !p.isBad(path) {
		p.errorAt(p.at(path), format, args...)
	}
}

// zoneName is the shape of an IANA zone name; anything else is refused
// before it reaches time.LoadLocation (which would look it up on disk).
var zoneName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*$`)

// loadTopologyZone loads an IANA time zone. "Local" is refused: it differs
// between machines, and every node of a cluster must compute the same plan.
func loadTopologyZone(name string) (*time.Location, error) {
	if name == "Local" || len(name) > 64 || !zoneName.MatchString(name) {
		return nil, fmt.Errorf("unknown time zone %q: use an IANA name such as \"Europe/Dublin\" or \"UTC\"", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q: use an IANA name such as \"Europe/Dublin\" or \"UTC\"", name)
	}
	return loc, nil
}

// checkZone validates the timezone of a window, freeze or train, filling in
// UTC. allowRegion permits "region" (windows only).
func (p *topoParser) checkZone(path, owner string, tz *string, allowRegion bool) {
	if p.isBad(path) {
		return
	}
	if *tz == "" {
		*tz = DefaultTimezone
		return
	}
	if *tz == TimezoneRegion {
		if !allowRegion {
			p.errorAt(p.at(path), "%s cannot use timezone %q: it is one period for every region; use an IANA zone such as \"UTC\"", owner, TimezoneRegion)
		}
		return
	}
	if _, err := loadTopologyZone(*tz); err != nil {
		p.errorAt(p.at(path), "%v (in %s)", err, owner)
	}
}

// checkSchedule validates a cron schedule. A CRON_TZ= or TZ= prefix is
// refused: the timezone field says where a schedule is evaluated.
func (p *topoParser) checkSchedule(path, owner, spec string) {
	if p.isBad(path) {
		return
	}
	trimmed := strings.TrimSpace(spec)
	switch {
	case trimmed == "":
		p.errorAt(p.at(path), "%s needs a schedule, a cron expression such as \"0 9 * * MON-FRI\"", owner)
	case strings.HasPrefix(trimmed, "TZ=") || strings.HasPrefix(trimmed, "CRON_TZ="):
		p.errorAt(p.at(path), "schedule %q of %s carries a time zone; remove it and use the timezone field", spec, owner)
	default:
		if _, err := ParseSchedule(spec); err != nil {
			p.errorAt(p.at(path), "%v (in %s); use five fields: minute hour day-of-month month day-of-week", err, owner)
		}
	}
}

// checkPriorities validates a list of release priorities.
func (p *topoParser) checkPriorities(path, owner string, list []string) {
	if p.isBad(path) {
		return
	}
	for i, pr := range list {
		ip := pathIndex(path, i)
		if !p.isBad(ip) && !knownPriority(pr) {
			p.errorAt(p.at(ip), "unknown priority %q in %s; use one of %s", pr, owner, strings.Join(knownPriorities, ", "))
		}
	}
}

// checkPeriod validates the schedule, duration and timezone of the window
// or freeze at path, filling in its timezone.
func (p *topoParser) checkPeriod(path, owner, schedule string, d Duration, tz *string, allowRegion bool) {
	p.checkSchedule(pathJoin(path, "schedule"), owner, schedule)
	p.checkPositive(pathJoin(path, "duration"), owner, "duration", d)
	p.checkZone(pathJoin(path, "timezone"), owner, tz, allowRegion)
}

// checkPositive requires a duration to be given and greater than zero.
func (p *topoParser) checkPositive(path, owner, field string, d Duration) {
	switch {
	case p.isBad(path):
	case !p.given[path]:
		p.errorAt(p.at(path), "%s needs a %s such as \"8h\"", owner, field)
	case d <= 0:
		p.errorAt(p.at(path), "%s of %s must be greater than 0", field, owner)
	}
}

func (p *topoParser) validateGitOps(g *GitOps) {
	if !p.isBad("spec.gitops.repo") && strings.TrimSpace(g.Repo) == "" {
		p.errorAt(p.at("spec.gitops.repo"), "gitops.repo is missing: the URL of the GitOps repository promotions are committed to")
	}
	p.checkNoCredentials("spec.gitops.repo", g.Repo, "gitops.repo", "give the credentials to ringd with --git-username and --git-password-file")
	if g.Branch == "" && !p.isBad("spec.gitops.branch") {
		g.Branch = DefaultBranch
	}
}
