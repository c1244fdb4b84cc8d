package topology

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseDREAD(t *testing.T) {
	cases := []struct {
		in      string
		score   int
		wantErr string
	}{
		{in: "damage=8,reproducibility=7,exploitability=9,affected=10,discoverability=10", score: 44},
		{in: " Affected=1, damage=1,discoverability=1 ,exploitability=1,reproducibility=1", score: 5},
		{in: "damage=8,reproducibility=7", wantErr: "exploitability, affected, discoverability missing"},
		{in: "damage=8,damage=7,exploitability=9,affected=10,discoverability=10", wantErr: "damage is given twice"},
		{in: "damage=11,reproducibility=7,exploitability=9,affected=10,discoverability=10", wantErr: "risk damage is 11: each DREAD factor is from 1 to 10"},
		{in: "damage=0,reproducibility=7,exploitability=9,affected=10,discoverability=10", wantErr: "risk damage is 0"},
		{in: "dmg=8,reproducibility=7,exploitability=9,affected=10,discoverability=10", wantErr: `unknown factor "dmg"`},
		{in: "damage=high,reproducibility=7,exploitability=9,affected=10,discoverability=10", wantErr: `damage "high" is not a whole number`},
		{in: "44", wantErr: "want name=value pairs"},
		{in: "", wantErr: "want name=value pairs"},
	}
	for _, c := range cases {
		d, err := ParseDREAD(c.in)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("ParseDREAD(%q) error = %v, want one containing %q", c.in, err, c.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseDREAD(%q): %v", c.in, err)
			continue
		}
		if d.Score() != c.score {
			t.Errorf("ParseDREAD(%q).Score() = %d, want %d", c.in, d.Score(), c.score)
		}
		// String is what ParseDREAD reads back.
		if back, err := ParseDREAD(d.String()); err != nil || back != d {
			t.Errorf("ParseDREAD(%q) does not round-trip through String %q: %+v, %v", c.in, d.String(), back, err)
		}
	}
}

// tieredTopology is minimal.yaml with a risk-tier policy.
func tieredTopology(t *testing.T, tiers string) (*Topology, error) {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", "topology", "good", "minimal.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	doc := strings.Replace(string(src), "    errorBudget: {slo: 0.999}\n", "    errorBudget: {slo: 0.999}\n    riskTiers:\n"+tiers, 1)
	if doc == string(src) {
		t.Fatal("minimal.yaml has no errorBudget line to add tiers after")
	}
	return Parse("tiers.yaml", []byte(doc))
}

// hour is a 1h soak.
const hour = Duration(time.Hour)

func TestRiskTiersPickTheTierThatCoversTheScore(t *testing.T) {
	top, err := tieredTopology(t, ""+
		"      - {name: high, min: 40, approval: every-ring, soakMultiplier: 2}\n"+
		"      - {name: medium, min: 16, max: 39}\n"+
		"      - {name: low, max: 15, approval: none}\n")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		risk      *DREAD
		tier      string
		approvals [2]bool // a ring without / with its own approval
		soak      Duration
		why       string
	}{
		{risk: &DREAD{8, 7, 9, 10, 10}, tier: "high", approvals: [2]bool{true, true}, soak: 2 * hour,
			why: "DREAD 44/50: tier high (scores 40–50): approval before every ring, soaks × 2"},
		{risk: &DREAD{8, 8, 8, 8, 8}, tier: "high", approvals: [2]bool{true, true}, soak: 2 * hour},
		{risk: &DREAD{7, 8, 8, 8, 8}, tier: "medium", approvals: [2]bool{false, true}, soak: hour,
			why: "DREAD 39/50: tier medium (scores 16–39): the rings' own policy"},
		{risk: &DREAD{3, 3, 3, 3, 3}, tier: "low", approvals: [2]bool{false, false}, soak: hour,
			why: "DREAD 15/50: tier low (scores 5–15): no approvals"},
		{risk: nil, approvals: [2]bool{false, true}, soak: hour, why: "not scored: the rings' own policy applies"},
	}
	for _, c := range cases {
		d := top.DecideRisk(c.risk)
		if d.Tier != c.tier {
			t.Errorf("DecideRisk(%v).Tier = %q, want %q", c.risk, d.Tier, c.tier)
		}
		if c.why != "" && d.Why != c.why {
			t.Errorf("DecideRisk(%v).Why = %q, want %q", c.risk, d.Why, c.why)
		}
		if got := [2]bool{d.Policy.RingApproval(false), d.Policy.RingApproval(true)}; got != c.approvals {
			t.Errorf("DecideRisk(%v) approvals = %v, want %v", c.risk, got, c.approvals)
		}
		if got := d.Policy.Soak(hour); got != c.soak {
			t.Errorf("DecideRisk(%v) soak of a 1h ring = %s, want %s", c.risk, got, c.soak)
		}
	}

	// A gap between tiers is no tier: the rings' own policy.
	gappy, err := tieredTopology(t, "      - {name: high, min: 40}\n")
	if err != nil {
		t.Fatal(err)
	}
	if d := gappy.DecideRisk(&DREAD{1, 1, 1, 1, 1}); d.Tier != "" || d.Why != "DREAD 5/50 falls in no risk tier: the rings' own policy applies" {
		t.Errorf("a score in no tier decided %+v", d)
	}
}

func TestRiskTierValidation(t *testing.T) {
	cases := []struct {
		tiers string
		want  []string
	}{
		{"      - {name: high, min: 40}\n      - {name: mid, min: 30, max: 45}\n",
			[]string{`tiers.yaml:23:9: risk tier "mid" (scores 30–45) overlaps risk tier "high" (scores 40–50): a score must pick one tier`}},
		{"      - {name: high, min: 60}\n",
			[]string{`tiers.yaml:22:27: risk tier "high" min 60: a DREAD score is from 5 to 50`, `tiers.yaml:22:27: risk tier "high" min 60 is above its max 50`}},
		{"      - {name: odd, min: 30, max: 20}\n",
			[]string{`tiers.yaml:22:26: risk tier "odd" min 30 is above its max 20`}},
		{"      - {name: high, min: 40, approval: always}\n",
			[]string{`tiers.yaml:22:41: risk tier "high" approval "always" is unknown: use every-ring or none (or leave it out for each ring's own)`}},
		{"      - {name: high, min: 40, soakMultiplier: 0}\n",
			[]string{`tiers.yaml:22:47: risk tier "high" soakMultiplier 0: want a number above 0 and at most 100`}},
		{"      - {min: 40}\n",
			[]string{`tiers.yaml:22:9: risk tier needs a name`}},
		{"      - {name: high, min: 40}\n      - {name: high, max: 20}\n",
			[]string{`tiers.yaml:23:16: duplicate risk tier name "high" (first defined at line 22); names must be unique`}},
		{"      - {name: high, minimum: 40}\n",
			[]string{`tiers.yaml:22:22: unknown field "minimum" in risk tier; known fields: name, min, max, approval, soakMultiplier`}},
	}
	for _, c := range cases {
		_, err := tieredTopology(t, c.tiers)
		var verr ValidationErrors
		if !errors.As(err, &verr) {
			t.Errorf("tiers %q: error %v, want validation errors %q", c.tiers, err, c.want)
			continue
		}
		var got []string
		for _, e := range verr {
			got = append(got, e.Error())
		}
		if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
			t.Errorf("tiers %q:\n got %q\nwant %q", c.tiers, got, c.want)
		}
	}
}

func TestShortestSoakIsTheShortestATierAllows(t *testing.T) {
	ring := Ring{Name: "canary", Soak: 4 * hour}
	cases := []struct {
		tiers []RiskTier
		want  Duration
	}{
		{nil, 4 * hour},
		{[]RiskTier{{Name: "high", Min: 40, SoakMultiplier: 2}}, 4 * hour},
		{[]RiskTier{{Name: "high", Min: 40, SoakMultiplier: 2}, {Name: "low", Max: 15, SoakMultiplier: 0.25}}, hour},
	}
	for _, c := range cases {
		top := &Topology{Spec: TopologySpec{Policy: Policy{RiskTiers: c.tiers}}}
		if got := top.ShortestSoak(ring); got != c.want {
			t.Errorf("tiers %+v: shortest soak %s, want %s", c.tiers, got, c.want)
		}
	}
}

func TestAppDefaultRisk(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "topology", "good", "minimal.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	withDREAD := func(dread string) string {
		return strings.Replace(string(src), "    - name: web\n", "    - name: web\n      risk: {dread: "+dread+"}\n", 1)
	}
	top, err := Parse("app.yaml", []byte(withDREAD("{damage: 8, reproducibility: 7, exploitability: 9, affected: 10, discoverability: 10}")))
	if err != nil {
		t.Fatal(err)
	}
	if d := top.DefaultRisk("web"); d == nil || d.Score() != 44 {
		t.Fatalf("DefaultRisk(web) = %+v, want score 44", d)
	}
	if d := top.DefaultRisk("nope"); d != nil {
		t.Fatalf("DefaultRisk of an unknown app = %+v, want nil", d)
	}
	// The caller gets its own copy.
	top.DefaultRisk("web").Damage = 1
	if top.DefaultRisk("web").Damage != 8 {
		t.Fatal("DefaultRisk returned the topology's own value")
	}
	for _, c := range []struct{ dread, want string }{
		{"{damage: 8, reproducibility: 7, exploitability: 9, affected: 10}", `app.yaml:23:21: risk.dread of app "web" needs discoverability: give all five DREAD factors (damage, reproducibility, exploitability, affected, discoverability), each 1-10`},
		{"{damage: 0, reproducibility: 7, exploitability: 9, affected: 10, discoverability: 10}", `app.yaml:23:30: risk.dread damage of app "web" is 0: each DREAD factor is from 1 to 10`},
		{"{damage: 8, reproducibility: 7, exploitability: 9, affected: 10, discoverability: 10, dmg: 1}", `app.yaml:23:107: unknown field "dmg" in risk dread`},
	} {
		_, err := Parse("app.yaml", []byte(withDREAD(c.dread)))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("dread %s: error\n%v\nwant one containing\n%s", c.dread, err, c.want)
		}
	}
}
