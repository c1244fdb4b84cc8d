package argocd

import (
	"context"
	"errors"
	"testing"

	"github.com/argoproj/argo-cd/v2/pkg/apis/application/v1alpha1"
	"github.com/argoproj/gitops-engine/pkg/health"
	synccommon "github.com/argoproj/gitops-engine/pkg/sync/common"
)

// TestEvaluate covers the corners of Evaluate the HTTP table does not:
// multi-source Applications, ancestry that cannot be checked, and statuses
// Argo CD reports rarely.
func TestEvaluate(t *testing.T) {
	t.Parallel()
	gitDown := func(context.Context, string, string) (bool, error) {
		return false, errors.New("fetch: connection refused")
	}
	app := func(status v1alpha1.ApplicationStatus) *v1alpha1.Application {
		return &v1alpha1.Application{Status: status}
	}
	synced := func(rev string, h health.HealthStatusCode, msg string) v1alpha1.ApplicationStatus {
		return v1alpha1.ApplicationStatus{
			Sync:   v1alpha1.SyncStatus{Status: v1alpha1.SyncStatusCodeSynced, Revision: rev},
			Health: v1alpha1.HealthStatus{Status: h, Message: msg},
		}
	}
	withOp := func(st v1alpha1.ApplicationStatus, phase synccommon.OperationPhase, rev string) v1alpha1.ApplicationStatus {
		st.OperationState = &v1alpha1.OperationState{Phase: phase, Operation: v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{Revision: rev}}}
		return st
	}
	cases := []struct {
		name       string
		app        *v1alpha1.Application
		commit     string
		isAncestor AncestorFunc
		want       Verdict
	}{
		{"no application", nil, c1, fakeAncestry, Verdict{Reason: "argocd: no application to judge"}},
		{"no promoted commit", app(synced(c1, health.HealthStatusHealthy, "")), " ", fakeAncestry,
			Verdict{Reason: "no promoted commit recorded for the region: cannot tell whether Argo CD runs it"}},
		{"upper-case SHA from Argo CD", app(synced(c1[:20]+"1B1B1B1B1B1B1B1B1B1B", health.HealthStatusHealthy, "")), c1, nil, Verdict{Synced: true, Healthy: true}},
		{"descendant without an ancestry check", app(synced(c2, health.HealthStatusHealthy, "")), c1, nil,
			Verdict{Healthy: true, Reason: "synced at an older commit 2c2c2c2c2c2c, not at 1b1b1b1b1b1b or a commit after it"}},
		{"ancestry check fails", app(synced(c2, health.HealthStatusHealthy, "")), c1, gitDown,
			Verdict{Healthy: true, Reason: "cannot tell whether 2c2c2c2c2c2c contains the promoted commit 1b1b1b1b1b1b: git ancestry of 2c2c2c2c2c2c: fetch: connection refused"}},
		{"multi-source revisions", app(v1alpha1.ApplicationStatus{
			Sync:   v1alpha1.SyncStatus{Status: v1alpha1.SyncStatusCodeSynced, Revisions: []string{"1.4.2", c2}},
			Health: v1alpha1.HealthStatus{Status: health.HealthStatusHealthy},
		}), c1, fakeAncestry, Verdict{Synced: true, Healthy: true}},
		{"revision only in the sync result", app(v1alpha1.ApplicationStatus{
			Sync:           v1alpha1.SyncStatus{Status: v1alpha1.SyncStatusCodeSynced},
			Health:         v1alpha1.HealthStatus{Status: health.HealthStatusHealthy},
			OperationState: &v1alpha1.OperationState{Phase: synccommon.OperationSucceeded, SyncResult: &v1alpha1.SyncOperationResult{Revision: c1}},
		}), c1, fakeAncestry, Verdict{Synced: true, Healthy: true}},
		{"post-sync hooks still running", app(withOp(synced(c1, health.HealthStatusHealthy, ""), synccommon.OperationRunning, c1)), c1, fakeAncestry,
			Verdict{Healthy: true, Reason: "Progressing: sync operation Running at 1b1b1b1b1b1b", InProgress: true}},
		{"degraded while the promoted commit is being applied", app(withOp(v1alpha1.ApplicationStatus{
			Sync:   v1alpha1.SyncStatus{Status: v1alpha1.SyncStatusCodeOutOfSync, Revision: c1},
			Health: v1alpha1.HealthStatus{Status: health.HealthStatusDegraded, Message: "CrashLoopBackOff"},
		}, synccommon.OperationRunning, c2)), c1, fakeAncestry,
			Verdict{Reason: "Degraded at 2c2c2c2c2c2c: CrashLoopBackOff"}},
		{"failed operation with no revision", app(withOp(synced(c1, health.HealthStatusHealthy, ""), synccommon.OperationFailed, "")), c1, fakeAncestry,
			Verdict{Reason: "sync failed: operation Failed at an unknown revision; counted as Degraded"}},
		{"comparison error", app(v1alpha1.ApplicationStatus{
			Sync:       v1alpha1.SyncStatus{Status: v1alpha1.SyncStatusCodeUnknown, Revision: c1},
			Health:     v1alpha1.HealthStatus{Status: health.HealthStatusHealthy},
			Conditions: []v1alpha1.ApplicationCondition{{Type: v1alpha1.ApplicationConditionComparisonError, Message: "kustomize build failed"}, {Type: "SharedResourceWarning", Message: "x"}},
		}), c1, fakeAncestry, Verdict{Healthy: true, Reason: "Unknown at 1b1b1b1b1b1b; ComparisonError: kustomize build failed"}},
		{"nothing reported yet", app(v1alpha1.ApplicationStatus{}), c1, fakeAncestry,
			Verdict{Reason: "sync status unknown at an unknown revision; no health status yet"}},
		{"missing resources", app(synced(c1, health.HealthStatusMissing, "")), c1, fakeAncestry, Verdict{Synced: true, Reason: "health Missing"}},
		{"free text cannot fail the ring", app(synced(c1, health.HealthStatusProgressing, "ReplicaSet Degraded  for\nnow")), c1, fakeAncestry,
			Verdict{Synced: true, Reason: "Progressing: ReplicaSet degraded for now", InProgress: true}},
		// In progress, or not: a region is on its way only when what it
		// runs or applies is the promoted commit (or later) and nothing
		// says it failed.
		{"rollout paused between canary steps", app(synced(c1, health.HealthStatusSuspended, "Rollout is paused")), c1, fakeAncestry,
			Verdict{Synced: true, Reason: "Suspended: Rollout is paused", InProgress: true}},
		{"rollout paused at a later commit", app(synced(c2, health.HealthStatusSuspended, "")), c1, fakeAncestry,
			Verdict{Synced: true, Reason: "Suspended", InProgress: true}},
		{"older version paused", app(v1alpha1.ApplicationStatus{
			Sync:   v1alpha1.SyncStatus{Status: v1alpha1.SyncStatusCodeOutOfSync, Revision: c0},
			Health: v1alpha1.HealthStatus{Status: health.HealthStatusSuspended, Message: "Rollout is paused"},
		}), c1, fakeAncestry, Verdict{Reason: "OutOfSync at 0a0a0a0a0a0a; health Suspended: Rollout is paused"}},
		{"older version progressing", app(synced(c0, health.HealthStatusProgressing, "")), c1, fakeAncestry,
			Verdict{Reason: "synced at an older commit 0a0a0a0a0a0a, not at 1b1b1b1b1b1b or a commit after it; Progressing"}},
		{"sync running at the promoted commit", app(withOp(v1alpha1.ApplicationStatus{
			Sync:   v1alpha1.SyncStatus{Status: v1alpha1.SyncStatusCodeOutOfSync, Revision: c1},
			Health: v1alpha1.HealthStatus{Status: health.HealthStatusProgressing},
		}, synccommon.OperationRunning, c1)), c1, fakeAncestry,
			Verdict{Reason: "OutOfSync at 1b1b1b1b1b1b; sync operation Running at 1b1b1b1b1b1b; Progressing", InProgress: true}},
		{"sync running at an older commit", app(withOp(v1alpha1.ApplicationStatus{
			Sync:   v1alpha1.SyncStatus{Status: v1alpha1.SyncStatusCodeOutOfSync, Revision: c1},
			Health: v1alpha1.HealthStatus{Status: health.HealthStatusHealthy},
		}, synccommon.OperationRunning, c0)), c1, fakeAncestry,
			Verdict{Healthy: true, Reason: "OutOfSync at 1b1b1b1b1b1b; sync operation Running at 0a0a0a0a0a0a"}},
		{"sync being terminated", app(withOp(synced(c1, health.HealthStatusHealthy, ""), synccommon.OperationTerminating, c1)), c1, fakeAncestry,
			Verdict{Healthy: true, Reason: "Progressing: sync operation Terminating at 1b1b1b1b1b1b", InProgress: true}},
		{"degraded is not progress", app(synced(c1, health.HealthStatusDegraded, "Rollout aborted")), c1, fakeAncestry,
			Verdict{Synced: true, Reason: "Degraded at 1b1b1b1b1b1b: Rollout aborted"}},
		{"unknown health is not progress", app(synced(c1, health.HealthStatusUnknown, "")), c1, fakeAncestry,
			Verdict{Synced: true, Reason: "health Unknown"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := Evaluate(context.Background(), tc.app, tc.commit, tc.isAncestor); got != tc.want {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// TestEvaluateAsksGitOncePerRevision: the sync and the operation revision
// are the same commit; Git is asked once.
func TestEvaluateAsksGitOncePerRevision(t *testing.T) {
	t.Parallel()
	calls := 0
	count := func(ctx context.Context, a, d string) (bool, error) { calls++; return fakeAncestry(ctx, a, d) }
	app := &v1alpha1.Application{Status: v1alpha1.ApplicationStatus{
		Sync:           v1alpha1.SyncStatus{Status: v1alpha1.SyncStatusCodeSynced, Revision: c2},
		Health:         v1alpha1.HealthStatus{Status: health.HealthStatusHealthy},
		OperationState: &v1alpha1.OperationState{Phase: synccommon.OperationSucceeded, SyncResult: &v1alpha1.SyncOperationResult{Revision: c2}},
	}}
	Evaluate(context.Background(), app, c1, count)
	if calls != 1 {
		t.Errorf("IsAncestor called %d times, want 1", calls)
	}
}
