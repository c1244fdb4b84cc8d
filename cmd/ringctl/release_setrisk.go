package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// riskFlagHelp describes the --risk value of create and set-risk.
const riskFlagHelp = "DREAD risk score, five factors 1-10: damage=N,reproducibility=N,exploitability=N,affected=N,discoverability=N"

// newReleaseSetRiskCmd builds `ringctl release set-risk ID --risk … --reason
// TEXT`: the one way a release's risk changes after creation, recorded in
// the audit trail (approvers only: a lower score can drop approvals).
func newReleaseSetRiskCmd(g *globals) *cobra.Command {
	var risk, reason string
	c := &cobra.Command{
		Use:   "set-risk ID --risk damage=N,... --reason TEXT",
		Short: "Re-score a release's risk (its tier may add or drop approvals and change soaks); --risk none clears it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if risk == "" || strings.TrimSpace(reason) == "" {
				return fmt.Errorf("release set-risk: --risk and --reason are required")
			}
			var score *topology.DREAD
			if risk != "none" {
				d, err := topology.ParseDREAD(risk)
				if err != nil {
					return fmt.Errorf("release set-risk: --%w", err)
				}
				score = &d
			}
			ctx, cancel := apiContext()
			defer cancel()
			d, err := newAPIClient(g).SetRisk(ctx, args[0], score, reason)
			if err != nil {
				return err
			}
			return renderRelease(cmd.OutOrStdout(), g.output, d)
		},
	}
	c.Flags().StringVar(&risk, "risk", "", riskFlagHelp+", or none (required)")
	c.Flags().StringVar(&reason, "reason", "", "why (required)")
	return c
}

// writeRisk is the Risk line of release show for a scored release: the
// score, its factors, and the tier it picks and what that changes.
func writeRisk(w io.Writer, d *apiclient.ReleaseDetail) {
	r := d.Release
	if r.Risk == nil {
		return
	}
	fmt.Fprintf(w, "Risk:      %d/%d (%s)\n", r.Risk.Score(), topology.DREADScoreMax, r.Risk)
	if d.Risk != nil {
		fmt.Fprintf(w, "Tier:      %s\n", d.Risk.Why)
	}
}
