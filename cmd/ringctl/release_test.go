package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/rings"
)

// releaseWithBaseline is a release whose baseline was read from Git:
// us-east-1 ran v1, eu-west-1's two files disagreed.
func releaseWithBaseline(t *testing.T) *rings.Release {
	t.Helper()
	at := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	return &rings.Release{
		ID: "checkout-v2", App: "checkout", Version: "v2", State: rings.ReleaseRunning, CreatedAt: at,
		PreviousVersions: map[string]string{"us-east-1": "v1"},
		PreviousTargets: map[string][]rings.TargetValue{"eu-west-1": {
			{File: "a.yaml", Target: "yamlPath image.tag", Value: "v1"},
			{File: "b.yaml", Target: "yamlPath image.tag", Value: "v0.9"},
		}},
		BaselineAt: at, BaselineCommit: "0123456789abcdef0123",
		Rings: []rings.RingProgress{
			{Name: "canary", State: rings.RingSyncing, Regions: []rings.RegionProgress{{Name: "us-east-1", Commit: "c1", PromotedAt: at}}},
			{Name: "early", State: rings.RingPending, Regions: []rings.RegionProgress{{Name: "eu-west-1"}}},
		},
	}
}

func TestReleaseShowsThePreviousVersionPerRegion(t *testing.T) {
	t.Parallel()
	rel := releaseWithBaseline(t)
	var table bytes.Buffer
	if err := writeRelease(&table, &apiclient.ReleaseDetail{Release: rel}, rel.CreatedAt); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(table.String(), "\n")
	row := func(region string) string {
		for _, l := range lines {
			if strings.Contains(l, " "+region+" ") {
				return l
			}
		}
		return ""
	}
	var js bytes.Buffer
	if err := renderRelease(&js, "json", &apiclient.ReleaseDetail{Release: rel, Previous: map[string]string{"eu-west-1": rel.DescribePrevious("eu-west-1")}}); err != nil {
		t.Fatal(err)
	}
	var back apiclient.ReleaseDetail
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		ok   bool
	}{
		{"the header says where the baseline comes from", strings.Contains(table.String(), "Baseline:  read from Git at 0123456789ab, 2026-11-24T10:00:00Z")},
		{"a region's own previous version", strings.Contains(row("us-east-1"), " v1 ")},
		{"a mixed region shows each target", strings.Contains(row("eu-west-1"), "mixed: a.yaml yamlPath image.tag=v1, b.yaml yamlPath image.tag=v0.9")},
		{"json carries the per-target values", back.Release != nil && len(back.PreviousTargets["eu-west-1"]) == 2 && back.PreviousTargets["eu-west-1"][1].Value == "v0.9"},
		{"json carries each region's version", back.Release != nil && back.PreviousVersions["us-east-1"] == "v1"},
		{"json carries the description", strings.HasPrefix(back.Previous["eu-west-1"], "mixed: a.yaml")},
	}
	for _, c := range cases {
		if !c.ok {
			t.Errorf("%s:\n%s\n%s", c.name, table.String(), js.String())
		}
	}
}

// release show says why a ring is stuck on Git: a transient failure with
// its attempt, or a rollback that needs a person.
func TestReleaseShowSaysRetryingAndNeedsAPerson(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	rel := &rings.Release{ID: "checkout-v2", App: "checkout", Version: "v2", State: rings.ReleaseRunning, CreatedAt: now, Rings: []rings.RingProgress{
		{Name: "canary", State: rings.RingFailed, Regions: []rings.RegionProgress{{Name: "us-east-1"}},
			RollbackFailure: &rings.RollbackFailure{Reason: "pre-receive hook declined"}},
		{Name: "early", State: rings.RingPending, Regions: []rings.RegionProgress{{Name: "eu-west-1"}},
			Retry: &rings.PromotionRetry{Attempt: 3, Error: "dial tcp: connection refused", NextAttemptAt: now.Add(4 * time.Second)}},
	}}
	var out bytes.Buffer
	if err := writeRelease(&out, &apiclient.ReleaseDetail{Release: rel}, now); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"retrying: dial tcp: connection refused (attempt 3); next attempt 2026-11-24T10:00:04Z",
		"rollback needs a person: pre-receive hook declined",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("release show lacks %q:\n%s", want, out.String())
		}
	}
}

// A release's risk is given at creation, shown with the tier it picks, and
// changed only by set-risk with a reason; bad scores change nothing.
func TestOnlineRiskIsSetAtCreationAndChangedBySetRisk(t *testing.T) {
	t.Parallel()
	server := onlineServer(t)
	high := "damage=8,reproducibility=7,exploitability=9,affected=10,discoverability=10"
	out, err := ringctl(t, server, "release", "create", "--app", "checkout", "--version", "v2", "--risk", high, "-o", "json")
	var rel apiclient.ReleaseDetail
	if err != nil || json.Unmarshal([]byte(out), &rel) != nil || rel.Risk == nil || rel.Risk.Tier != "high" {
		t.Fatalf("release create --risk: %v\n%s", err, out)
	}
	steps := []struct {
		name    string
		args    []string
		wantErr bool
		want    string
	}{
		{"show", []string{"release", "show", rel.ID}, false,
			"Risk:      44/50 (" + high + ")\nTier:      DREAD 44/50: tier high (scores 40–50): approval before every ring, soaks × 2\n"},
		{"create with a bad factor", []string{"release", "create", "--app", "checkout", "--version", "v3", "--risk", "damage=11"}, true, "release create: --risk \"damage=11\": reproducibility, exploitability, affected, discoverability missing"},
		{"set-risk needs a reason", []string{"release", "set-risk", rel.ID, "--risk", "none"}, true, "--risk and --reason are required"},
		{"set-risk with a factor out of range", []string{"release", "set-risk", rel.ID, "--risk", strings.Replace(high, "damage=8", "damage=0", 1), "--reason", "x"}, true, "risk damage is 0"},
		{"show again: nothing changed", []string{"release", "show", rel.ID}, false, "Risk:      44/50"},
		{"set-risk to low", []string{"release", "set-risk", rel.ID, "--risk", "damage=3,reproducibility=3,exploitability=3,affected=3,discoverability=3", "--reason", "config only"}, false,
			"Tier:      DREAD 15/50: tier low (scores 5–15): no approvals\n"},
		{"set-risk none clears it", []string{"release", "set-risk", rel.ID, "--risk", "none", "--reason", "scored by mistake"}, false, "Priority:  normal\nCreated:"},
		{"audit names score, tier and reason", []string{"audit", "--type", "release.set-risk"}, false,
			"release=" + rel.ID + " risk=15/50 damage=3,reproducibility=3,exploitability=3,affected=3,discoverability=3 riskTier=low"},
	}
	for _, s := range steps {
		out, err := ringctl(t, server, s.args...)
		if (err != nil) != s.wantErr {
			t.Fatalf("%s: err %v, want error %t\n%s", s.name, err, s.wantErr, out)
		}
		got := out
		if err != nil {
			got = err.Error()
		}
		if !strings.Contains(got, s.want) {
			t.Fatalf("%s: output lacks %q:\n%s", s.name, s.want, got)
		}
	}
}
