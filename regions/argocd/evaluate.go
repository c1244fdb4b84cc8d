package argocd

import (
	"context"
	"fmt"
	"strings"

	"github.com/argoproj/argo-cd/v2/pkg/apis/application/v1alpha1"
	"github.com/argoproj/gitops-engine/pkg/health"
	synccommon "github.com/argoproj/gitops-engine/pkg/sync/common"
)

// Reason prefixes the coordinator relies on.
const (
	// ReasonDegraded starts the reason of a region whose Application runs
	// the promoted commit (or a later one) and reports Degraded health. The
	// planner fails the ring at once on a reason containing "Degraded".
	ReasonDegraded = "Degraded"
	// ReasonSyncFailed starts the reason of a region whose sync operation
	// for the promoted commit failed or errored. The reason also says
	// "counted as Degraded" so the planner fails the ring at once.
	ReasonSyncFailed = "sync failed"
	// ReasonSuspended starts the reason of a region whose Application runs
	// the promoted commit (or a later one) and reports Suspended health: an
	// Argo Rollouts canary paused between steps. It comes with
	// Verdict.InProgress.
	ReasonSuspended = "Suspended"
	// ReasonProgressing starts the reason of a region whose Application is
	// still rolling out the promoted commit (or a later one): Progressing
	// health, or a sync operation still running.
	ReasonProgressing = "Progressing"
	// ReasonNoSource is the reason of a region without an argocd entry in
	// the topology: this source has no evidence for it and the caller
	// decides (regions.HealthSource lets it advance on its other sources).
	ReasonNoSource = "no deployment source"
)

// AncestorFunc reports whether commit ancestor is an ancestor of commit
// descendant in the GitOps repository (a commit is not its own ancestor
// here; equality is checked before). cmd/ringd passes one backed by the
// gitops working copy.
type AncestorFunc func(ctx context.Context, ancestor, descendant string) (bool, error)

// Verdict is what one Application says about one region.
type Verdict struct {
	// Synced: Argo CD reports Synced at the promoted commit or a later
	// commit that contains it, and no sync operation is still running.
	Synced bool
	// Healthy: Argo CD reports Healthy.
	Healthy bool
	// Reason explains anything short of synced and healthy; empty otherwise.
	Reason string
	// InProgress: the promoted commit (or a later one) is applied and still
	// rolling out, not failing: health Progressing or Suspended (an Argo
	// Rollouts canary paused between steps), or a sync operation Running
	// (or Terminating: it ends Failed next) at it. Synced and Healthy say what is still missing; the planner
	// lets such a region wait up to the ring's syncTimeout instead of
	// counting it as unhealthy. Never set with a Degraded or sync failed
	// reason, nor for a region that does not run the promoted commit yet.
	InProgress bool
}

// Evaluate judges an Application against the commit that promoted its
// region. A later commit counts when isAncestor says the promoted commit is
// its ancestor (without isAncestor only the promoted commit itself counts).
//
//   - A sync operation that Failed or Errored at the promoted commit, a later
//     one, or an unknown revision: not synced, not healthy, reason
//     "sync failed: … counted as Degraded".
//   - Degraded health once the promoted commit (or a later one) is applied:
//     not healthy, reason "Degraded: …". Degraded health of an older version
//     still running is reported without that word, so a fix can roll out
//     over a degraded region without failing its ring.
//   - Otherwise Synced and Healthy as defined on Verdict, the reason listing
//     what is missing: "OutOfSync at <rev>", "synced at an older commit
//     <rev>", "Progressing: …", "Suspended: …", "health Missing: …".
//   - InProgress when the promoted commit (or a later one) is applied and
//     health is Progressing or Suspended, or a sync operation runs at it:
//     the region is on its way, not failing. Missing, Unknown or no health
//     stay plain failing evidence (fail closed).
//
// Free text from Argo CD never contains "Degraded" in other reasons (it is
// lower-cased), so only the two cases above fail a ring at once.
func Evaluate(ctx context.Context, app *v1alpha1.Application, commit string, isAncestor AncestorFunc) Verdict {
	if app == nil {
		return Verdict{Reason: "argocd: no application to judge"}
	}
	rc := &revChecker{ctx: ctx, commit: normRev(commit), isAncestor: isAncestor, memo: map[string]bool{}}
	if rc.commit == "" {
		return Verdict{Reason: "no promoted commit recorded for the region: cannot tell whether Argo CD runs it"}
	}
	var opRevs []string
	if op := app.Status.OperationState; op != nil {
		opRevs = operationRevisions(op)
	}
	return judge(app, rc, syncRevisions(app.Status), opRevs)
}

// judge is Evaluate once the revisions that say what the Application runs
// (syncRevs) and what its last sync operation applied (opRevs) are known:
// rc decides which of them count as the promoted one.
func judge(app *v1alpha1.Application, rc *revChecker, syncRevs, opRevs []string) Verdict {
	st := app.Status
	syncAt, syncRev, syncErr := rc.covers(syncRevs)

	op := st.OperationState
	var (
		opAt  bool
		opRev string
	)
	if op != nil {
		opAt, opRev, _ = rc.covers(opRevs)
	}
	synced := st.Sync.Status == v1alpha1.SyncStatusCodeSynced && syncAt
	applied := synced || opAt

	if op != nil && (op.Phase == synccommon.OperationFailed || op.Phase == synccommon.OperationError) && (opAt || len(opRevs) == 0) {
		return Verdict{Reason: fmt.Sprintf("%s: operation %s at %s%s; counted as Degraded",
			ReasonSyncFailed, op.Phase, revText(opRev), message(op.Message))}
	}
	if st.Health.Status == health.HealthStatusDegraded && applied {
		at := syncRev
		if !synced {
			at = opRev
		}
		return Verdict{Synced: synced, Reason: fmt.Sprintf("%s at %s%s", ReasonDegraded, revText(at), message(st.Health.Message))}
	}

	var reasons []string
	switch {
	case syncErr != nil && !syncAt:
		reasons = append(reasons, fmt.Sprintf("cannot tell whether %s contains the promoted commit %s: %s",
			revText(syncRev), revText(rc.commit), clip(sanitize(syncErr.Error()), 200)))
	case st.Sync.Status != v1alpha1.SyncStatusCodeSynced:
		status := string(st.Sync.Status)
		if status == "" {
			status = "sync status unknown"
		}
		r := fmt.Sprintf("%s at %s", status, revText(syncRev))
		if op != nil && (op.Phase == synccommon.OperationRunning || op.Phase == synccommon.OperationTerminating) {
			r += fmt.Sprintf("; sync operation %s at %s", op.Phase, revText(opRev))
		}
		for _, c := range st.Conditions {
			if c.IsError() {
				r += fmt.Sprintf("; %s%s", c.Type, message(c.Message))
			}
		}
		reasons = append(reasons, r)
	case !syncAt:
		reasons = append(reasons, rc.older(syncRev))
	case op != nil && (op.Phase == synccommon.OperationRunning || op.Phase == synccommon.OperationTerminating):
		synced = false
		reasons = append(reasons, fmt.Sprintf("%s: sync operation %s at %s%s", ReasonProgressing, op.Phase, revText(opRev), message(op.Message)))
	}
	// In progress: what runs (or is being applied) is the promoted commit
	// or a later one, and nothing says it failed.
	inProgress := (applied && (st.Health.Status == health.HealthStatusProgressing || st.Health.Status == health.HealthStatusSuspended)) ||
		(opAt && (op.Phase == synccommon.OperationRunning || op.Phase == synccommon.OperationTerminating))

	healthy := st.Health.Status == health.HealthStatusHealthy
	switch st.Health.Status {
	case health.HealthStatusHealthy:
	case health.HealthStatusProgressing:
		reasons = append(reasons, ReasonProgressing+message(st.Health.Message))
	case health.HealthStatusSuspended:
		if applied {
			reasons = append(reasons, ReasonSuspended+message(st.Health.Message))
		} else {
			reasons = append(reasons, fmt.Sprintf("health %s%s", st.Health.Status, message(st.Health.Message)))
		}
	case health.HealthStatusDegraded:
		reasons = append(reasons, fmt.Sprintf("the version still running is unhealthy (judged once %s is applied)%s", revText(rc.commit), message(st.Health.Message)))
	case "":
		reasons = append(reasons, "no health status yet")
	default:
		reasons = append(reasons, fmt.Sprintf("health %s%s", st.Health.Status, message(st.Health.Message)))
	}
	return Verdict{Synced: synced, Healthy: healthy, Reason: strings.Join(reasons, "; "), InProgress: inProgress}
}

// revChecker answers "is this revision the promoted commit or after it?",
// asking Git at most once per revision. With exact set (EvaluateValue) the
// promoted thing is a value, compared as written, and nothing comes after
// it.
type revChecker struct {
	ctx        context.Context
	commit     string
	isAncestor AncestorFunc
	memo       map[string]bool
	exact      bool
}

// norm is how a revision is compared with the promoted one.
func (r *revChecker) norm(v string) string {
	if r.exact {
		return strings.TrimSpace(v)
	}
	return normRev(v)
}

// older is the reason of an Application synced at rev, not the promoted one.
func (r *revChecker) older(rev string) string {
	if r.exact {
		return fmt.Sprintf("synced at %s, not at the promoted %s", revText(rev), revText(r.commit))
	}
	return fmt.Sprintf("synced at an older commit %s, not at %s or a commit after it", revText(rev), revText(r.commit))
}

// covers reports whether any of revs is the promoted commit or a
// descendant. rev is the revision to name in messages (the covering one,
// else the first). err is the last ancestry error when none covers.
func (r *revChecker) covers(revs []string) (ok bool, rev string, err error) {
	if len(revs) > 0 {
		rev = revs[0]
	}
	for _, v := range revs {
		v = r.norm(v)
		if v == r.commit {
			return true, v, nil
		}
		if r.exact || r.isAncestor == nil || v == "" {
			continue
		}
		yes, seen := r.memo[v]
		if !seen {
			var aerr error
			yes, aerr = r.isAncestor(r.ctx, r.commit, v)
			if aerr != nil {
				err = fmt.Errorf("git ancestry of %s: %w", revText(v), aerr)
				continue
			}
			r.memo[v] = yes
		}
		if yes {
			return true, v, nil
		}
	}
	return false, r.norm(rev), err
}

// syncRevisions is what Argo CD last compared the live state with
// (status.sync.revision, or revisions of a multi-source Application, or
// else the last sync result).
func syncRevisions(st v1alpha1.ApplicationStatus) []string {
	switch {
	case st.Sync.Revision != "":
		return []string{st.Sync.Revision}
	case len(nonEmpty(st.Sync.Revisions)) > 0:
		return nonEmpty(st.Sync.Revisions)
	case st.OperationState != nil && st.OperationState.SyncResult != nil:
		return resultRevisions(st.OperationState.SyncResult)
	}
	return nil
}

// operationRevisions is what the last sync operation applied or was asked
// to apply.
func operationRevisions(op *v1alpha1.OperationState) []string {
	if op.SyncResult != nil {
		if revs := resultRevisions(op.SyncResult); len(revs) > 0 {
			return revs
		}
	}
	if s := op.Operation.Sync; s != nil {
		if s.Revision != "" {
			return []string{s.Revision}
		}
		return nonEmpty(s.Revisions)
	}
	return nil
}

func resultRevisions(r *v1alpha1.SyncOperationResult) []string {
	if r.Revision != "" {
		return []string{r.Revision}
	}
	return nonEmpty(r.Revisions)
}

func nonEmpty(in []string) []string {
	var out []string
	for _, s := range in {
		if strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
	}
	return out
}

func normRev(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// revText names a revision in a reason: a full commit SHA shortened to 12
// characters, anything else as it is.
func revText(rev string) string {
	switch {
	case rev == "":
		return "an unknown revision"
	case len(rev) == 40 && strings.Trim(rev, "0123456789abcdef") == "":
		return rev[:12]
	}
	return rev
}

// message renders free text from Argo CD as ": text", or "".
func message(s string) string {
	s = clip(sanitize(s), 200)
	if s == "" {
		return ""
	}
	return ": " + s
}

// sanitize keeps the word the planner reacts to out of free text.
func sanitize(s string) string { return strings.ReplaceAll(s, ReasonDegraded, "degraded") }
