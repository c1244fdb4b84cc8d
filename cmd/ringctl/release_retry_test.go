package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/rings"
)

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
