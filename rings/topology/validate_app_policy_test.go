package topology

import (
	"os"
	"strings"
	"testing"
)

// withAppPolicy is testdata/topology/good/minimal.yaml with policy, indented
// under app "web", inserted after its targets (line 24 is "policy:").
func withAppPolicy(t *testing.T, policy string) []byte {
	t.Helper()
	raw, err := os.ReadFile("testdata/topology/good/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	base := string(raw)
	head, tail, ok := strings.Cut(base, "  trains:\n")
	if !ok {
		t.Fatal("minimal.yaml has no trains")
	}
	var b strings.Builder
	b.WriteString(head)
	b.WriteString("      policy:\n")
	for _, l := range strings.Split(strings.TrimRight(policy, "\n"), "\n") {
		b.WriteString("        " + l + "\n")
	}
	b.WriteString("  trains:\n" + tail)
	return []byte(b.String())
}

// TestAppPolicyValidation checks every spec.apps[].policy field, bad and
// good: each bad case reports exactly its errors at FILE:LINE:COL.
func TestAppPolicyValidation(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, policy string
		want         []string // empty: the document is valid
	}{
		{"good-everything", `analysis: {interval: 30s, failureThreshold: 2, metrics: [{name: errors, max: 0.5}, {name: p99, query: 'histogram_quantile(0.99, x)', max: 0.3}]}
soak: {canary: 2h, main: 8h}
approval: {canary: required, main: none}
errorBudget: {slo: 0.9995, window: 14d, autoApproveAbove: 60, approvalAbove: 30, allowWhenExhausted: [P0], sli: {good: 'sum(ok{region="{{region}}"})', total: 'sum(all{region="{{region}}"})'}}
onFailure: halt-region
rollback: {mode: manual, verify: 5m, timeout: 30m}
webhooks:
  prePromotion: {url: "https://pay.example.com/pre", secretFile: payments-pre.secret}
  duringSoak: {url: "https://pay.example.com/soak", secretFile: payments_soak}
  postRing: {url: "http://pay.example.com/post", secretFile: payments-post}`, nil},
		{"good-rollback-scalar", `rollback: manual`, nil},
		{"good-empty", `{}`, nil},
		{"unknown-field", `sok: {canary: 2h}`, []string{`:25:9: unknown field "sok" in app policy; did you mean "soak"?`}},
		{"soak-unknown-ring", `soak: {canary: 2h, late: 8h}`, []string{`:25:28: unknown ring "late" in soak of app "web"; rings are canary or main`}},
		{"soak-not-duration", `soak: {canary: often}`, []string{`:25:24: soak values: invalid duration "often": use Go syntax such as 30s, 90m, 4h or days such as 14d`}},
		{"approval-unknown-ring", `approval: {cannery: required}`, []string{`:25:20: unknown ring "cannery" in approval of app "web"; rings are canary or main`}},
		{"approval-value", `approval: {main: maybe}`, []string{`:25:26: approval "maybe" of app "web" in ring "main" is not valid; use "required" or "none"`}},
		{"analysis-interval", `analysis: {interval: 0s}`, []string{`:25:30: analysis interval of app "web" must be greater than 0, such as "1m"`}},
		{"analysis-threshold", `analysis: {failureThreshold: 0}`, []string{`:25:38: failureThreshold of app "web" must be at least 1, not 0`}},
		{"metric-unknown", `analysis: {metrics: [{name: latency, max: 2}]}`, []string{`:25:37: metric "latency" of app "web" overrides no metric of spec.policy.analysis (it has errors); fix the name, or give it a query and a bound to add a metric`}},
		{"metric-new-no-bound", `analysis: {metrics: [{name: latency, query: 'x'}]}`, []string{`:25:30: metric "latency" of app "web" needs at least one of min, max or maxDegradation`}},
		{"metric-changes-nothing", `analysis: {metrics: [{name: errors}]}`, []string{`:25:30: metric "errors" of app "web" changes nothing of spec.policy's "errors"; give query, min, max or maxDegradation, or remove it`}},
		{"metric-min-above-inherited-max", `analysis: {metrics: [{name: errors, min: 3}]}`, []string{`:25:50: min 3 of metric "errors" of app "web" is above its max 1`}},
		{"metric-dup", `analysis: {metrics: [{name: errors, max: 2}, {name: errors, max: 3}]}`, []string{`:25:61: duplicate metric name "errors" (first defined at line 25); names must be unique`}},
		{"budget-slo", `errorBudget: {slo: 99.9}`, []string{`:25:28: slo of app "web" must be a fraction between 0 and 1 (exclusive) such as 0.999, not 99.9`}},
		{"budget-window", `errorBudget: {window: 0s}`, []string{`:25:31: errorBudget window of app "web" must be greater than 0, such as "720h"`}},
		{"budget-percent", `errorBudget: {autoApproveAbove: 150}`, []string{`:25:41: autoApproveAbove of app "web" must be a percentage between 0 and 100, not 150`}},
		{"budget-order-merged", `errorBudget: {approvalAbove: 70}`, []string{`:25:22: approvalAbove 70 of app "web" must not exceed its autoApproveAbove 50`}},
		{"budget-priority", `errorBudget: {allowWhenExhausted: [P1]}`, []string{`:25:44: unknown priority "P1" in errorBudget allowWhenExhausted of app "web"; use one of P0, security, reliability, normal`}},
		{"budget-sli-half", `errorBudget: {sli: {good: 'sum(ok)'}}`, []string{`:25:28: errorBudget sli needs total too: give both good and total`}},
		{"on-failure", `onFailure: stop`, []string{`:25:20: onFailure "stop" of app "web" is not valid; use "halt-later-rings" or "halt-region"`}},
		{"rollback-mode", `rollback: later`, []string{`:25:19: rollback "later" of app "web" is not valid; use "automatic" or "manual"`}},
		{"rollback-timeout", `rollback: {timeout: 0s}`, []string{`:25:29: rollback timeout of app "web" must be greater than 0, such as "15m": a rollback that never verifies must fail`}},
		{"rollback-merged", `rollback: {verify: 20m}`, []string{`:25:19: rollback timeout 15m0s of app "web" must be longer than its verify period 20m0s`}},
		{"webhook-no-url", `webhooks: {postRing: {secretFile: s}}`, []string{`:25:20: postRing webhook of app "web" needs a url, http:// or https:// with a host`}},
		{"webhook-credentials", `webhooks: {postRing: {url: "https://u:p@h.example.com/", secretFile: s}}`, []string{`:25:36: postRing webhook of app "web" url must not carry user info ("user:password@" or "user@"): the topology is shown to every viewer; remove it and let the receiver verify the signature made with secretFile`}},
		{"webhook-no-secret", `webhooks: {prePromotion: {url: "https://h.example.com/"}}`, []string{`:25:20: prePromotion webhook of app "web" needs a secretFile: the name of the file in ringd's --webhook-secret-dir that holds its HMAC secret`}},
		{"webhook-secret-path", `webhooks: {duringSoak: {url: "https://h.example.com/", secretFile: ../etc/passwd}}`, []string{`:25:76: secretFile "../etc/passwd" of duringSoak webhook of app "web" must be a plain file name (letters, digits, '.', '_', '-'), not a path: ringd reads it from its --webhook-secret-dir`}},
		{"webhook-unknown-event", `webhooks: {preSync: {url: "https://h.example.com/", secretFile: s}}`, []string{`:25:20: unknown field "preSync" in app policy.webhooks; known fields: prePromotion, duringSoak, postRing`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse(c.name+".yaml", withAppPolicy(t, c.policy))
			var got []string
			if err != nil {
				for _, e := range err.(ValidationErrors) {
					got = append(got, strings.TrimPrefix(e.Error(), c.name+".yaml"))
				}
			}
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("errors:\n got: %s\nwant: %s", strings.Join(got, "\n      "), strings.Join(c.want, "\n      "))
			}
		})
	}
}
