package topology

import (
	"testing"

	"gopkg.in/yaml.v3"
)

// TestCheckSLITemplate follows the Prometheus adapter's rendering rules.
func TestCheckSLITemplate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, q, wantErr string
	}{
		{"default shape", `sum(increase(http_requests_total{region="{{region}}",app="{{app}}",code!~"5.."}[{{window}}]))`, ""},
		{"single quotes and spaces", `sum(up{region='{{ region }}'})`, ""},
		{"no placeholder", `sum(up)`, ""},
		{"escaped quote before", `sum(up{a="x\"y",region="{{region}}"})`, ""},
		{"empty", "  ", "is empty; write a PromQL query"},
		{"unknown", `sum(up{v="{{version}}"})`, "has an unknown placeholder {{version}}; use {{region}}, {{app}} or {{window}}"},
		{"unquoted app", `sum(up{app={{app}}})`, `has {{app}} outside a quoted string; write it as a label value, e.g. app="{{app}}"`},
		{"quoted window", `sum(up{w="{{window}}"})`, "has {{window}} inside quotes; it is a range: write [{{window}}]"},
		{"backquoted", "sum(up{app=`{{app}}`})", "has {{app}} in a backquoted string, which cannot be escaped; use double quotes"},
		{"comment", "sum(up) # {{app}}", "has {{app}} in a # comment"},
		{"unclosed", `sum(up{app="{{app"})`, `has a placeholder it cannot read at "{{app\"})" (unclosed or not a name); write {{region}}, {{app}} or {{window}}`},
		{"unclosed before a good one", `sum(up{a="{{x-y}}",app="{{app}}"})`, `has a placeholder it cannot read at "{{x-y}}\",app=\"{{app}…" (unclosed or not a name); write {{region}}, {{app}} or {{window}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := checkSLITemplate(tc.q)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.wantErr {
				t.Fatalf("checkSLITemplate(%q) = %q, want %q", tc.q, got, tc.wantErr)
			}
		})
	}
}

// TestBudgetSLIRoundTrip: a policy with an SLI is written so that Parse
// reads the same SLI back.
func TestBudgetSLIRoundTrip(t *testing.T) {
	t.Parallel()
	sli := &BudgetSLI{Good: `sum(ok{app="{{app}}"})`, Total: `sum(all{app="{{app}}"})`}
	top, errs := ptParseString(t, ptMinimal)
	if errs != nil {
		t.Fatal(errs)
	}
	top.Spec.Policy.ErrorBudget = ErrorBudgetPolicy{SLO: 0.99, Window: DefaultBudgetWindow, AutoApproveAbove: 50, ApprovalAbove: 25, SLI: sli}
	out, err := yaml.Marshal(top)
	if err != nil {
		t.Fatal(err)
	}
	back, errs := ptParseString(t, string(out))
	if errs != nil {
		t.Fatalf("parse the written topology: %v\n%s", errs, out)
	}
	if got := back.Spec.Policy.ErrorBudget.SLI; got == nil || *got != *sli {
		t.Fatalf("sli read back = %+v, want %+v", got, sli)
	}
}
