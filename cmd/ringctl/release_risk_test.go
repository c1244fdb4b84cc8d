package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// TestReleaseShowExposureGolden: a release of checkout whose canary (20 %
// of its traffic) is promoted shows 20 % now, 20 → 60 → 100 % after each
// ring with early's maxExposure, and its cost with a measured history and
// budgets, as text and JSON.
func TestReleaseShowExposureGolden(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile(exposureTopology)
	if err != nil {
		t.Fatal(err)
	}
	top, err := topology.Parse(exposureTopology, src)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	rel := &rings.Release{ID: "checkout-v2", App: "checkout", Version: "v2", PreviousVersion: "v1", State: rings.ReleaseRunning, CreatedAt: at, CreatedBy: "alice",
		Rings: []rings.RingProgress{
			{Name: "canary", State: rings.RingSoaking, Regions: []rings.RegionProgress{{Name: "us-east-1", Commit: "c1", PromotedAt: at, Synced: true, Healthy: true, ObservedAt: at}}},
			{Name: "early", State: rings.RingPending, Regions: []rings.RegionProgress{{Name: "eu-west-1"}}},
			{Name: "global", State: rings.RingPending, Regions: []rings.RegionProgress{{Name: "ap-northeast-1"}}},
		}}
	data, err := fakeRisk(context.Background(), "checkout")
	if err != nil {
		t.Fatal(err)
	}
	out := releaseShowOutput{ReleaseDetail: &apiclient.ReleaseDetail{Release: rel}}
	addReleaseRisk(&out, top, data)
	if out.Exposure.Now != 0.2 {
		t.Fatalf("exposure now %v, want 0.2", out.Exposure.Now)
	}
	var table, js bytes.Buffer
	if err := writeReleaseShow(&table, out, at.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	compareGolden(t, "release-exposure.table.golden", table.Bytes())
	if err := render(&js, "json", out, nil); err != nil {
		t.Fatal(err)
	}
	compareGolden(t, "release-exposure.json.golden", js.Bytes())
}

func TestReleaseShowSaysWhyTheCostIsUnknown(t *testing.T) {
	t.Parallel()
	out := releaseShowOutput{ReleaseDetail: &apiclient.ReleaseDetail{Release: &rings.Release{ID: "r1", App: "web", Version: "2"}},
		RiskError: "read the history of web: 403 Forbidden"}
	var b bytes.Buffer
	if err := writeReleaseShow(&b, out, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if want := "\nExposure and error-budget cost unknown: read the history of web: 403 Forbidden\n"; !bytes.HasSuffix(b.Bytes(), []byte(want)) {
		t.Fatalf("output does not end with %q:\n%s", want, b.String())
	}
}

// TestRiskAgainstARealNode: release show and plan --risk --server read the
// app's history from a real node: one aborted release of checkout is one
// finished release that did not fail, so the rate is the floor.
func TestRiskAgainstARealNode(t *testing.T) {
	server := onlineServer(t)
	t.Setenv("RINGLEADER_ACTOR", "erin")
	out, err := ringctl(t, server, "release", "create", "--app", "checkout", "--version", "v1", "-o", "json")
	var rel apiclient.ReleaseDetail
	if err != nil || json.Unmarshal([]byte(out), &rel) != nil {
		t.Fatalf("release create: %v\n%s", err, out)
	}
	steps := []struct {
		name string
		args []string
		want []string
	}{
		{"show", []string{"release", "show", rel.ID}, []string{
			"Exposure:  0 % of checkout's traffic runs v1 now; after each ring: canary 25 % → early 50 % → global 100 %",
			"Failure rate: 1 % (the floor: 0 of 0 finished releases failed or were rolled back)"}},
		{"abort", []string{"release", "abort", rel.ID, "--reason", "bad build"}, []string{"State:     aborted"}},
		{"plan", []string{"plan", "-f", exampleTopology, "--app", "checkout", "--version", "v2", "--from", "2026-12-04T15:00:00Z", "--risk"}, []string{
			"Failure rate: 1 % (the floor: 0 of 1 finished releases failed or were rolled back)"}},
		{"plan json", []string{"plan", "-f", exampleTopology, "--app", "checkout", "--version", "v2", "--from", "2026-12-04T15:00:00Z", "--risk", "-o", "json"}, []string{
			`"finished": 1`, `"source": "floor"`}},
	}
	for _, s := range steps {
		out, err := ringctl(t, server, s.args...)
		for _, w := range s.want {
			if err != nil || !bytes.Contains([]byte(out), []byte(w)) {
				t.Fatalf("%s: err %v, output lacks %q:\n%s", s.name, err, w, out)
			}
		}
	}
}

// fakeRisk is a server that saw 3 of ledger's 20 releases fail, and
// measured ledger's budget in us-east-1 (90 % left) and eu-west-1 (10 %).
func fakeRisk(_ context.Context, app string) (riskData, error) {
	return riskData{
		online:  true,
		history: rings.ReleaseHistory{Finished: 20, Failed: 3},
		budgets: map[string]rings.Budget{
			rings.BudgetKey(app, "us-east-1"): {App: app, Region: "us-east-1", RemainingSeconds: 2332.8, RemainingPercent: 90},
			rings.BudgetKey(app, "eu-west-1"): {App: app, Region: "eu-west-1", RemainingSeconds: 259.2, RemainingPercent: 10},
		},
	}, nil
}

func TestPlanRiskServerError(t *testing.T) {
	t.Parallel()
	f := &planFlags{file: exposureTopology, app: "checkout", version: "2.0", from: "2026-12-07T09:00:00Z", risk: true,
		fetch: func(context.Context, string) (riskData, error) { return riskData{}, errors.New("connection refused") }}
	var out bytes.Buffer
	err := runPlan(&out, "table", f, time.Time{})
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("connection refused (leave out --server to plan offline)")) || out.Len() != 0 {
		t.Fatalf("err = %v, output %q", err, out.String())
	}
}
