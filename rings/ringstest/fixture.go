package rings

import (
	"testing"
	"time"
)

// fxLoc loads a zone or fails the test.
func fxLoc(t testing.TB, name string) *time.Location {
	t.Helper()
	l, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return l
}

// fxTopology is the example topology (manifests/examples/rings.yaml) built as
// a literal, with a train and a second, window-less app, so the state machine
// and planner tests do not depend on the parser.
func fxTopology(t testing.TB) *Topology {
	t.Helper()
	region := func(name, tz string) Region {
		return Region{Name: name, Timezone: tz, Location: fxLoc(t, tz)}
	}
	use1 := region("us-east-1", "America/New_York")
	use1.ArgoCD = &ArgoCDSource{Server: "https://argocd.use1.example.com", Application: "{{app}}-{{region}}"}
	use1.Prometheus = &PrometheusSource{URL: "http://prometheus.use1.example.com:9090"}
	return &Topology{
		APIVersion: APIVersion,
		Kind:       KindTopology,
		Metadata:   Metadata{Name: "payments"},
		Spec: TopologySpec{
			GitOps: GitOps{Repo: "https://git.example.com/platform/deploy.git", Branch: "main"},
			Regions: []Region{
				use1,
				region("eu-west-1", "Europe/Dublin"),
				region("ap-northeast-1", "Asia/Tokyo"),
				region("us-west-2", "America/Los_Angeles"),
			},
			Rings: []Ring{
				{Name: "canary", Regions: []string{"us-east-1"}, Soak: Duration(4 * time.Hour), SyncTimeout: Duration(30 * time.Minute)},
				{Name: "early", Regions: []string{"eu-west-1"}, Soak: Duration(8 * time.Hour), Approval: "required", Windows: []string{"business-hours"}, SyncTimeout: Duration(30 * time.Minute)},
				{Name: "global", Regions: []string{"ap-northeast-1", "us-west-2"}, Soak: 0, Windows: []string{"business-hours"}, SyncTimeout: Duration(30 * time.Minute)},
			},
			Windows: []Window{{Name: "business-hours", Schedule: "0 9 * * MON-THU", Duration: Duration(7 * time.Hour), Timezone: TimezoneRegion}},
			Freezes: []Freeze{{Name: "year-end", Schedule: "0 0 20 12 *", Duration: Duration(336 * time.Hour), Timezone: "UTC", Allow: []string{PriorityP0, PrioritySecurity}}},
			Policy: Policy{
				OnFailure: OnFailureHaltLaterRings,
				Rollback:  RollbackPolicy{Mode: RollbackAutomatic, Verify: Duration(2 * time.Minute), Timeout: DefaultRollbackTimeout},
				Analysis:  Analysis{Interval: Duration(time.Minute), FailureThreshold: 5},
				ErrorBudget: ErrorBudgetPolicy{
					SLO: 0.999, Window: Duration(720 * time.Hour), AutoApproveAbove: 50, ApprovalAbove: 25,
					AllowWhenExhausted: []string{PriorityP0, PrioritySecurity, PriorityReliability},
				},
			},
			Apps: []App{
				{Name: "checkout", Targets: []Target{{File: "apps/checkout/{{region}}/values.yaml", YAMLPath: "image.tag"}}},
				{Name: "ledger", Targets: []Target{{File: "apps/ledger/overlays/{{region}}/kustomization.yaml", KustomizeImage: "registry.example.com/ledger"}}},
			},
			Trains: []Train{{Name: "tuesday", Apps: []string{"checkout"}, Schedule: "0 10 * * TUE", Timezone: "Europe/Dublin"}},
		},
	}
}

// fxT parses an RFC 3339 time or fails the test.
func fxT(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("parse %s: %v", s, err)
	}
	return v
}
