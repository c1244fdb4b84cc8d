#!/bin/sh
# split-coordinator.sh rewrites every reference to a name that left package
# coordinator (issue 14) to its new package: coordinator/httpapi,
# coordinator/leader, coordinator/metrics or rings. It is idempotent: run it
# from the repository root after merging a branch that still says
# coordinator.X, then `go build ./...`. Delete it once no branch needs it.
set -eu
cd "$(git rev-parse --show-toplevel)"

httpapi='APIConfig|NewAPI|API|SecurityConfig|Broker|BrokerConfig|NewBroker|Event|EventFor|EventReset|DefaultWriteRate|DefaultWriteBurst|HeaderForwarded|HeaderForwardedFor|Attentions|RoutePermissions'
leader='Loop|LoopConfig|NewLoop|LoopStats|Store|PlanFunc|Clock|SystemClock|ManualClock|NewManualClock|MemPromoter|MemHealth|MemFence|MemBudgets|Promoter|HealthSource|HaltFence|BaselineReader|LandedFinder|Notifier|BudgetSource|BudgetFunc|TopologyDoc|TopologyLoader|RingDone|CheckDuringSoak|Promotion|PromotionResult|RegionTarget|HealthQuery|RegionHealth|BaselineRead|ErrFenced|ErrNeedsHuman'
metrics='Metrics|NewMetrics|StateCollector|StateCollectorConfig|NewStateCollector|InstrumentPromoter|PushOutcome|PushLanded|PushAlreadyLanded|PushFenced|PushFailed|PushNeedsHuman'
rings='ActiveHalts|SoakRemaining|AutoHaltID|TopologyRevision'
mod=github.com/ringleader-dev/ringleader

files=$(git ls-files '*.go' | xargs grep -l '"'$mod'/coordinator"' || true)
for f in $files; do
	perl -pi -e '
		s/\bcoordinator\.('"$httpapi"')\b/httpapi.$1/g;
		s/\bcoordinator\.('"$leader"')\b/leader.$1/g;
		s/\bcoordinator\.('"$metrics"')\b/metrics.$1/g;
		s/\bcoordinator\.('"$rings"')\b/rings.$1/g;
		s/\bcoordinator\.ErrLeadershipLost\b/store.ErrLeadershipLost/g;
	' "$f"
	# Import each new package the file now names and does not import yet;
	# goimports then drops the old import if nothing uses it any more.
	for p in coordinator/httpapi coordinator/leader coordinator/metrics coordinator/store rings; do
		name=${p##*/}
		if grep -q "\b$name\.[A-Z]" "$f" && ! grep -q "\"$mod/$p\"" "$f"; then
			perl -0pi -e 's{\n(\s*)"'$mod'/coordinator"\n}{\n$1"'$mod'/coordinator"\n$1"'$mod/$p'"\n}' "$f"
			perl -pi -e 's{^import "'$mod'/coordinator"$}{import (\n\t"'$mod'/coordinator"\n\t"'$mod/$p'"\n)}' "$f"
		fi
	done
	goimports -w "$f"
done
