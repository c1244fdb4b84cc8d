package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/ringleader-dev/ringleader/rings/topology"
)

// appPolicyBrief is app's effective policy in brief under top (the
// server's topology, as JSON): release show says what the release's
// analysis, soaks and approvals are, since they are its app's and not
// always spec.policy's.
func appPolicyBrief(top *topology.Topology, app string) *topology.PolicyBrief {
	if top == nil {
		return nil
	}
	b := top.EffectivePolicy(app).Brief()
	return &b
}

// writePolicyBrief renders an app's effective policy in brief: analysis,
// soak per ring and approvals, "*" marking what the app sets itself. nil
// writes nothing.
func writePolicyBrief(w io.Writer, b *topology.PolicyBrief) {
	if b == nil {
		return
	}
	fmt.Fprintln(w, "\nPOLICY OF THE APP")
	fmt.Fprintf(w, "  Analysis:  %s\n", b.Analysis)
	fmt.Fprintf(w, "  Soak:      %s\n", b.Soak)
	fmt.Fprintf(w, "  Approvals: %s\n", b.Approvals)
	if strings.Contains(b.Analysis+b.Soak+b.Approvals, "*") {
		fmt.Fprintln(w, "  (* the app's own policy; ringctl topology explain --app shows where every value comes from)")
	}
}
