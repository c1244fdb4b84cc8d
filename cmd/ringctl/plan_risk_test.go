package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/rings"
)

// exposureTopology has traffic shares 20/40/40, a maxExposure of 50 % on
// early, and checkout's failure rate set to 0.5 %.
const exposureTopology = "testdata/exposure.yaml"

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
	if err == nil || !strings.Contains(err.Error(), "connection refused (leave out --server to plan offline)") || out.Len() != 0 {
		t.Fatalf("err = %v, output %q", err, out.String())
	}
}

func TestThousands(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 4320: "4,320", 1234567: "1,234,567"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}
