package demo

import (
	"fmt"

	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/planner"
)

// Scenarios is the table of guided tours `ringd demo --scenario NAME`
// runs, in the order --list-scenarios prints them. Each starts from the
// demo's first release (checkout v1.4.2 rolling from v1.4.1, "first") and
// leaves the system running. A new tour is one more entry.
func Scenarios() []Scenario {
	return []Scenario{
		{
			Name:    "bad-canary",
			Summary: "a version answering 5xx fails in canary: the later rings are halted and canary is rolled back in Git",
			Steps: append(firstThrough(),
				create("bad", FirstApp, BadVersion, "", `a version whose name contains "bad" answers half its requests with 5xx (Degraded without Prometheus)`),
				awaitRing("bad", "canary", "ring canary turns red: its analysis fails", failedRing...),
				awaitRelease("bad", "canary goes back to "+FirstVersion+" in Git", rings.ReleaseRolledBack),
				neverBeyond(FirstApp, BadVersion),
			),
			Next: []string{"ringctl verify-history --repo {repo}   # the history stays clean"},
		},
		{
			Name:    "bad-region",
			Summary: "one region of the two-region global ring goes bad mid-soak: global fails and the release is rolled back everywhere",
			Steps: append(approveFirst(),
				awaitRing("first", "global", "ring global syncs, then soaks", rings.RingSoaking),
				breakRegion("us-west-2", true, "a bad node pool there, found mid-soak"),
				awaitRing("first", "global", "global turns red; every ring is written back to "+InitialVersions[FirstApp], failedRing...),
				breakRegion("us-west-2", false, "on-call drains the bad node pool, so the rollback can verify"),
				awaitRelease("first", "every region runs "+InitialVersions[FirstApp]+" again and verifies", rings.ReleaseRolledBack),
			),
			Next: []string{"ringctl release show {release}   # every ring rolled back; ringctl audit --type ring.fail"},
		},
		{
			Name:    "global-halt",
			Summary: "an incident during a rollout: a global halt stops every promotion, nothing lands in Git, resume lets the release go on",
			Steps: []Step{
				awaitRing("first", "canary", "ring canary soaks", rings.RingSoaking),
				haltAll("incident 42: checkout errors in us-east-1"),
				awaitHeld("first", "early"),
				nothingLanded(),
				resumeHalt("incident 42 is over"),
				approve("first", "early", "canary looks good", false),
				awaitRing("first", "early", "ring early starts, after the halt and not before", rings.RingSyncing, rings.RingSoaking, rings.RingDone),
			},
			Next: []string{"ringctl release approve {release} --ring global --reason ok   # when global asks (the budget of " + BurntRegion + ")"},
		},
		{
			Name:            "budget",
			Summary:         "error budgets: " + BurntRegion + " in the approval band asks for an approval; an exhausted budget freezes a release and a P0 goes through",
			NeedsPrometheus: true,
			Steps: []Step{
				approve("first", "early", "canary looks good", false),
				approve("first", "global", BurntRegion+" has budget enough for one careful release", true),
				awaitRelease("first", "every ring done", rings.ReleaseCompleted),
				burn("us-east-1", FirstApp, 10),
				create("feature", FirstApp, "v1.5.0", "", "an ordinary release"),
				awaitFrozen("feature", "canary"),
				abort("feature", "frozen until the budget recovers"),
				awaitClean("us-east-1"),
				create("hotfix", FirstApp, "v1.4.3", "P0", "a P0 fix is allowed whatever the budget"),
				awaitRing("hotfix", "canary", "canary promotes the P0 although its budget is exhausted", rings.RingSyncing, rings.RingSoaking, rings.RingDone),
			},
			Next: []string{"ringctl status   # BUDGETS: us-east-1 recovers as clean requests fill the one-hour window"},
		},
		{
			Name:    "rollback-fails",
			Summary: "us-east-1 breaks under the canary and stays broken after the rollback: rollback-failed, its halt kept, an urgent notification",
			Steps: []Step{
				awaitRing("first", "canary", "ring canary soaks", rings.RingSoaking),
				breakRegion("us-east-1", true, "a fault there that no rollback cures"),
				awaitRing("first", "canary", "canary turns red and is written back to "+InitialVersions[FirstApp], failedRing...),
				awaitRelease("first", "us-east-1 stays bad on "+InitialVersions[FirstApp]+" until the rollback timeout", rings.ReleaseRollbackFailed),
				attention("first"),
			},
			Next: []string{
				"{repair}   # repair the region",
				"ringctl resume {halt} --reason \"us-east-1 repaired\"",
			},
		},
		{
			Name: "two-apps",
			Summary: fmt.Sprintf("%s and %s released at once under their own policies and exposure: %s 5xx in us-east-1 passes %s's canary and fails %s's, which is rolled back while %s goes on",
				FirstApp, LedgerApp, planner.Percent(TwoAppsErrorRatio*100), FirstApp, LedgerApp, FirstApp),
			NeedsPrometheus: true,
			Steps: []Step{
				comparePolicies(FirstApp, LedgerApp),
				create("ledger", LedgerApp, LedgerVersion, "", "released beside "+FirstApp+"'s, into the same rings"),
				awaitRing("ledger", "canary", fmt.Sprintf("both canaries run in us-east-1; %s's soaks %d times as long", LedgerApp, LedgerSoakFactor), rings.RingSoaking),
				serveErrors("us-east-1", TwoAppsErrorRatio,
					fmt.Sprintf("%s's success rate falls under its %v %% while %s's stays over its 99 %%", LedgerApp, LedgerMinSuccess, FirstApp), "a flaky dependency there"),
				awaitRing("ledger", "canary", LedgerApp+"'s card turns red in canary; "+FirstApp+"'s does not", failedRing...),
				breakRegion("us-east-1", false, "the dependency recovers, so "+LedgerApp+"'s rollback can verify"),
				awaitRelease("ledger", LedgerApp+"'s canary runs "+InitialVersions[LedgerApp]+" again", rings.ReleaseRolledBack),
				approve("first", "early", FirstApp+"'s canary passed under its own bound", false),
				approve("first", "global", "early looks good", false),
				awaitRelease("first", FirstApp+" goes on through early and global: its exposure grows to 30 %, then 100 %", rings.ReleaseCompleted),
			},
			Next: []string{
				"ringctl release show {release}   # " + FirstApp + "'s policy and exposure",
				"ringctl release list --app " + LedgerApp + "   # then release show of it: " + LedgerApp + "'s own policy (* marks it) and exposure",
			},
		},
	}
}

// firstThrough sees the first release through: approve early and global
// when they ask (early its own approval, global the approval band of
// BurntRegion's budget), then wait until it completes.
func firstThrough() []Step {
	return append(approveFirst(), awaitRelease("first", "every ring done, in order", rings.ReleaseCompleted))
}

// approveFirst approves early and global of the first release when they
// ask.
func approveFirst() []Step {
	return []Step{
		approve("first", "early", "canary looks good", false),
		approve("first", "global", "early looks good", false),
	}
}
