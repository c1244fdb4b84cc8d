package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/e2e/harness"
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// The per-app policies of TestTwoAppsTwoPolicies, indented under their app
// in spec.apps: ledger's analysis is stricter than spec.policy's (an error
// ratio of at most 1 % instead of 5 %, failing after 2 checks as
// everywhere), checkout soaks longer in canary.
const (
	ledgerPolicy = `      policy:
        analysis:
          metrics: [{name: error-ratio, max: 0.01}]
      trafficShare: {us-east-1: 10, eu-west-1: 30, ap-south-1: 30, us-west-2: 30}
`
	checkoutPolicy = `      policy:
        soak: {canary: 7s}
`
	// forcedErrorRatio lies between the two bounds: 3 % of 5xx passes
	// spec.policy's 5 % and fails ledger's 1 %.
	forcedErrorRatio = "0.03"
)

// TestTwoAppsTwoPolicies: checkout and ledger are released at once into
// the same simulated regions while canary's us-east-1 answers 3 % of 5xx.
// ledger's own analysis (max 1 %) fails its canary and rolls it back;
// checkout, under spec.policy's 5 %, soaks its own 7 s in canary through
// the same traffic and completes. release show and the dashboard give each
// release its own app's policy and exposure (ledger's canary serves 10 % of
// its traffic, checkout's the equal share of 25 %).
func TestTwoAppsTwoPolicies(t *testing.T) {
	rs := defaultRings()
	e := newEnv(t, envOptions{rings: rs, sim: true})
	e.adoptAppPolicies(map[string]string{"ledger": ledgerPolicy, "checkout": checkoutPolicy})
	e.sim.control(t, "/v1/regions/us-east-1/errors?ratio="+forcedErrorRatio)

	checkout := e.create("checkout", "v2.0.0")
	ledger := e.create("ledger", "v2.0.0")

	// ledger fails in canary on its own bound...
	r := e.waitRing(ledger, "canary", rings.RingRollingBack, 60*time.Second)
	if reason := r.Ring("canary").Reason; !strings.Contains(reason, "us-east-1") || !strings.Contains(reason, "error-ratio") {
		t.Errorf("ledger's canary failed for %q; want its error-ratio check in us-east-1", reason)
	}
	// ...while checkout soaks through the same traffic and passes.
	c := e.waitRing(checkout, "canary", rings.RingDone, 60*time.Second)
	canary := c.Ring("canary")
	if soaked := canary.DoneAt.Sub(canary.SoakStartedAt); soaked < 7*time.Second {
		t.Errorf("checkout's canary soaked %s; want its own 7s", soaked)
	}
	for _, g := range canary.Regions {
		if g.ConsecutiveFailures != 0 || (g.LastCheck != nil && !g.LastCheck.Pass) {
			t.Errorf("checkout's canary region %s has failed checks under the 5%% bound: %+v", g.Name, g.LastCheck)
		}
	}
	// Let ledger's rollback verify, then both finish.
	e.sim.control(t, "/v1/regions/us-east-1/errors?ratio=-1")
	e.waitState(ledger, rings.ReleaseRolledBack, 90*time.Second)
	done := e.waitState(checkout, rings.ReleaseCompleted, 90*time.Second)
	e.checkReleased(t, done, withSoak(rs, "canary", 7*time.Second), "v2.0.0")
	e.neverPromoted(t, time.Second, ledger, "early", "global")

	// Each release shows its own app's policy.
	for _, want := range []struct{ id, app, analysis, soak, exposure string }{
		{ledger, "ledger", "error-ratio max 0.01*", "canary 5s, ", "canary 10 % → early 40 % → global 100 %"},
		{checkout, "checkout", "error-ratio max 0.05\n", "canary 7s*, ", "canary 25 % → early 50 % → global 100 %"},
	} {
		out := e.ringctlRetry(e.c.AdminToken, "release", "show", want.id)
		for _, s := range []string{"App:       " + want.app + " ", "POLICY OF THE APP", want.analysis, want.soak, want.exposure} {
			if !strings.Contains(out, s) {
				t.Errorf("release show %s (%s) does not say %q:\n%s", want.id, want.app, s, out)
			}
		}
	}
	board := e.board()
	for _, want := range []struct{ id, analysis, exposure string }{
		{ledger, "error-ratio max 0.01*", "exposure 10 %"}, {checkout, "error-ratio max 0.05 ·", "exposure 25 %"},
	} {
		card, ok := cardOf(board, want.id)
		if !ok || !strings.Contains(card, `class="release-policy`) || !strings.Contains(card, want.analysis) {
			t.Errorf("the dashboard's card of %s does not show %q in its policy line:\n%s", want.id, want.analysis, card)
		}
		if !strings.Contains(card, want.exposure) {
			t.Errorf("the dashboard's card of %s does not show its canary's %q:\n%s", want.id, want.exposure, card)
		}
	}
	e.verifyHistory(t)
}

// adoptAppPolicies commits e.topo with a policy block under each app named
// in policies and waits until the cluster runs under it.
func (e *env) adoptAppPolicies(policies map[string]string) {
	e.t.Helper()
	src := e.topo.render()
	for app, block := range policies {
		entry := fmt.Sprintf("    - name: %s\n      targets: [{file: \"apps/%s/{{region}}/values.yaml\", yamlPath: image.tag}]\n", app, app)
		if !strings.Contains(src, entry) {
			e.t.Fatalf("app %s is not in the test topology:\n%s", app, src)
		}
		src = strings.Replace(src, entry, entry+block, 1)
	}
	if err := os.WriteFile(e.topoFile, []byte(src), 0o644); err != nil { // what verify-history checks against
		e.t.Fatal(err)
	}
	e.commit("e2e: per-app policies", map[string]string{topologyPath: src})
	e.waitTopologyWhere("the per-app policies to be adopted", func(top *topology.Topology) error {
		for app := range policies {
			if a, ok := top.AppByName(app); !ok || a.Policy == nil {
				return fmt.Errorf("app %s has no policy yet", app)
			}
		}
		return nil
	})
}

// board fetches the dashboard's board fragment from a live node.
func (e *env) board() string {
	e.t.Helper()
	var body string
	harness.Eventually(e.t, 30*time.Second, "the dashboard board", func() error {
		c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(c, http.MethodGet, e.live()[0].HTTP()+"/ui/board", nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+e.c.AdminToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET /ui/board: %s %v", resp.Status, err)
		}
		body = string(b)
		return nil
	})
	return body
}

// cardOf returns the dashboard card (the <article>) of release id.
func cardOf(board, id string) (string, bool) {
	i := strings.Index(board, `data-release="`+id+`"`)
	if i < 0 {
		return "", false
	}
	card := board[i:]
	if j := strings.Index(card, "</article>"); j >= 0 {
		card = card[:j]
	}
	return card, true
}

// withSoak returns rs with ring's soak set to d (the app's own).
func withSoak(rs []ringSpec, ring string, d time.Duration) []ringSpec {
	out := make([]ringSpec, len(rs))
	copy(out, rs)
	for i := range out {
		if out[i].Name == ring {
			out[i].Soak = d
		}
	}
	return out
}
