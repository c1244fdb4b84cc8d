package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/internal/golden"
	"github.com/ringleader-dev/ringleader/rings"
)

// compareGolden compares got with testdata/name, rewriting it with -update.
func compareGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", name), got)
}

// TestReleaseShowNamesTheFailingRegion: a two-region ring whose second
// region failed its checks shows, per region, the count, the check, its
// value and threshold; a rollback shows where its verification stands.
func TestReleaseShowNamesTheFailingRegion(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	ago := func(m int) time.Time { return now.Add(-time.Duration(m) * time.Minute) }
	bad := &rings.Observation{Region: "us-west-2", Check: "error-rate", Value: 0.5, Threshold: "<= 0.05", At: ago(3)}
	good := &rings.Observation{Region: "ap-northeast-1", Check: "error-rate", Value: 0.001, Threshold: "<= 0.05", Pass: true, At: ago(3)}
	d := &apiclient.ReleaseDetail{Release: &rings.Release{
		ID: "checkout-v2", App: "checkout", Version: "v2", PreviousVersion: "v1", State: rings.ReleaseRunning, Priority: "normal",
		CreatedAt: ago(90), CreatedBy: "alice",
		Rings: []rings.RingProgress{
			{Name: "canary", State: rings.RingRollingBack, FailedAt: ago(10),
				Reason: "region us-west-2 failed 3 consecutive checks (threshold 3); last: error-rate = 0.5, want <= 0.05",
				Regions: []rings.RegionProgress{
					{Name: "ap-northeast-1", Commit: "c1", PromotedAt: ago(60), Synced: true, Healthy: true, ObservedAt: ago(1), LastCheck: good,
						RollbackID: "rb", RollbackCommit: "c2", RolledBackAt: ago(9), RollbackVerifiedAt: ago(2)},
					{Name: "us-west-2", Commit: "c1", PromotedAt: ago(60), Synced: true, Healthy: false, ObservedAt: ago(1), Reason: "Degraded: CrashLoopBackOff",
						ConsecutiveFailures: 3, LastCheck: bad, RollbackID: "rb", RollbackCommit: "c2", RolledBackAt: ago(9)},
				}},
			{Name: "global", State: rings.RingPending, Regions: []rings.RegionProgress{{Name: "eu-west-1"}}},
		},
	}}
	var b bytes.Buffer
	if err := writeRelease(&b, d, now); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"3 failed: error-rate = 0.5, want <= 0.05", "rollback verified 2m0s ago", "verifying: Degraded"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("release show does not say %q:\n%s", want, b.String())
		}
	}
	compareGolden(t, "release-bad-region.golden", b.Bytes())
}

// TestStatusPutsAFailedRollbackFirst: a rollback that failed while its
// halt holds comes before everything else in ringctl status.
func TestStatusPutsAFailedRollbackFirst(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	st := &apiclient.Status{
		Attention: []apiclient.Attention{{ReleaseID: "checkout-v2", App: "checkout", Version: "v2", State: rings.ReleaseRollbackFailed,
			Regions: []string{"us-west-2"}, Halts: []string{"halt-auto-checkout-v2-canary-rollback-us-west-2"}, Since: now.Add(-5 * time.Minute),
			Reason: "rollback of checkout v2 in ring canary did not verify within 15m: us-west-2: not healthy (Degraded)"}},
		Leader: apiclient.LeaderInfo{ID: "n1", HTTPAddr: "127.0.0.1:7070", Term: 2},
	}
	var b bytes.Buffer
	if err := writeStatus(&b, st, now); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), "ATTENTION") {
		t.Errorf("status does not start with the failed rollback:\n%s", b.String())
	}
	compareGolden(t, "status-attention.golden", b.Bytes())
}
