package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/planner"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// The exposure and error-budget cost part of `ringctl release show`.

// releaseShowOutput is what release show writes: the release, how much of
// its app's traffic it reaches, and what it is expected to cost.
type releaseShowOutput struct {
	*apiclient.ReleaseDetail
	Exposure *releaseExposure   `json:"exposure,omitempty"`
	Risk     *rings.ReleaseCost `json:"risk,omitempty"`
	// RiskError says why exposure and cost are not shown (the topology or
	// the history could not be read).
	RiskError string `json:"riskError,omitempty"`

	Policy *topology.PolicyBrief `json:"policy,omitempty"` // the app's effective policy in brief (release_policy.go)
}

// releaseExposure is the share (0..1) of the app's traffic on the
// release's version now, and after each ring.
type releaseExposure struct {
	Now   float64        `json:"now"`
	Rings []ringExposure `json:"rings"`
}

// ringExposure is one ring's cumulative exposure and its maxExposure
// (percent), if any.
type ringExposure struct {
	Ring        string   `json:"ring"`
	Exposure    float64  `json:"exposure"`
	MaxExposure *float64 `json:"maxExposure,omitempty"`
}

// showRelease adds the exposure and cost of d's release, read with the
// server's topology and the app's history and budgets; when those cannot
// be read the release is shown without them and says why.
func showRelease(ctx context.Context, c *apiclient.Client, d *apiclient.ReleaseDetail) releaseShowOutput {
	out := releaseShowOutput{ReleaseDetail: d}
	if d == nil || d.Release == nil {
		return out
	}
	tr, err := c.Topology(ctx)
	if err == nil && tr.Topology == nil {
		err = fmt.Errorf("the server has no topology yet")
	}
	var data riskData
	if err == nil {
		out.Policy = appPolicyBrief(tr.Topology, d.App)
		data, err = serverRisk(c)(ctx, d.App)
	}
	if err != nil {
		out.RiskError = err.Error()
		return out
	}
	addReleaseRisk(&out, tr.Topology, data)
	return out
}

// addReleaseRisk fills out's exposure and cost from top and data.
func addReleaseRisk(out *releaseShowOutput, top *topology.Topology, data riskData) {
	r := out.Release
	e := &releaseExposure{Now: rings.Exposure(top, r)}
	cum := top.CumulativeExposure(r.App)
	for i, ring := range top.Spec.Rings {
		e.Rings = append(e.Rings, ringExposure{Ring: ring.Name, Exposure: cum[i], MaxExposure: ring.MaxExposure})
	}
	cost := releaseCost(top, r.App, r.Risk, data)
	out.Exposure, out.Risk = e, &cost
}

// writeReleaseShow renders the release, then its exposure and cost.
func writeReleaseShow(w io.Writer, out releaseShowOutput, now time.Time) error {
	if err := writeRelease(w, out.ReleaseDetail, now); err != nil {
		return err
	}
	writePolicyBrief(w, out.Policy)
	switch {
	case out.RiskError != "":
		fmt.Fprintf(w, "\nExposure and error-budget cost unknown: %s\n", out.RiskError)
		return nil
	case out.Exposure == nil:
		return nil
	}
	steps := make([]string, 0, len(out.Exposure.Rings))
	for _, r := range out.Exposure.Rings {
		s := r.Ring + " " + planner.Percent(r.Exposure*100)
		if r.MaxExposure != nil {
			s += " (maxExposure " + planner.Percent(*r.MaxExposure) + ")"
		}
		steps = append(steps, s)
	}
	fmt.Fprintf(w, "\nExposure:  %s of %s's traffic runs %s now; after each ring: %s\n", planner.Percent(out.Exposure.Now*100), out.Release.App, out.Release.Version, strings.Join(steps, " → "))
	if out.Risk == nil {
		return nil
	}
	return writeRiskTable(w, *out.Risk)
}
