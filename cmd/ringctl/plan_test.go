package main

import (
	"bytes"
	"cmp"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/internal/golden"
)

const exampleTopology = "../../manifests/examples/rings.yaml"

func TestPlanGolden(t *testing.T) {
	t.Parallel()
	cases := []struct {
		golden, output, from, priority string
		file, app                      string // default: the example topology, checkout
		risk                           bool
		fetch                          riskFetcher
		dread                          string
	}{
		{golden: "plan-friday.table.golden", output: "table", from: "2026-12-04T15:00:00Z", priority: "normal"},
		{golden: "plan-friday.json.golden", output: "json", from: "2026-12-04T15:00:00Z", priority: "normal"},
		{golden: "plan-year-end.table.golden", output: "table", from: "2026-12-18T15:00:00Z", priority: "normal"},
		{golden: "plan-year-end-p0.table.golden", output: "table", from: "2026-12-18T15:00:00Z", priority: "P0"},
		// The error-budget cost (plan_risk.go): offline with the floor,
		// offline with the app's override, online with a history and
		// measured budgets, and an app that overrides the traffic shares.
		{golden: "plan-risk-floor.table.golden", output: "table", from: "2026-12-04T15:00:00Z", priority: "normal", risk: true},
		{golden: "plan-risk-override.table.golden", output: "table", from: "2026-12-07T09:00:00Z", priority: "normal", file: exposureTopology, risk: true},
		{golden: "plan-risk-override.json.golden", output: "json", from: "2026-12-07T09:00:00Z", priority: "normal", file: exposureTopology, risk: true},
		{golden: "plan-risk-online.table.golden", output: "table", from: "2026-12-07T09:00:00Z", priority: "normal", file: exposureTopology, app: "ledger", risk: true, fetch: fakeRisk},
		{golden: "plan-risk-online.json.golden", output: "json", from: "2026-12-07T09:00:00Z", priority: "normal", file: exposureTopology, app: "ledger", risk: true, fetch: fakeRisk},
		// A DREAD score picks a risk tier of the example: high approves
		// every ring and doubles the soaks, low drops early's approval.
		{golden: "plan-tier-high.table.golden", output: "table", from: "2026-12-04T15:00:00Z", priority: "normal", dread: "damage=8,reproducibility=7,exploitability=9,affected=10,discoverability=10"},
		{golden: "plan-tier-high.json.golden", output: "json", from: "2026-12-04T15:00:00Z", priority: "normal", dread: "damage=8,reproducibility=7,exploitability=9,affected=10,discoverability=10"},
		{golden: "plan-tier-low.table.golden", output: "table", from: "2026-12-04T15:00:00Z", priority: "normal", dread: "damage=3,reproducibility=3,exploitability=3,affected=3,discoverability=3"},
		// A high tier doubles the soaks, so each ring is at risk longer.
		{golden: "plan-tier-high-risk.table.golden", output: "table", from: "2026-12-04T15:00:00Z", priority: "normal", risk: true, dread: "damage=8,reproducibility=7,exploitability=9,affected=10,discoverability=10"},
	}
	for _, tc := range cases {
		t.Run(tc.golden, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			f := &planFlags{file: cmp.Or(tc.file, exampleTopology), app: cmp.Or(tc.app, "checkout"), version: "2.0", from: tc.from, priority: tc.priority, risk: tc.risk, fetch: tc.fetch, dread: tc.dread}
			if err := runPlan(&out, tc.output, f, time.Time{}); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", tc.golden), out.Bytes())
		})
	}
}

func TestPlanDefaultsFromToNow(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	f := &planFlags{file: exampleTopology, app: "checkout", version: "2.0", priority: "normal"}
	if err := runPlan(&out, "table", f, time.Date(2026, 12, 4, 15, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	if first, _, _ := strings.Cut(out.String(), "\n"); first != "checkout 2.0 from 2026-12-04T15:00:00Z" {
		t.Fatalf("first line %q", first)
	}
}

func TestPlanErrors(t *testing.T) {
	t.Parallel()
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("apiVersion: ringleader.dev/v1alpha1\nkind: Topology\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ok := planFlags{file: exampleTopology, app: "checkout", version: "2.0", from: "2026-12-04T15:00:00Z"}
	cases := []struct {
		name   string
		mutate func(f *planFlags)
		output string
		want   string
	}{
		{"missing file flag", func(f *planFlags) { f.file = "" }, "table", "-f is required"},
		{"missing app", func(f *planFlags) { f.app = "" }, "table", "--app is required"},
		{"missing version", func(f *planFlags) { f.version = "" }, "table", "--version is required"},
		{"bad from", func(f *planFlags) { f.from = "friday" }, "table", "not an RFC 3339 time"},
		{"unreadable file", func(f *planFlags) { f.file = "does-not-exist.yaml" }, "table", "read topology"},
		{"invalid topology", func(f *planFlags) { f.file = bad }, "table", "bad.yaml:"},
		{"unknown app", func(f *planFlags) { f.app = "nope" }, "table", `app "nope" is not in the topology`},
		{"unknown output", func(*planFlags) {}, "xml", `unknown output format "xml"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := ok
			tc.mutate(&f)
			var out bytes.Buffer
			err := runPlan(&out, tc.output, &f, time.Time{})
			if err == nil || !strings.Contains(err.Error(), tc.want) || out.Len() != 0 {
				t.Fatalf("err = %v (want it to mention %q), output %q", err, tc.want, out.String())
			}
		})
	}
}

func TestPlanCommandRegistered(t *testing.T) {
	t.Parallel()
	root := newRoot()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetArgs([]string{"plan", "-f", exampleTopology, "--app", "checkout", "--version", "2.0", "--from", "2026-12-04T15:00:00Z", "-o", "json"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"soakedAt": "2026-12-08T00:00:00Z"`) {
		t.Fatalf("json output lacks global's soakedAt:\n%s", out.String())
	}
}
