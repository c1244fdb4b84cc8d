package main

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/internal/demo"
	"github.com/ringleader-dev/ringleader/rings"
)

// scenarioRun is what a finished scenario left: its demo, a client and
// the bare GitOps repository.
type scenarioRun struct {
	p     *demoProc
	c     *apiclient.Client
	bare  string
	first string
}

// TestDemoScenarios runs every guided tour as a person would (`ringd demo
// --scenario NAME`, short soaks, fast syncs), waits until it says it
// finished, then checks its outcome from outside: through the API, the
// audit trail and the GitOps history, not by trusting the tour's own
// words. Run one with -run 'TestDemoScenarios/NAME': each is a whole demo.
func TestDemoScenarios(t *testing.T) {
	if testing.Short() {
		t.Skip("runs one whole demo per scenario; skipped with -short")
	}
	for _, tc := range []struct {
		name  string
		check func(t *testing.T, r scenarioRun)
	}{
		{"bad-canary", checkBadCanary},
		{"bad-region", checkBadRegion},
		{"global-halt", checkGlobalHalt},
		{"budget", checkBudget},
		{"rollback-fails", checkRollbackFails},
		{"two-apps", checkTwoApps},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			p := startDemo(t, "--scenario", tc.name)
			waitDemo(t, "scenario "+tc.name+" to finish", 4*time.Minute, func() bool {
				out := p.out.String()
				if strings.Contains(out, "scenario "+tc.name+", step") {
					t.Fatalf("the scenario stopped:\n%s", out)
				}
				return strings.Contains(out, "Scenario "+tc.name+" finished")
			})
			r := scenarioRun{p: p, c: apiclient.NewClient(p.field(t, "Dashboard"), ""),
				bare: p.bareRepo(), first: firstRelease(t, p)}
			tc.check(t, r)
			t.Logf("scenario %s finished and checked after %s", tc.name, time.Since(start).Round(time.Millisecond))
		})
	}
}

// firstRelease is the ID of the release the banner names.
func firstRelease(t *testing.T, p *demoProc) string {
	t.Helper()
	_, rest, ok := strings.Cut(p.out.String(), "Release ")
	id, _, _ := strings.Cut(rest, " ")
	if !ok || id == "" {
		t.Fatalf("the banner names no first release:\n%s", p.out.String())
	}
	return id
}

// releaseOf returns the release of the first app at version.
func (r scenarioRun) releaseOf(t *testing.T, version string) *rings.Release {
	t.Helper()
	return r.releaseOfApp(t, demo.FirstApp, version)
}

// releaseOfApp returns the release of app at version.
func (r scenarioRun) releaseOfApp(t *testing.T, app, version string) *rings.Release {
	t.Helper()
	all, err := r.c.Releases(context.Background(), app)
	if err != nil {
		t.Fatal(err)
	}
	for _, rel := range all {
		if rel.Version == version {
			return rel
		}
	}
	t.Fatalf("no release of %s %s", app, version)
	return nil
}

// audit returns the trail's entries of type typ.
func (r scenarioRun) audit(t *testing.T, typ command.Type) []apiclient.AuditEntry {
	t.Helper()
	l, err := r.c.Audit(context.Background(), apiclient.AuditQuery{Type: typ})
	if err != nil {
		t.Fatal(err)
	}
	return l.Entries
}

// ringStates checks the states of rel's rings.
func ringStates(t *testing.T, rel *rings.Release, want map[string]rings.RingState) {
	t.Helper()
	for ring, state := range want {
		if got := rel.Ring(ring).State; got != state {
			t.Errorf("release %s: ring %s is %s, want %s", rel.ID, ring, got, state)
		}
	}
}

// regionHistory is every version region's checkout values.yaml ever held.
func (r scenarioRun) regionHistory(t *testing.T, region string) string {
	t.Helper()
	log, err := demo.RunGit(r.bare, "log", "-p", "--format=%H", "main", "--", "apps/checkout/"+region+"/values.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return log
}

// checkBadCanary: the bad release failed in canary and was rolled back;
// no later region ever ran it.
func checkBadCanary(t *testing.T, r scenarioRun) {
	bad := r.releaseOf(t, demo.BadVersion)
	if bad.State != rings.ReleaseRolledBack {
		t.Errorf("bad release is %s, want rolled-back", bad.State)
	}
	ringStates(t, bad, map[string]rings.RingState{"canary": rings.RingRolledBack, "early": rings.RingPending, "global": rings.RingPending})
	for _, region := range []string{"eu-west-1", "ap-northeast-1", "us-west-2"} {
		if strings.Contains(r.regionHistory(t, region), demo.BadVersion) {
			t.Errorf("region %s was promoted to %s", region, demo.BadVersion)
		}
	}
}

// checkBadRegion: the first release's global ring failed (one of its two
// regions broke) and every ring went back to the initial version.
func checkBadRegion(t *testing.T, r scenarioRun) {
	rel := r.releaseOf(t, demo.FirstVersion)
	if rel.State != rings.ReleaseRolledBack {
		t.Errorf("first release is %s, want rolled-back", rel.State)
	}
	ringStates(t, rel, map[string]rings.RingState{"canary": rings.RingRolledBack, "early": rings.RingRolledBack, "global": rings.RingRolledBack})
	fails := r.audit(t, command.CmdFailRing)
	if !slices.ContainsFunc(fails, func(e apiclient.AuditEntry) bool { return e.Details["ring"] == "global" }) {
		t.Errorf("no ring.fail of ring global in the audit trail: %v", fails)
	}
	for _, region := range []string{"us-east-1", "us-west-2"} {
		got, err := demo.RunGit(r.bare, "show", "main:apps/checkout/"+region+"/values.yaml")
		if err != nil || !strings.Contains(got, "tag: "+demo.InitialVersions[demo.FirstApp]) {
			t.Errorf("%s values.yaml at head = %q (%v), want %s back", region, got, err, demo.InitialVersions[demo.FirstApp])
		}
	}
}

// checkGlobalHalt: after the halt's fence commit, every promotion in Git
// was committed once the halt was resumed, and ring early was promoted.
func checkGlobalHalt(t *testing.T, r scenarioRun) {
	halts, err := r.c.Halts(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(halts, func(h rings.Halt) bool { return h.Scope.Global && !h.Auto })
	if i < 0 || halts[i].ResumedAt.IsZero() {
		t.Fatalf("want one resumed global halt, got %+v", halts)
	}
	h := halts[i]
	// The halt's fence commit: the first counting an active halt (the
	// scenario places no other).
	fences, err := demo.RunGit(r.bare, "log", "--reverse", "--format=%H %(trailers:key=Ringleader-Halt-Fence,valueonly)", "main")
	if err != nil {
		t.Fatal(err)
	}
	fence := ""
	for _, line := range strings.Split(fences, "\n") {
		if hash, n, _ := strings.Cut(line, " "); fence == "" && n != "" && n != "0" {
			fence = hash
		}
	}
	if fence == "" {
		t.Fatalf("no fence commit of halt %s in Git:\n%s", h.ID, fences)
	}
	log, err := demo.RunGit(r.bare, "log", "--format=%cI %(trailers:key=Ringleader-Ring,valueonly,separator=)", fence+"..main")
	if err != nil {
		t.Fatal(err)
	}
	early := false
	for _, line := range strings.Split(log, "\n") {
		at, ring, _ := strings.Cut(strings.TrimSpace(line), " ")
		if ring == "" {
			continue
		}
		when, err := time.Parse(time.RFC3339, at)
		if err != nil {
			t.Fatal(err)
		}
		if when.Before(h.ResumedAt.Truncate(time.Second)) {
			t.Errorf("a promotion of ring %s landed at %s, under halt %s (resumed %s)", ring, when, h.ID, h.ResumedAt)
		}
		early = early || ring == "early"
	}
	if !early {
		t.Errorf("ring early was not promoted after the resume; commits since the fence:\n%s", log)
	}
}

// checkBudget: global asked for an approval (the approval band), the
// ordinary release was held at canary and aborted without landing, and
// the P0 was promoted there.
func checkBudget(t *testing.T, r scenarioRun) {
	approvals := r.audit(t, command.CmdApprove)
	if !slices.ContainsFunc(approvals, func(e apiclient.AuditEntry) bool { return e.Details["ring"] == "global" }) {
		t.Errorf("global was never approved: %v", approvals)
	}
	if feature := r.releaseOf(t, "v1.5.0"); feature.State != rings.ReleaseAborted || feature.Ring("canary").State != rings.RingPending {
		t.Errorf("the ordinary release is %s with canary %s, want aborted before canary", feature.State, feature.Ring("canary").State)
	}
	if strings.Contains(r.regionHistory(t, "us-east-1"), "v1.5.0") {
		t.Error("the ordinary release reached us-east-1 although its budget was exhausted")
	}
	hotfix := r.releaseOf(t, "v1.4.3")
	if hotfix.Priority != "P0" || hotfix.Ring("canary").State == rings.RingPending {
		t.Errorf("the hotfix has priority %q and canary %s, want P0 promoted", hotfix.Priority, hotfix.Ring("canary").State)
	}
}

// checkRollbackFails: the first release ended rollback-failed, the
// automatic halt on us-east-1 is still in force and the status asks a
// person to look at it.
func checkRollbackFails(t *testing.T, r scenarioRun) {
	rel := r.releaseOf(t, demo.FirstVersion)
	if rel.State != rings.ReleaseRollbackFailed {
		t.Errorf("first release is %s, want rollback-failed", rel.State)
	}
	if got := r.audit(t, command.CmdRollbackFailed); len(got) == 0 {
		t.Error("no ring.rollback-failed in the audit trail")
	}
	st, err := r.c.Status(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Attention) == 0 || st.Attention[0].ReleaseID != rel.ID || !slices.Contains(st.Attention[0].Regions, "us-east-1") {
		t.Errorf("status attention = %+v, want the release in us-east-1 first", st.Attention)
	}
	held := slices.ContainsFunc(st.Halts, func(h rings.Halt) bool {
		return h.Auto && h.ResumedAt.IsZero() && slices.Contains(h.Scope.Regions, "us-east-1")
	})
	if !held {
		t.Errorf("no automatic halt holds us-east-1: %+v", st.Halts)
	}
}

// TestDemoListsScenarios: --list-scenarios names every tour and exits
// without starting anything.
func TestDemoListsScenarios(t *testing.T) {
	t.Parallel()
	var stdout, stderr strings.Builder
	if code := runDemo([]string{"--list-scenarios"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
	for _, sc := range demo.Scenarios() {
		if !strings.Contains(stdout.String(), sc.Name+" ") {
			t.Errorf("--list-scenarios does not name %s:\n%s", sc.Name, stdout.String())
		}
	}
}
