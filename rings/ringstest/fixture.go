package ringstest

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/rings/topology"
)

// Loc loads a zone or fails the test.
func Loc(t testing.TB, name string) *time.Location {
	t.Helper()
	l, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return l
}

// Must returns a check that fails tb at once when a transition called
// directly (not as a Step) returns an error: must := ringstest.Must(t).
func Must(tb testing.TB) func(error) {
	return func(err error) {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
	}
}

// Topology is the example topology (manifests/examples/rings.yaml) built as
// a literal, with a train and a second, window-less app, so the state machine
// and planner tests do not depend on the parser.
func Topology(t testing.TB) *topology.Topology {
	t.Helper()
	region := func(name, tz string) topology.Region {
		return topology.Region{Name: name, Timezone: tz, Location: Loc(t, tz)}
	}
	use1 := region("us-east-1", "America/New_York")
	use1.ArgoCD = &topology.ArgoCDSource{Server: "https://argocd.use1.example.com", Application: "{{app}}-{{region}}"}
	use1.Prometheus = &topology.PrometheusSource{URL: "http://prometheus.use1.example.com:9090"}
	return &topology.Topology{
		APIVersion: topology.APIVersion,
		Kind:       topology.KindTopology,
		Metadata:   topology.Metadata{Name: "payments"},
		Spec: topology.TopologySpec{
			GitOps: topology.GitOps{Repo: "https://git.example.com/platform/deploy.git", Branch: "main"},
			Regions: []topology.Region{
				use1,
				region("eu-west-1", "Europe/Dublin"),
				region("ap-northeast-1", "Asia/Tokyo"),
				region("us-west-2", "America/Los_Angeles"),
			},
			Rings: []topology.Ring{
				{Name: "canary", Regions: []string{"us-east-1"}, Soak: topology.Duration(4 * time.Hour), SyncTimeout: topology.Duration(30 * time.Minute)},
				{Name: "early", Regions: []string{"eu-west-1"}, Soak: topology.Duration(8 * time.Hour), Approval: "required", Windows: []string{"business-hours"}, SyncTimeout: topology.Duration(30 * time.Minute)},
				{Name: "global", Regions: []string{"ap-northeast-1", "us-west-2"}, Soak: 0, Windows: []string{"business-hours"}, SyncTimeout: topology.Duration(30 * time.Minute)},
			},
			Windows: []topology.Window{{Name: "business-hours", Schedule: "0 9 * * MON-THU", Duration: topology.Duration(7 * time.Hour), Timezone: topology.TimezoneRegion}},
			Freezes: []topology.Freeze{{Name: "year-end", Schedule: "0 0 20 12 *", Duration: topology.Duration(336 * time.Hour), Timezone: "UTC", Allow: []string{topology.PriorityP0, topology.PrioritySecurity}}},
			Policy: topology.Policy{
				OnFailure: topology.OnFailureHaltLaterRings,
				Rollback:  topology.RollbackPolicy{Mode: topology.RollbackAutomatic, Verify: topology.Duration(2 * time.Minute), Timeout: topology.DefaultRollbackTimeout},
				Analysis:  topology.Analysis{Interval: topology.Duration(time.Minute), FailureThreshold: 5},
				ErrorBudget: topology.ErrorBudgetPolicy{
					SLO: 0.999, Window: topology.Duration(720 * time.Hour), AutoApproveAbove: 50, ApprovalAbove: 25,
					AllowWhenExhausted: []string{topology.PriorityP0, topology.PrioritySecurity, topology.PriorityReliability},
				},
			},
			Apps: []topology.App{
				{Name: "checkout", Targets: []topology.Target{{File: "apps/checkout/{{region}}/values.yaml", YAMLPath: "image.tag"}}},
				{Name: "ledger", Targets: []topology.Target{{File: "apps/ledger/overlays/{{region}}/kustomization.yaml", KustomizeImage: "registry.example.com/ledger"}}},
			},
			Trains: []topology.Train{{Name: "tuesday", Apps: []string{"checkout"}, Schedule: "0 10 * * TUE", Timezone: "Europe/Dublin"}},
		},
	}
}

// ParseFile reads and validates the topology file at path (relative to the
// test's package directory), failing the test with the file's located
// errors when it does not parse.
func ParseFile(t testing.TB, path string) *topology.Topology {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read the topology: %v", err)
	}
	top, err := topology.Parse(path, src)
	if err != nil {
		t.Fatalf("parse the topology: %v", err)
	}
	return top
}

// Time parses an RFC 3339 time or fails the test.
func Time(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("parse %s: %v", s, err)
	}
	return v
}

// JSON renders v as JSON or fails the test: two renderings compare a state
// before and after a refused transition.
func JSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
