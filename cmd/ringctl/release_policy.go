package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// topologyGetter is what showAppPolicy needs from the API client.
type topologyGetter interface {
	Topology(ctx context.Context) (*apiclient.TopologyResponse, error)
}

// showAppPolicy ends release show (table form) with the app's effective
// policy in brief, from the topology in force: a release's analysis, soaks
// and approvals are its app's, not always spec.policy's. A topology the
// server cannot give is said, not fatal: the release was shown.
func showAppPolicy(ctx context.Context, c topologyGetter, w io.Writer, output, app string) error {
	if output != "table" && output != "" {
		return nil
	}
	resp, err := c.Topology(ctx)
	if err != nil || resp.Topology == nil {
		fmt.Fprintf(w, "\nPOLICY OF APP %s\n  unknown: the topology in force could not be read (%v)\n", app, err)
		return nil
	}
	top := resp.Topology
	b := top.EffectivePolicy(app).Brief()
	fmt.Fprintf(w, "\nPOLICY OF APP %s (topology %s)\n", app, orDash(resp.Revision))
	writePolicyBrief(w, b)
	return nil
}

// writePolicyBrief renders an app's effective policy in brief: analysis,
// soak per ring and approvals, "*" marking what the app sets itself.
func writePolicyBrief(w io.Writer, b topology.PolicyBrief) {
	fmt.Fprintf(w, "  Analysis:  %s\n", b.Analysis)
	fmt.Fprintf(w, "  Soak:      %s\n", b.Soak)
	fmt.Fprintf(w, "  Approvals: %s\n", b.Approvals)
	if strings.Contains(b.Analysis+b.Soak+b.Approvals, "*") {
		fmt.Fprintln(w, "  (* the app's own policy; ringctl topology explain --app shows where every value comes from)")
	}
}
