package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ringleader-dev/ringleader/rings/topology"
)

// newTopologyExplainCmd builds `ringctl topology explain --app A -f FILE`.
func newTopologyExplainCmd(g *globals) *cobra.Command {
	var file, app string
	c := &cobra.Command{
		Use:   "explain --app APP -f FILE",
		Short: "Show the policy an app's releases run under, and where each value comes from",
		Long: `Show an app's effective policy offline: spec.policy and the rings, overridden
by the app's spec.apps[].policy. Every value says where it came from: app
(spec.apps[].policy), spec.policy, ring (spec.rings[]) or default (filled in
because nothing was written). -o json carries the same, with sources keyed by
setting; -o text (or table) is the default.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runTopologyExplain(cmd.OutOrStdout(), g.output, file, app)
		},
	}
	c.Flags().StringVarP(&file, "file", "f", "", "topology file (required)")
	c.Flags().StringVar(&app, "app", "", "app to explain (required)")
	return c
}

// runTopologyExplain parses file and writes app's effective policy.
func runTopologyExplain(w io.Writer, output, file, app string) error {
	if strings.TrimSpace(file) == "" || strings.TrimSpace(app) == "" {
		return fmt.Errorf("topology explain: -f FILE and --app APP are required")
	}
	if output == "text" {
		output = "table"
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("topology explain: read %s: %w", file, err)
	}
	top, err := topology.Parse(file, data)
	if err != nil {
		return fmt.Errorf("topology explain: %w", err)
	}
	if _, ok := top.AppByName(app); !ok {
		names := make([]string, len(top.Spec.Apps))
		for i, a := range top.Spec.Apps {
			names[i] = a.Name
		}
		return fmt.Errorf("topology explain: app %q is not in %s (it has %s)", app, file, strings.Join(names, ", "))
	}
	e := top.EffectivePolicy(app)
	return render(w, output, e, func(w io.Writer) error { return writeExplain(w, top.Metadata.Name, e) })
}

// explainRow is one setting of the text form.
type explainRow struct{ key, value string }

// explainRows lists every setting of e in reading order.
func explainRows(e topology.EffectivePolicy) []explainRow {
	a := e.Analysis
	rows := []explainRow{
		{"analysis.interval", a.Interval.String()},
		{"analysis.failureThreshold", strconv.Itoa(a.FailureThreshold)},
	}
	for _, m := range a.Metrics {
		rows = append(rows, explainRow{"analysis.metrics." + m.Name, m.Bounds() + ": " + m.Query})
	}
	rows = append(rows,
		explainRow{"onFailure", e.OnFailure},
		explainRow{"rollback.mode", e.Rollback.Mode},
		explainRow{"rollback.verify", e.Rollback.Verify.String()},
		explainRow{"rollback.timeout", e.Rollback.Timeout.String()})
	if b := e.ErrorBudget; b.Enabled() {
		sli := "default: non-5xx over all http_requests_total"
		if b.SLI != nil {
			sli = "good " + b.SLI.Good + "; total " + b.SLI.Total
		}
		rows = append(rows,
			explainRow{"errorBudget.slo", strconv.FormatFloat(b.SLO, 'g', -1, 64)},
			explainRow{"errorBudget.window", b.Window.String()},
			explainRow{"errorBudget.autoApproveAbove", strconv.FormatFloat(b.AutoApproveAbove, 'g', -1, 64) + "%"},
			explainRow{"errorBudget.approvalAbove", strconv.FormatFloat(b.ApprovalAbove, 'g', -1, 64) + "%"},
			explainRow{"errorBudget.allowWhenExhausted", orDash(strings.Join(b.AllowWhenExhausted, ", "))},
			explainRow{"errorBudget.sli", sli})
	} else {
		rows = append(rows, explainRow{"errorBudget", "none: no error-budget gate"})
	}
	for _, r := range e.Rings {
		approval := "none"
		if r.Approval {
			approval = "required"
		}
		rows = append(rows, explainRow{"rings." + r.Name + ".soak", r.Soak.String()}, explainRow{"rings." + r.Name + ".approval", approval})
	}
	for _, h := range e.Webhooks.Each() {
		rows = append(rows, explainRow{"webhooks." + h.Event, h.Hook.URL + " (secret " + h.Hook.SecretFile + " in ringd's --webhook-secret-dir)"})
	}
	return rows
}

// writeExplain renders e as a table of setting, value and source.
func writeExplain(w io.Writer, topologyName string, e topology.EffectivePolicy) error {
	fmt.Fprintf(w, "Effective policy of app %s (topology %s)\n\n", e.App, topologyName)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SETTING\tFROM\tVALUE")
	for _, r := range explainRows(e) {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r.key, orDash(string(e.Sources[r.key])), r.value)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nringd's own --webhook-* receivers, when set, are called for every app as well.")
	return nil
}
