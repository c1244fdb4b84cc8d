package topology

import (
	"fmt"
	"strconv"
	"strings"
)

// DREAD is the risk score of a release: five factors from 1 (least) to 10
// (most), summed into a score out of 50. A release's score picks its risk
// tier (Policy.RiskTiers), which may add approvals and lengthen soaks.
type DREAD struct {
	Damage          int `yaml:"damage" json:"damage"`
	Reproducibility int `yaml:"reproducibility" json:"reproducibility"`
	Exploitability  int `yaml:"exploitability" json:"exploitability"`
	Affected        int `yaml:"affected" json:"affected"`
	Discoverability int `yaml:"discoverability" json:"discoverability"`
}

// The bounds of a DREAD factor and score.
const (
	DREADFactorMin = 1
	DREADFactorMax = 10
	DREADScoreMin  = 5 * DREADFactorMin
	DREADScoreMax  = 5 * DREADFactorMax
)

// dreadFactors names the factors in their written order, with a pointer
// into d for each.
func (d *DREAD) factors() []struct {
	name string
	v    *int
} {
	return []struct {
		name string
		v    *int
	}{
		{"damage", &d.Damage},
		{"reproducibility", &d.Reproducibility},
		{"exploitability", &d.Exploitability},
		{"affected", &d.Affected},
		{"discoverability", &d.Discoverability},
	}
}

// Score is the sum of the five factors: 5 (least risky) to 50.
func (d DREAD) Score() int {
	return d.Damage + d.Reproducibility + d.Exploitability + d.Affected + d.Discoverability
}

// Check reports the first factor outside 1–10.
func (d DREAD) Check() error {
	for _, f := range d.factors() {
		if *f.v < DREADFactorMin || *f.v > DREADFactorMax {
			return fmt.Errorf("risk %s is %d: each DREAD factor is from %d to %d", f.name, *f.v, DREADFactorMin, DREADFactorMax)
		}
	}
	return nil
}

// String writes the score the way ParseDREAD reads it:
// "damage=8,reproducibility=7,exploitability=9,affected=10,discoverability=10".
func (d DREAD) String() string {
	parts := make([]string, 0, 5)
	for _, f := range d.factors() {
		parts = append(parts, f.name+"="+strconv.Itoa(*f.v))
	}
	return strings.Join(parts, ",")
}

// ParseDREAD reads "damage=8,reproducibility=7,exploitability=9,
// affected=10,discoverability=10": every factor once, in any order, each
// 1–10.
func ParseDREAD(s string) (DREAD, error) {
	var d DREAD
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		name, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		name = strings.ToLower(strings.TrimSpace(name))
		if !ok || name == "" {
			return DREAD{}, fmt.Errorf("risk %q: want name=value pairs separated by commas, such as damage=8,reproducibility=7,exploitability=9,affected=10,discoverability=10", s)
		}
		var target *int
		for _, f := range d.factors() {
			if f.name == name {
				target = f.v
			}
		}
		if target == nil {
			return DREAD{}, fmt.Errorf("risk %q: unknown factor %q: the DREAD factors are damage, reproducibility, exploitability, affected and discoverability", s, name)
		}
		if seen[name] {
			return DREAD{}, fmt.Errorf("risk %q: %s is given twice", s, name)
		}
		seen[name] = true
		n, err := strconv.Atoi(strings.TrimSpace(val))
		if err != nil {
			return DREAD{}, fmt.Errorf("risk %q: %s %q is not a whole number", s, name, val)
		}
		*target = n
	}
	var missing []string
	for _, f := range d.factors() {
		if !seen[f.name] {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return DREAD{}, fmt.Errorf("risk %q: %s missing: give all five DREAD factors", s, strings.Join(missing, ", "))
	}
	if err := d.Check(); err != nil {
		return DREAD{}, err
	}
	return d, nil
}

// RiskTier maps a range of DREAD scores to a stricter or looser rollout.
// Min and Max bound the scores it covers (inclusive; 5 and 50 when unset).
// Approval is "every-ring" (a person approves before every ring), "none"
// (no ring waits for approval, whatever the ring says) or empty (each
// ring's own approval). SoakMultiplier scales every ring's soak (unset: 1).
type RiskTier struct {
	Name           string  `yaml:"name" json:"name"`
	Min            int     `yaml:"min,omitempty" json:"min,omitempty"`
	Max            int     `yaml:"max,omitempty" json:"max,omitempty"`
	Approval       string  `yaml:"approval,omitempty" json:"approval,omitempty"`
	SoakMultiplier float64 `yaml:"soakMultiplier,omitempty" json:"soakMultiplier,omitempty"`
}

// RiskTier approval values.
const (
	TierApprovalEveryRing = "every-ring"
	TierApprovalNone      = "none"
)

// Covers reports whether score falls in the tier's range.
func (rt RiskTier) Covers(score int) bool { return score >= rt.low() && score <= rt.high() }

func (rt RiskTier) low() int {
	if rt.Min == 0 {
		return DREADScoreMin
	}
	return rt.Min
}

func (rt RiskTier) high() int {
	if rt.Max == 0 {
		return DREADScoreMax
	}
	return rt.Max
}

// RingApproval is whether a ring that itself requires approval (own)
// needs one under this tier.
func (rt RiskTier) RingApproval(own bool) bool {
	switch rt.Approval {
	case TierApprovalEveryRing:
		return true
	case TierApprovalNone:
		return false
	}
	return own
}

// Soak is a ring's soak under this tier.
func (rt RiskTier) Soak(own Duration) Duration {
	if rt.SoakMultiplier == 0 || rt.SoakMultiplier == 1 {
		return own
	}
	return Duration(float64(own) * rt.SoakMultiplier)
}

// Describe says what the tier covers and does: "tier high (scores 40–50):
// approval before every ring, soaks × 2".
func (rt RiskTier) Describe() string {
	var effects []string
	switch rt.Approval {
	case TierApprovalEveryRing:
		effects = append(effects, "approval before every ring")
	case TierApprovalNone:
		effects = append(effects, "no approvals")
	}
	if rt.SoakMultiplier != 0 && rt.SoakMultiplier != 1 {
		effects = append(effects, "soaks × "+strconv.FormatFloat(rt.SoakMultiplier, 'f', -1, 64))
	}
	if len(effects) == 0 {
		effects = append(effects, "the rings' own policy")
	}
	return fmt.Sprintf("tier %s (scores %d–%d): %s", rt.Name, rt.low(), rt.high(), strings.Join(effects, ", "))
}

// RiskTierFor returns the tier covering score, if any. Tiers do not
// overlap (Parse refuses that), so at most one covers a score.
func (t *Topology) RiskTierFor(score int) (RiskTier, bool) {
	for _, rt := range t.Spec.Policy.RiskTiers {
		if rt.Covers(score) {
			return rt, true
		}
	}
	return RiskTier{}, false
}

// ShortestSoak is the shortest soak ring can have for any release: its own
// soak under the risk tier that shortens it most (its own when no tier
// shortens soaks). An audit of Git history, which does not know a
// release's score, checks soaks against it.
func (t *Topology) ShortestSoak(ring Ring) Duration {
	least := ring.Soak
	for _, rt := range t.Spec.Policy.RiskTiers {
		least = min(least, rt.Soak(ring.Soak))
	}
	return least
}

// RiskDecision is how a release's risk shapes its rollout: its score, the
// tier that covers it (if any) and why, in one sentence.
type RiskDecision struct {
	Score  int      `json:"score"`
	Tier   string   `json:"tier,omitempty"`
	Why    string   `json:"why"`
	Policy RiskTier `json:"-"`
}

// DecideRisk resolves a release's risk against the tiers in force; nil
// risk (not scored) gets no tier.
func (t *Topology) DecideRisk(risk *DREAD) RiskDecision {
	if risk == nil {
		return RiskDecision{Why: "not scored: the rings' own policy applies"}
	}
	score := risk.Score()
	rt, ok := t.RiskTierFor(score)
	if !ok {
		return RiskDecision{Score: score, Why: fmt.Sprintf("DREAD %d/%d falls in no risk tier: the rings' own policy applies", score, DREADScoreMax)}
	}
	return RiskDecision{Score: score, Tier: rt.Name, Policy: rt, Why: fmt.Sprintf("DREAD %d/%d: %s", score, DREADScoreMax, rt.Describe())}
}

// checkDREAD reports, at the factor, every DREAD factor of a score in the
// topology that is missing or outside 1–10.
func (p *topoParser) checkDREAD(path, owner string, d *DREAD) {
	if p.isBad(path) {
		return
	}
	for _, f := range d.factors() {
		fp := pathJoin(path, f.name)
		switch {
		case p.isBad(fp):
		case !p.given[fp]:
			p.errorAt(p.at(path), "risk.dread of %s needs %s: give all five DREAD factors (damage, reproducibility, exploitability, affected, discoverability), each 1-10", owner, f.name)
		case *f.v < DREADFactorMin || *f.v > DREADFactorMax:
			p.errorAt(p.at(fp), "risk.dread %s of %s is %d: each DREAD factor is from %d to %d", f.name, owner, *f.v, DREADFactorMin, DREADFactorMax)
		}
	}
}

// validateRiskTiers checks spec.policy.riskTiers: named, ranges within
// 5–50 that do not overlap, a known approval, a positive soak multiplier.
func (p *topoParser) validateRiskTiers(tiers []RiskTier) {
	const lp = "spec.policy.riskTiers"
	p.checkNames(lp, "risk tier", len(tiers), func(i int) string { return tiers[i].Name })
	for i, rt := range tiers {
		ep, owner := listEntry(lp, i, "risk tier", rt.Name)
		for _, b := range []struct {
			field string
			v     int
		}{{"min", rt.Min}, {"max", rt.Max}} {
			if fp := pathJoin(ep, b.field); p.given[fp] && !p.isBad(fp) && (b.v < DREADScoreMin || b.v > DREADScoreMax) {
				p.errorAt(p.at(fp), "%s %s %d: a DREAD score is from %d to %d", owner, b.field, b.v, DREADScoreMin, DREADScoreMax)
			}
		}
		if rt.low() > rt.high() {
			p.errorAt(p.at(pathJoin(ep, "min")), "%s min %d is above its max %d", owner, rt.low(), rt.high())
		}
		if ap := pathJoin(ep, "approval"); !p.isBad(ap) {
			switch rt.Approval {
			case "", TierApprovalEveryRing, TierApprovalNone:
			default:
				p.errorAt(p.at(ap), "%s approval %q is unknown: use %s or %s (or leave it out for each ring's own)", owner, rt.Approval, TierApprovalEveryRing, TierApprovalNone)
			}
		}
		if sp := pathJoin(ep, "soakMultiplier"); p.given[sp] && !p.isBad(sp) && (rt.SoakMultiplier <= 0 || rt.SoakMultiplier > 100) {
			p.errorAt(p.at(sp), "%s soakMultiplier %v: want a number above 0 and at most 100", owner, rt.SoakMultiplier)
		}
		for j := range i {
			if o := tiers[j]; rt.low() <= o.high() && o.low() <= rt.high() {
				p.errorAt(p.at(ep), "%s (scores %d–%d) overlaps risk tier %q (scores %d–%d): a score must pick one tier", owner, rt.low(), rt.high(), o.Name, o.low(), o.high())
			}
		}
	}
}
