package leader

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/coordinator/coordtest"
	"github.com/ringleader-dev/ringleader/rings"
)

// TestLoopAnalysesEachAppAtItsOwnInterval: with checkout's own analysis
// interval of 10s (spec.policy's is 1m), its soaking ring is asked every
// 10s, not once a minute.
func TestLoopAnalysesEachAppAtItsOwnInterval(t *testing.T) {
	t.Parallel()
	const app = "    - name: checkout\n      targets: [{file: \"apps/checkout/{{region}}/values.yaml\", yamlPath: image.tag}]\n"
	src := string(coordtest.Topology)
	if !strings.Contains(src, app) {
		t.Fatal("the test topology has no checkout entry to give a policy")
	}
	src = strings.Replace(src, app, app+"      policy: {analysis: {interval: 10s}}\n", 1)
	f := newLoopFixture(t, nil)
	f.store.MustApply(t, command.CmdAdoptTopology, command.AdoptTopology{Revision: rings.TopologyRevision([]byte(src)), Path: coordtest.TopologyPath, Source: []byte(src)})
	id := f.release(t, "v2")
	f.passUntilSoaking(t, id, "canary", 20, time.Second)
	f.clock.Advance(time.Minute)
	before := len(f.health.Queries())
	for i := 0; i < 6; i++ { // passes 5s apart for 30s: due at 0s, 10s and 20s
		f.loop.ReconcileOnce(context.Background())
		f.clock.Advance(5 * time.Second)
	}
	if got := len(f.health.Queries()) - before; got != 3 {
		t.Fatalf("%d health queries in 30s at checkout's 10s interval; want 3", got)
	}
}
