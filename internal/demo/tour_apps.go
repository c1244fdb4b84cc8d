package demo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ringleader-dev/ringleader/rings/planner"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// The steps that show what differs between apps: each app's policy and
// exposure, and traffic that one app's policy accepts and another's does
// not.

// comparePolicies prints, for each of apps, the policy its releases run
// under and the exposure after each ring, read from the node's topology
// as ringctl release show and the dashboard read them.
func comparePolicies(apps ...string) Step {
	return Step{
		Say:   fmt.Sprintf("Compare the policies and exposure of %s (ringctl release show ID ends with them)", strings.Join(apps, " and ")),
		Watch: "each release card's policy line (* marks what the app sets itself) and its rings' exposure",
		Run: func(ctx context.Context, t *Tour) (string, error) {
			tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			tr, err := t.Demo.Client.Topology(tctx)
			if err != nil {
				return "", fmt.Errorf("read the topology: %w", err)
			}
			if tr.Topology == nil {
				return "", fmt.Errorf("the node has no topology yet")
			}
			for _, app := range apps {
				b := tr.Topology.EffectivePolicy(app).Brief()
				fmt.Fprintf(t.Out, "      %-9s analysis %s\n", app, b.Analysis)
				fmt.Fprintf(t.Out, "      %-9s soak %s; exposure after each ring %s\n", "", b.Soak, exposureSteps(tr.Topology, app))
			}
			return "the apps share rings and regions, not policy or exposure", nil
		},
	}
}

// exposureSteps renders app's exposure after each ring: "canary 10 % →
// early 30 % → global 100 %".
func exposureSteps(top *topology.Topology, app string) string {
	cum := top.CumulativeExposure(app)
	out := make([]string, 0, len(cum))
	for i, ring := range top.Spec.Rings {
		out = append(out, ring.Name+" "+planner.Percent(cum[i]*100))
	}
	return strings.Join(out, " → ")
}

// serveErrors makes region answer ratio of every app's requests with 5xx
// through ringsim's control endpoint, until a repair (breakRegion off)
// returns it to its versions' own behaviour. Unlike breakRegion's half,
// a small ratio fails only the apps whose analysis asks for more.
func serveErrors(region string, ratio float64, watch, why string) Step {
	return Step{
		Say:   fmt.Sprintf("Make %s answer %s of every app's requests with 5xx   # %s", region, planner.Percent(ratio*100), why),
		Watch: watch,
		Run: func(ctx context.Context, t *Tour) (string, error) {
			if err := t.Demo.Env.Sim.SetErrorRatio(ctx, region, ratio); err != nil {
				return "", err
			}
			t.repair = fmt.Sprintf("curl -X POST '%s/v1/regions/%s/errors?ratio=-1'", t.Demo.Env.Sim.Control, region)
			return fmt.Sprintf("%s answers %s 5xx (a success rate of %s); %s repairs it", region,
				planner.Percent(ratio*100), planner.Percent((1-ratio)*100), t.repair), nil
		},
	}
}
