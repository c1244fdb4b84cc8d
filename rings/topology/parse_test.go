package topology

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// ptExamplePath is the canonical example every release of Ringleader must
// accept.
var ptExamplePath = filepath.Join("..", "..", "manifests", "examples", "rings.yaml")

// ptMustParse parses a file that must be valid.
func ptMustParse(t *testing.T, path string) *Topology {
	t.Helper()
	top, errs := ptParseFile(t, path)
	if errs != nil {
		t.Fatalf("Parse(%s):\n%s", path, strings.Join(errs, "\n"))
	}
	if top == nil {
		t.Fatalf("Parse(%s) returned neither a topology nor an error", path)
	}
	return top
}

// ptParseFile parses the file at path, named by its base name.
func ptParseFile(t *testing.T, path string) (*Topology, []string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return ptParse(t, filepath.Base(path), data)
}

// ptParseString parses an inline document (named t.yaml) and returns its
// errors rendered as strings (nil when valid).
func ptParseString(t *testing.T, doc string) (*Topology, []string) {
	t.Helper()
	return ptParse(t, "t.yaml", []byte(doc))
}

// ptParse parses doc as the file name and returns its errors rendered as
// "name:line:col: message" (nil when valid). Any error Parse returns must
// be ValidationErrors, and never come with a topology.
func ptParse(t *testing.T, name string, doc []byte) (*Topology, []string) {
	t.Helper()
	top, err := Parse(name, doc)
	if err == nil {
		return top, nil
	}
	var verrs ValidationErrors
	if !errors.As(err, &verrs) {
		t.Fatalf("Parse error is %T (%v), want ValidationErrors", err, err)
	}
	if top != nil {
		t.Fatalf("Parse returned a topology together with errors")
	}
	out := make([]string, len(verrs))
	for i, e := range verrs {
		out[i] = e.Error()
	}
	return nil, out
}

func TestParseExample(t *testing.T) {
	t.Parallel()
	top := ptMustParse(t, ptExamplePath)
	s := top.Spec
	checks := []struct {
		name      string
		got, want any
	}{
		{"name", top.Metadata.Name, "payments"},
		{"regions", len(s.Regions), 4},
		{"rings", len(s.Rings), 3},
		{"apps", len(s.Apps), 2},
		{"ring order", []string{s.Rings[0].Name, s.Rings[1].Name, s.Rings[2].Name}, []string{"canary", "early", "global"}},
		{"global regions", s.Rings[2].Regions, []string{"ap-northeast-1", "us-west-2"}},
		{"canary soak", s.Rings[0].Soak.D(), 4 * time.Hour},
		{"global soak", s.Rings[2].Soak.D(), time.Duration(0)},
		{"early approval", s.Rings[1].ApprovalRequired(), true},
		{"canary approval", s.Rings[0].Approval, ""},
		{"default sync timeout", s.Rings[0].SyncTimeout.D(), 15 * time.Minute},
		{"window zone", s.Windows[0].Timezone, TimezoneRegion},
		{"window duration", s.Windows[0].Duration.D(), 7 * time.Hour},
		{"freeze duration", s.Freezes[0].Duration.D(), 336 * time.Hour},
		{"freeze allow", s.Freezes[0].Allow, []string{"P0", "security"}},
		{"failure threshold", s.Policy.Analysis.FailureThreshold, 5},
		{"metric min", *s.Policy.Analysis.Metrics[0].Min, 99.0},
		{"metric max unset", s.Policy.Analysis.Metrics[0].Max == nil, true},
		{"budget window", s.Policy.ErrorBudget.Window.D(), 720 * time.Hour},
		{"argocd application", s.Regions[0].ArgoCD.Application, "{{app}}-{{region}}"},
		{"region without argocd", s.Regions[1].ArgoCD == nil, true},
		{"ledger target", s.Apps[1].Targets[0].KustomizeImage, "registry.example.com/ledger"},
	}
	for _, c := range checks {
		if !ptEqual(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	for _, r := range s.Regions {
		if r.Location == nil || r.Location.String() != r.Timezone {
			t.Errorf("region %s Location = %v, want %s", r.Name, r.Location, r.Timezone)
		}
	}
}

// ptEqual compares test values, including string slices.
func ptEqual(a, b any) bool {
	as, aok := a.([]string)
	bs, bok := b.([]string)
	if aok && bok {
		return slices.Equal(as, bs)
	}
	return a == b
}

func TestParseDefaults(t *testing.T) {
	t.Parallel()
	top := ptMustParse(t, filepath.Join("testdata", "topology", "good", "minimal.yaml"))
	s := top.Spec
	checks := []struct {
		name      string
		got, want any
	}{
		{"gitops.branch", s.GitOps.Branch, "main"},
		{"ring approval stays empty", s.Rings[0].Approval, ""},
		{"ring syncTimeout", s.Rings[1].SyncTimeout.D(), 15 * time.Minute},
		{"window timezone region kept", s.Windows[0].Timezone, "region"},
		{"freeze timezone", s.Freezes[0].Timezone, "UTC"},
		{"freeze days", s.Freezes[0].Duration.D(), 14 * 24 * time.Hour},
		{"train timezone", s.Trains[0].Timezone, "UTC"},
		{"onFailure", s.Policy.OnFailure, OnFailureHaltLaterRings},
		{"rollback", s.Policy.Rollback.Mode, RollbackAutomatic},
		{"analysis interval", s.Policy.Analysis.Interval.D(), time.Minute},
		{"failureThreshold", s.Policy.Analysis.FailureThreshold, 3},
		{"errorBudget enabled", s.Policy.ErrorBudget.Enabled(), true},
		{"errorBudget window", s.Policy.ErrorBudget.Window.D(), 720 * time.Hour},
		{"autoApproveAbove", s.Policy.ErrorBudget.AutoApproveAbove, 50.0},
		{"approvalAbove", s.Policy.ErrorBudget.ApprovalAbove, 25.0},
		{"allowWhenExhausted", s.Policy.ErrorBudget.AllowWhenExhausted, []string{"P0", "security", "reliability"}},
	}
	for _, c := range checks {
		if !ptEqual(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

// ptMinimal is good/minimal.yaml's shape in a few lines, for inline tests.
const ptMinimal = `apiVersion: ringleader.dev/v1alpha1
kind: Topology
metadata: {name: shop}
spec:
  gitops: {repo: https://git.example.com/deploy.git}
  regions: [{name: r1, timezone: UTC}]
  rings: [{name: only, regions: [r1], soak: 0s}]
  apps: [{name: web, targets: [{file: f.yaml, yamlPath: a.b}]}]
`

// ptMinimalWith is ptMinimal with the first old replaced by new, or as it
// is when old is empty.
func ptMinimalWith(old, new string) string {
	if old == "" {
		return ptMinimal
	}
	return strings.Replace(ptMinimal, old, new, 1)
}

func TestParseOptionalDefaults(t *testing.T) {
	t.Parallel()
	const ring = "{name: only, regions: [r1], soak: 0s}"
	cases := []struct {
		name     string
		old, new string
		check    func(*Topology) any
		want     any
	}{
		{"no errorBudget: gate off", "", "",
			func(t *Topology) any { return t.Spec.Policy.ErrorBudget.Enabled() }, false},
		{"explicit empty allowWhenExhausted stays empty", "  apps:", "  policy: {errorBudget: {slo: 0.99, allowWhenExhausted: []}}\n  apps:",
			func(t *Topology) any { return len(t.Spec.Policy.ErrorBudget.AllowWhenExhausted) }, 0},
		{"explicit zero thresholds kept", "  apps:", "  policy: {errorBudget: {slo: 0.99, autoApproveAbove: 0, approvalAbove: 0}}\n  apps:",
			func(t *Topology) any { return t.Spec.Policy.ErrorBudget.AutoApproveAbove }, 0.0},
		{"no sli: the adapter's default", "  apps:", "  policy: {errorBudget: {slo: 0.99}}\n  apps:",
			func(t *Topology) any { return t.Spec.Policy.ErrorBudget.SLI == nil }, true},
		{"sli kept", "  apps:", "  policy: {errorBudget: {slo: 0.99, sli: {good: 'sum(ok{app=\"{{app}}\"})', total: 'sum(all{region=\"{{ region }}\"}[{{window}}])'}}}\n  apps:",
			func(t *Topology) any { return *t.Spec.Policy.ErrorBudget.SLI }, BudgetSLI{Good: `sum(ok{app="{{app}}"})`, Total: `sum(all{region="{{ region }}"}[{{window}}])`}},
		{"syncTimeout 0s defaults", ring, "{name: only, regions: [r1], soak: 0s, syncTimeout: 0s}",
			func(t *Topology) any { return t.Spec.Rings[0].SyncTimeout.D() }, 15 * time.Minute},
		{"syncTimeout kept", ring, "{name: only, regions: [r1], soak: 0s, syncTimeout: 30m}",
			func(t *Topology) any { return t.Spec.Rings[0].SyncTimeout.D() }, 30 * time.Minute},
		{"approval none kept", ring, "{name: only, regions: [r1], soak: 0s, approval: none}",
			func(t *Topology) any { return t.Spec.Rings[0].Approval }, "none"},
		{"branch kept", "deploy.git}", "deploy.git, branch: release}",
			func(t *Topology) any { return t.Spec.GitOps.Branch }, "release"},
		{"rollback verify defaults to twice the analysis interval", "  apps:", "  policy: {analysis: {interval: 30s}}\n  apps:",
			func(t *Topology) any { return t.Spec.Policy.Rollback.Verify.D() }, time.Minute},
		{"rollback timeout defaults to 15m", "", "",
			func(t *Topology) any { return t.Spec.Policy.Rollback.Timeout.D() }, 15 * time.Minute},
		{"rollback as a scalar is its mode", "  apps:", "  policy: {rollback: manual}\n  apps:",
			func(t *Topology) any { return t.Spec.Policy.Rollback.Mode }, RollbackManual},
		{"rollback mapping without a mode is automatic", "  apps:", "  policy: {rollback: {timeout: 30m}}\n  apps:",
			func(t *Topology) any {
				return t.Spec.Policy.Rollback.Mode + " " + t.Spec.Policy.Rollback.Timeout.String()
			}, "automatic 30m0s"},
		{"rollback verify 0s kept: the checks are skipped", "  apps:", "  policy: {rollback: {verify: 0s}}\n  apps:",
			func(t *Topology) any { return t.Spec.Policy.Rollback.Verify.D() }, time.Duration(0)},
		{"window timezone defaults to UTC", "  apps:", "  windows: [{name: w, schedule: '0 9 * * *', duration: 1h}]\n  apps:",
			func(t *Topology) any { return t.Spec.Windows[0].Timezone }, "UTC"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			top, errs := ptParseString(t, ptMinimalWith(tc.old, tc.new))
			if errs != nil {
				t.Fatalf("errors: %v", errs)
			}
			if got := tc.check(top); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseReportsEveryError(t *testing.T) {
	t.Parallel()
	doc := `apiVersion: ringleader.dev/v2
kind: Topology
metadata: {name: Shop}
spec:
  gitops: {repo: https://git.example.com/deploy.git, brnch: main}
  regions:
    - {name: r1, timezone: UTC}
    - {name: r2, timezone: Moon/Base}
    - {name: r3, timezone: UTC}
  rings:
    - {name: a, regions: [r1, r9], soak: 1 hour}
    - {name: b, regions: [r1, r2], soak: 1h, approval: yes-please}
  policy:
    analysis: {failureThreshold: -1, interval: [1m]}
  apps: [{name: web, targets: [{file: f.yaml}]}]
`
	_, got := ptParseString(t, doc)
	want := []string{
		`t.yaml:1:13: apiVersion "ringleader.dev/v2" is not supported; use "ringleader.dev/v1alpha1"`,
		`t.yaml:3:18: metadata name "Shop" is not valid: use lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters`,
		`t.yaml:5:54: unknown field "brnch" in gitops; did you mean "branch"?`,
		`t.yaml:8:28: unknown time zone "Moon/Base": use an IANA name such as "Europe/Dublin" or "UTC" (in region "r2")`,
		`t.yaml:9:14: region "r3" is in no ring; add it to exactly one ring`,
		`t.yaml:11:31: unknown region "r9" in ring "a"; define it under spec.regions`,
		`t.yaml:11:42: soak: invalid duration "1 hour": use Go syntax such as 30s, 90m, 4h or days such as 14d`,
		`t.yaml:12:27: region "r1" is already in ring "a" (line 11); a region belongs to exactly one ring`,
		`t.yaml:12:56: approval "yes-please" of ring "b" is not valid; use "required" or "none"`,
		`t.yaml:14:34: failureThreshold must be at least 1, not -1`,
		`t.yaml:14:48: interval must be a duration such as "4h" or "14d", not a list`,
		`t.yaml:15:32: target of app "web" needs exactly one of yamlPath, kustomizeImage, applicationSetElement or containerImage; it has none`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("errors:\n got: %s\nwant: %s", strings.Join(got, "\n      "), strings.Join(want, "\n      "))
	}
}

func TestParseAnchorsAndMergeKeys(t *testing.T) {
	t.Parallel()
	doc := `apiVersion: ringleader.dev/v1alpha1
kind: Topology
metadata: {name: shop}
spec:
  gitops: {repo: https://git.example.com/deploy.git}
  regions:
    - &base {name: r1, timezone: Europe/Paris}
    - {<<: *base, name: r2}
  rings:
    - {name: a, regions: &all [r1, r2], soak: 1d12h}
  windows:
    - {name: w, schedule: "@daily", duration: 1h}
  apps: [{name: web, targets: [{file: f.yaml, applicationSetElement: targetRevision}]}]
`
	top, errs := ptParseString(t, doc)
	if errs != nil {
		t.Fatalf("errors: %v", errs)
	}
	r2 := top.Spec.Regions[1]
	if r2.Name != "r2" || r2.Timezone != "Europe/Paris" || r2.Location == nil {
		t.Errorf("merged region = %+v, want r2 in Europe/Paris", r2)
	}
	if got := top.Spec.Rings[0].Soak.D(); got != 36*time.Hour {
		t.Errorf("soak = %v, want 36h", got)
	}
}

func TestParseAliasFanOutIsBounded(t *testing.T) {
	t.Parallel()
	// 200 aliases to a region with 300 labels: 60,000 nodes to walk from a
	// 4 KB document.
	var b strings.Builder
	b.WriteString("x-region: &big\n  name: r1\n  timezone: UTC\n  labels:\n")
	for i := range 300 {
		fmt.Fprintf(&b, "    k%d: v\n", i)
	}
	doc := ptMinimalWith("regions: [{name: r1, timezone: UTC}]", "regions: ["+strings.Repeat("*big, ", 199)+"*big]")
	doc = b.String() + doc
	_, errs := ptParseString(t, doc)
	want := fmt.Sprintf("document expands to more than %d nodes through aliases", maxNodes)
	found := false
	for _, e := range errs {
		found = found || strings.Contains(e, want)
	}
	if !found {
		t.Errorf("no %q among %d errors", want, len(errs))
	}
}

func TestValidationErrorsRender(t *testing.T) {
	t.Parallel()
	errs := ValidationErrors{
		{File: "a.yaml", Line: 3, Col: 7, Msg: "first"},
		{File: "a.yaml", Line: 9, Col: 1, Msg: "second"},
	}
	if got, want := errs.Error(), "a.yaml:3:7: first\na.yaml:9:1: second"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(errs, ErrInvalidTopology) {
		t.Error("errors.Is(ValidationErrors, ErrInvalidTopology) = false")
	}
}

func TestDurationUnmarshalYAML(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{`d: 4h`, 4 * time.Hour, false},
		{`d: "0s"`, 0, false},
		{`d: 14d`, 14 * 24 * time.Hour, false},
		{`d: 1d12h`, 36 * time.Hour, false},
		{`d: 5`, 0, true},
		{`d: [1]`, 0, true},
		{`d: -1h`, 0, true},
	}
	for _, tc := range cases {
		var v struct{ D Duration }
		err := yaml.Unmarshal([]byte(tc.in), &v)
		if (err != nil) != tc.err || v.D.D() != tc.want {
			t.Errorf("%s: got %v, %v; want %v, error %v", tc.in, v.D.D(), err, tc.want, tc.err)
		}
	}
}

func BenchmarkParseExample(b *testing.B) {
	data, err := os.ReadFile(ptExamplePath)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("rings.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
}

func TestParseUnknownFieldHints(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, old, new, want string
	}{
		{"typo", "soak: 0s}", "soak: 0s, windws: [w]}", `t.yaml:7:49: unknown field "windws" in ring; did you mean "windows"?`},
		{"case", "soak: 0s}", "soak: 0s, synctimeout: 1m}", `t.yaml:7:49: unknown field "synctimeout" in ring; did you mean "syncTimeout"?`},
		{"belongs elsewhere", "soak: 0s}", "soak: 0s, timezone: UTC}", `t.yaml:7:49: unknown field "timezone" in ring; "timezone" belongs in freeze, region, train or window`},
		{"top level", "kind: Topology", "kind: Topology\nstatus: {}", `t.yaml:3:1: unknown field "status" in the topology; known fields: apiVersion, kind, metadata, spec`},
		{"long key elided", "soak: 0s}", "soak: 0s, " + strings.Repeat("x", 100) + ": 1}",
			`t.yaml:7:49: unknown field "` + strings.Repeat("x", 32) + `"…"` + strings.Repeat("x", 32) + `" in ring; known fields: name, regions, soak, approval, windows, syncTimeout, maxExposure`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, errs := ptParseString(t, ptMinimalWith(tc.old, tc.new))
			if len(errs) != 1 || errs[0] != tc.want {
				t.Errorf("errors %q\nwant [%q]", errs, tc.want)
			}
		})
	}
}
