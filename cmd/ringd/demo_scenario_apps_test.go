package main

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/ringleader-dev/ringleader/internal/demo"
	"github.com/ringleader-dev/ringleader/internal/ringdtest"
	"github.com/ringleader-dev/ringleader/rings"
)

// checkTwoApps: under the same 5xx ratio in us-east-1, ledger's canary
// failed its stricter analysis and was rolled back (its later rings never
// started, us-east-1 runs its initial version again), checkout's canary
// passed and its release completed; `ringctl release show` of each shows
// its own policy and exposure.
func checkTwoApps(t *testing.T, r scenarioRun) {
	ledger := r.releaseOfApp(t, demo.LedgerApp, demo.LedgerVersion)
	if ledger.State != rings.ReleaseRolledBack {
		t.Errorf("ledger release is %s, want rolled-back", ledger.State)
	}
	ringStates(t, ledger, map[string]rings.RingState{"canary": rings.RingRolledBack, "early": rings.RingPending, "global": rings.RingPending})
	file := "main:apps/ledger/overlays/us-east-1/kustomization.yaml"
	if got, err := demo.RunGit(r.bare, "show", file); err != nil || !strings.Contains(got, demo.InitialVersions[demo.LedgerApp]) {
		t.Errorf("%s = %q (%v), want %s back", file, got, err, demo.InitialVersions[demo.LedgerApp])
	}
	checkout := r.releaseOf(t, demo.FirstVersion)
	if checkout.State != rings.ReleaseCompleted {
		t.Errorf("checkout release is %s, want completed", checkout.State)
	}
	ringStates(t, checkout, map[string]rings.RingState{"canary": rings.RingDone, "early": rings.RingDone, "global": rings.RingDone})

	// The demo runs with --soak-scale 0.5 (launchDemo): canary soaks 10s,
	// ledger's three times as long.
	for _, tc := range []struct {
		rel       *rings.Release
		want, not []string
	}{
		{checkout, []string{"POLICY OF THE APP", "success-rate min 99\n", "canary 10s, early 15s, global 5s",
			"after each ring: canary 10 % → early 30 % → global 100 %"}, []string{"*"}},
		{ledger, []string{"POLICY OF THE APP", "success-rate min 99.3*", "canary 30s*, early 15s, global 5s",
			"after each ring: canary 5 % → early 20 % → global 100 %"}, nil},
	} {
		out := r.ringctl(t, "release", "show", tc.rel.ID)
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("release show of %s (%s) lacks %q:\n%s", tc.rel.ID, tc.rel.App, w, out)
			}
		}
		_, policy, _ := strings.Cut(out, "POLICY OF THE APP")
		policy, _, _ = strings.Cut(policy, "\n\n")
		for _, n := range tc.not {
			if strings.Contains(policy, n) {
				t.Errorf("release show of %s (%s): its policy has %q, which it must not:\n%s", tc.rel.ID, tc.rel.App, n, out)
			}
		}
	}
}

// ringctl runs ringctl against the demo's node and returns what it printed.
func (r scenarioRun) ringctl(t *testing.T, args ...string) string {
	t.Helper()
	bins, err := ringdtest.Build("ringctl")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bins[0], append([]string{"--server", r.p.field(t, "Dashboard")}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("ringctl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
