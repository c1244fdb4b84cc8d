package topology

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// ptBadCases pairs each file under testdata/topology/bad with every error
// Parse must report for it, exactly and in order. Each file is
// testdata/topology/good/minimal.yaml with one mistake (no-regions has two
// lists emptied, so two errors).
var ptBadCases = []struct {
	file string
	want []string
}{
	{"analysis-interval-zero", []string{`analysis-interval-zero.yaml:18:17: analysis interval must be greater than 0, such as "1m"`}},
	{"analysis-threshold-zero", []string{`analysis-threshold-zero.yaml:18:25: failureThreshold must be at least 1, not 0`}},
	{"api-version", []string{`api-version.yaml:1:13: apiVersion "ringleader.dev/v1" is not supported; use "ringleader.dev/v1alpha1"`}},
	{"argocd-server-credentials", []string{`argocd-server-credentials.yaml:7:70: argocd server of region "us-east-1" must not carry user info ("user:password@" or "user@"): the topology is shown to every viewer; remove it and give the token to ringd with --argocd-token-file`}},
	{"budget-sli-half", []string{`budget-sli-half.yaml:22:12: errorBudget sli needs total too: give both good and total`}},
	{"budget-sli-placeholder", []string{`budget-sli-placeholder.yaml:23:15: errorBudget sli good has an unknown placeholder {{version}}; use {{region}}, {{app}} or {{window}}`}},
	{"budget-sli-unquoted", []string{`budget-sli-unquoted.yaml:24:16: errorBudget sli total has {{region}} outside a quoted string; write it as a label value, e.g. region="{{region}}"`}},
	{"budget-slo-missing", []string{`budget-slo-missing.yaml:20:5: errorBudget needs an slo, a fraction such as 0.999`}},
	{"budget-slo-range", []string{`budget-slo-range.yaml:20:24: slo must be a fraction between 0 and 1 (exclusive) such as 0.999, not 99.9`}},
	{"budget-threshold-order", []string{`budget-threshold-order.yaml:20:68: approvalAbove 60 must not exceed autoApproveAbove 40`}},
	{"budget-threshold-range", []string{`budget-threshold-range.yaml:20:49: autoApproveAbove must be a percentage between 0 and 100, not 150`}},
	{"budget-unknown-priority", []string{`budget-unknown-priority.yaml:20:52: unknown priority "P1" in errorBudget allowWhenExhausted; use one of P0, security, reliability, normal`}},
	{"dup-app", []string{`dup-app.yaml:24:13: duplicate app name "web" (first defined at line 22); names must be unique`}},
	{"dup-freeze", []string{`dup-freeze.yaml:16:14: duplicate freeze name "year-end" (first defined at line 15); names must be unique`}},
	{"dup-key", []string{`dup-key.yaml:10:54: duplicate key "soak" in ring (first at line 10); remove one`}},
	{"dup-metric", []string{`dup-metric.yaml:20:18: duplicate metric name "errors" (first defined at line 19); names must be unique`}},
	{"dup-region", []string{`dup-region.yaml:9:14: duplicate region name "us-east-1" (first defined at line 7); names must be unique`}},
	{"dup-ring", []string{`dup-ring.yaml:11:14: duplicate ring name "canary" (first defined at line 10); names must be unique`}},
	{"dup-train", []string{`dup-train.yaml:26:14: duplicate train name "nightly" (first defined at line 25); names must be unique`}},
	{"dup-window", []string{`dup-window.yaml:14:14: duplicate window name "weekdays" (first defined at line 13); names must be unique`}},
	{"empty", []string{`empty.yaml:1:1: empty document: a topology needs apiVersion, kind, metadata and spec`}},
	{"freeze-region-timezone", []string{`freeze-region-timezone.yaml:15:74: freeze "year-end" cannot use timezone "region": it is one period for every region; use an IANA zone such as "UTC"`}},
	{"freeze-unknown-priority", []string{`freeze-unknown-priority.yaml:15:76: unknown priority "urgent" in freeze "year-end"; use one of P0, security, reliability, normal`}},
	{"gitops-no-repo", []string{`gitops-no-repo.yaml:5:3: gitops.repo is missing: the URL of the GitOps repository promotions are committed to`}},
	{"gitops-repo-credentials", []string{`gitops-repo-credentials.yaml:5:18: gitops.repo must not carry user info ("user:password@" or "user@"): the topology is shown to every viewer; remove it and give the credentials to ringd with --git-username and --git-password-file`}},
	{"gitops-repo-user", []string{`gitops-repo-user.yaml:5:18: gitops.repo must not carry user info ("user:password@" or "user@"): the topology is shown to every viewer; remove it and give the credentials to ringd with --git-username and --git-password-file`}},
	{"kind", []string{`kind.yaml:2:7: kind "Deployment" is not supported; use "Topology"`}},
	{"metric-min-above-max", []string{`metric-min-above-max.yaml:19:63: min 5 of metric "errors" is above its max 1`}},
	{"metric-no-bounds", []string{`metric-no-bounds.yaml:19:11: metric "errors" needs at least one of min, max or maxDegradation`}},
	{"metric-no-query", []string{`metric-no-query.yaml:19:11: metric "errors" needs a query (PromQL)`}},
	{"no-apps", []string{`no-apps.yaml:21:9: no apps: list at least one under spec.apps`}},
	{"no-regions", []string{
		`no-regions.yaml:6:12: no regions: list at least one under spec.regions`,
		`no-regions.yaml:7:10: no rings: list at least one under spec.rings; ring 0 goes first`,
	}},
	{"no-rings", []string{`no-rings.yaml:4:1: no rings: list at least one under spec.rings; ring 0 goes first`}},
	{"not-mapping", []string{`not-mapping.yaml:1:1: a topology must be a mapping with apiVersion, kind, metadata and spec, not a list`}},
	{"policy-on-failure", []string{`policy-on-failure.yaml:17:16: onFailure "stop" is not valid; use "halt-later-rings" or "halt-region"`}},
	{"rollback-mode-unknown", []string{`rollback-mode-unknown.yaml:17:22: rollback "later" is not valid; use "automatic" or "manual"`}},
	{"rollback-timeout-short", []string{`rollback-timeout-short.yaml:17:55: rollback timeout 5m0s must be longer than its verify period 10m0s`}},
	{"policy-rollback", []string{`policy-rollback.yaml:17:15: rollback "never" is not valid; use "automatic" or "manual"`}},
	{"prometheus-url-credentials", []string{`prometheus-url-credentials.yaml:8:68: prometheus url of region "eu-west-1" must not carry user info ("user:password@" or "user@"): the topology is shown to every viewer; remove it and reach it without credentials: ringd sends Prometheus none (Git and Argo CD take theirs from --git-password-file and --argocd-token-file)`}},
	{"region-bad-timezone", []string{`region-bad-timezone.yaml:7:35: unknown time zone "Mars/Olympus": use an IANA name such as "Europe/Dublin" or "UTC" (in region "us-east-1")`}},
	{"region-local-timezone", []string{`region-local-timezone.yaml:7:35: unknown time zone "Local": use an IANA name such as "Europe/Dublin" or "UTC" (in region "us-east-1")`}},
	{"region-no-ring", []string{`region-no-ring.yaml:9:14: region "ap-south-1" is in no ring; add it to exactly one ring`}},
	{"region-no-timezone", []string{`region-no-timezone.yaml:7:7: region "us-east-1" needs a timezone, an IANA name such as "Europe/Dublin" or "UTC"`}},
	{"region-twice-in-ring", []string{`region-twice-in-ring.yaml:10:43: region "us-east-1" is listed twice in ring "canary"`}},
	{"region-two-rings", []string{`region-two-rings.yaml:11:41: region "us-east-1" is already in ring "canary" (line 10); a region belongs to exactly one ring`}},
	{"ring-approval", []string{`ring-approval.yaml:10:64: approval "maybe" of ring "canary" is not valid; use "required" or "none"`}},
	{"ring-bad-name", []string{`ring-bad-name.yaml:10:14: ring name "Canary_1" is not valid: use lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters`}},
	{"ring-empty-name", []string{`ring-empty-name.yaml:10:14: ring needs a name`}},
	{"ring-no-regions", []string{`ring-no-regions.yaml:10:31: ring "canary" has no regions; list at least one`}},
	{"ring-no-soak", []string{`ring-no-soak.yaml:10:7: ring "canary" needs a soak duration such as "4h" (write "0s" for none)`}},
	{"ring-unknown-region", []string{`ring-unknown-region.yaml:11:41: unknown region "eu-west-9" in ring "main"; define it under spec.regions`}},
	{"ring-unknown-window", []string{`ring-unknown-window.yaml:11:62: unknown window "weekend" in ring "main"; define it under spec.windows`}},
	{"second-document", []string{`second-document.yaml:26:1: a second YAML document starts here; a topology file holds exactly one`}},
	{"syntax-tab", []string{`syntax-tab.yaml:12:1: invalid YAML: found character that cannot start any token`}},
	{"target-no-file", []string{`target-no-file.yaml:23:17: target of app "web" needs a file (a template over {{region}} and {{app}})`}},
	{"target-none", []string{`target-none.yaml:23:17: target of app "web" needs exactly one of yamlPath, kustomizeImage, applicationSetElement or containerImage; it has none`}},
	{"target-two", []string{`target-two.yaml:23:17: target of app "web" needs exactly one of yamlPath, kustomizeImage, applicationSetElement or containerImage; it has yamlPath and kustomizeImage`}},
	{"train-bad-cron", []string{`train-bad-cron.yaml:25:46: invalid cron schedule "0 25 * * *": end of range (25) above maximum (23): 25 (in train "nightly"); use five fields: minute hour day-of-month month day-of-week`}},
	{"train-bad-timezone", []string{`train-bad-timezone.yaml:25:69: unknown time zone "Nowhere/City": use an IANA name such as "Europe/Dublin" or "UTC" (in train "nightly")`}},
	{"train-unknown-app", []string{`train-unknown-app.yaml:25:35: unknown app "api" in train "nightly"; define it under spec.apps`}},
	{"type-failure-threshold", []string{`type-failure-threshold.yaml:18:25: failureThreshold must be a whole number, not "five"`}},
	{"type-regions-scalar", []string{`type-regions-scalar.yaml:10:31: regions must be a list, not "us-east-1"`}},
	{"type-soak-list", []string{`type-soak-list.yaml:10:50: soak must be a duration such as "4h" or "14d", not a list`}},
	{"unknown-field-deep", []string{`unknown-field-deep.yaml:19:66: unknown field "treshold" in metric; known fields: name, query, min, max, maxDegradation`}},
	{"unknown-field-elsewhere", []string{`unknown-field-elsewhere.yaml:7:53: unknown field "soak" in region; "soak" belongs in app policy or ring`}},
	{"unknown-field-typo", []string{`unknown-field-typo.yaml:10:44: unknown field "sok" in ring; did you mean "soak"?`}},
	{"window-bad-cron", []string{`window-bad-cron.yaml:13:34: invalid cron schedule "0 9 * *": expected exactly 5 fields, found 4: [0 9 * *] (in window "weekdays"); use five fields: minute hour day-of-month month day-of-week`}},
	{"window-bad-duration", []string{`window-bad-duration.yaml:13:63: duration: invalid duration "8 hours": use Go syntax such as 30s, 90m, 4h or days such as 14d`}},
	{"window-bad-timezone", []string{`window-bad-timezone.yaml:13:77: unknown time zone "Europe/Atlantis": use an IANA name such as "Europe/Dublin" or "UTC" (in window "weekdays")`}},
	{"window-cron-tz", []string{`window-cron-tz.yaml:13:34: schedule "CRON_TZ=Asia/Tokyo 0 9 * * *" of window "weekdays" carries a time zone; remove it and use the timezone field`}},
	{"window-zero-duration", []string{`window-zero-duration.yaml:13:63: duration of window "weekdays" must be greater than 0`}},
}

func TestParseBadInputs(t *testing.T) {
	t.Parallel()
	for _, tc := range ptBadCases {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			got := ptParseErrors(t, filepath.Join("testdata", "topology", "bad", tc.file+".yaml"))
			if !slices.Equal(got, tc.want) {
				t.Errorf("errors:\n got: %s\nwant: %s", strings.Join(got, "\n      "), strings.Join(tc.want, "\n      "))
			}
		})
	}
}

// TestParseBadInputsCovered keeps the table and the directory in step: a
// bad file without a case would only be fuzz seed, never asserted.
func TestParseBadInputsCovered(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("testdata", "topology", "bad", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, strings.TrimSuffix(filepath.Base(f), ".yaml"))
	}
	var cases []string
	for _, tc := range ptBadCases {
		cases = append(cases, tc.file)
	}
	slices.Sort(cases)
	if !slices.Equal(names, cases) {
		t.Errorf("bad files %v\ndo not match cases %v", names, cases)
	}
}

// ptParseErrors parses a file that must be rejected and returns its errors
// rendered as "file:line:col: message".
func ptParseErrors(t *testing.T, path string) []string {
	t.Helper()
	_, errs := ptParseFile(t, path)
	if errs == nil {
		t.Fatalf("Parse accepted %s, a bad document", path)
	}
	return errs
}

// TestParseURLCredentials parses ptMinimal with each repo, argocd server or
// prometheus url: the SSH forms of a Git address are accepted, any user
// info in an http(s) URL and any password are refused, and the refusal
// never repeats the secret.
func TestParseURLCredentials(t *testing.T) {
	t.Parallel()
	const repo = "https://git.example.com/deploy.git"
	const region = "{name: r1, timezone: UTC}"
	cases := []struct {
		name     string
		old, new string
		wantErr  bool
	}{
		{"https repo", "", "", false},
		{"ssh repo with git user", repo, "ssh://git@git.example.com/org/deploy.git", false},
		{"scp-style repo", repo, "git@git.example.com:org/deploy.git", false},
		{"ssh repo with password", repo, "ssh://git:s3cret@git.example.com/org/deploy.git", true},
		{"https repo with token", repo, "https://x:s3cret@git.example.com/deploy.git", true},
		{"https repo with bare user", repo, "https://s3cret@git.example.com/deploy.git", true},
		{"HTTPS scheme in capitals", repo, "HTTPS://x:s3cret@git.example.com/deploy.git", true},
		{"argocd server clean", region, "{name: r1, timezone: UTC, argocd: {server: 'https://argocd.example.com', application: web}}", false},
		{"argocd server with token", region, "{name: r1, timezone: UTC, argocd: {server: 'https://admin:s3cret@argocd.example.com', application: web}}", true},
		{"prometheus url clean", region, "{name: r1, timezone: UTC, prometheus: {url: 'http://prom:9090'}}", false},
		{"prometheus url with user", region, "{name: r1, timezone: UTC, prometheus: {url: 'http://s3cret@prom:9090'}}", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, errs := ptParseString(t, ptMinimalWith(tc.old, tc.new))
			joined := strings.Join(errs, "\n")
			switch {
			case tc.wantErr && !strings.Contains(joined, "must not carry user info"):
				t.Errorf("errors %q, want a user-info refusal", errs)
			case !tc.wantErr && errs != nil:
				t.Errorf("errors %q, want none", errs)
			case strings.Contains(joined, "s3cret"):
				t.Errorf("error repeats the secret: %q", errs)
			}
		})
	}
}
