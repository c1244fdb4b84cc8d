package main

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// newReleaseCmd builds `ringctl release create|list|show|approve|abort|rollback`.
func newReleaseCmd(g *globals) *cobra.Command {
	c := &cobra.Command{Use: "release", Short: "Create, inspect and steer releases"}
	c.AddCommand(newReleaseCreateCmd(g), newReleaseListCmd(g), newReleaseShowCmd(g),
		newReleaseApproveCmd(g), newReleaseReasonCmd(g, "abort", "Stop a release; nothing more is written for it"),
		newReleaseReasonCmd(g, "rollback", "Set every promoted region of a release back to its previous version"),
		newReleaseSetRiskCmd(g))
	return c
}

func newReleaseCreateCmd(g *globals) *cobra.Command {
	var req apiclient.CreateReleaseRequest
	var startAt, risk string
	c := &cobra.Command{
		Use:   "create --app APP --version V [--priority P] [--start-at RFC3339] [--train NAME] [--risk damage=N,...]",
		Short: "Create a release of an app; it rolls through the rings from ring 0",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if req.App == "" || req.Version == "" {
				return fmt.Errorf("release create: --app and --version are required")
			}
			if startAt != "" {
				t, err := time.Parse(time.RFC3339, startAt)
				if err != nil {
					return fmt.Errorf("release create: --start-at %q is not an RFC 3339 time such as 2026-12-04T15:00:00Z", startAt)
				}
				req.StartAt = t
			}
			if risk != "" {
				d, err := topology.ParseDREAD(risk)
				if err != nil {
					return fmt.Errorf("release create: --%w", err)
				}
				req.Risk = &d
			}
			ctx, cancel := apiContext()
			defer cancel()
			d, err := newAPIClient(g).CreateRelease(ctx, req)
			if err != nil {
				return err
			}
			return renderRelease(cmd.OutOrStdout(), g.output, d)
		},
	}
	c.Flags().StringVar(&req.App, "app", "", "app to release (required)")
	c.Flags().StringVar(&req.Version, "version", "", "version to roll out (required)")
	c.Flags().StringVar(&req.Priority, "priority", "", "normal (default), P0, security or reliability")
	c.Flags().StringVar(&startAt, "start-at", "", "do not start before this time (RFC 3339)")
	c.Flags().StringVar(&req.Train, "train", "", "release train to depart with (never implied: without it the release starts as soon as its gates allow)")
	c.Flags().StringVar(&risk, "risk", "", riskFlagHelp+" (default: the app's spec.apps[].risk.dread, if any)")
	c.Flags().StringVar(&req.PreviousVersion, "previous-version", "", "what rollback writes to a region whose target did not exist in Git before the release (elsewhere Git's value, read before the first promotion, wins)")
	return c
}

func newReleaseListCmd(g *globals) *cobra.Command {
	var app string
	c := &cobra.Command{
		Use:   "list [--app APP]",
		Short: "List releases",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := apiContext()
			defer cancel()
			rels, err := newAPIClient(g).Releases(ctx, app)
			if err != nil {
				return err
			}
			return render(cmd.OutOrStdout(), g.output, apiclient.ReleaseList{Releases: rels}, func(w io.Writer) error {
				return writeReleaseList(w, rels, time.Now())
			})
		},
	}
	c.Flags().StringVar(&app, "app", "", "only releases of this app")
	return c
}

func newReleaseShowCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: "Show a release ring by ring and region by region, and what it waits for",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := apiContext()
			defer cancel()
			client := newAPIClient(g)
			d, err := client.Release(ctx, args[0])
			if err != nil {
				return err
			}
			out := showRelease(ctx, client, d)
			return render(cmd.OutOrStdout(), g.output, out, func(w io.Writer) error { return writeReleaseShow(w, out, time.Now()) })
		},
	}
}

func newReleaseApproveCmd(g *globals) *cobra.Command {
	var ring, reason string
	c := &cobra.Command{
		Use:   "approve ID --ring RING [--reason TEXT]",
		Short: "Approve a ring of a release that waits for approval",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if ring == "" {
				return fmt.Errorf("release approve: --ring is required")
			}
			ctx, cancel := apiContext()
			defer cancel()
			d, err := newAPIClient(g).Approve(ctx, args[0], ring, reason)
			if err != nil {
				return err
			}
			return renderRelease(cmd.OutOrStdout(), g.output, d)
		},
	}
	c.Flags().StringVar(&ring, "ring", "", "ring to approve (required)")
	c.Flags().StringVar(&reason, "reason", "", "why")
	return c
}

// newReleaseReasonCmd builds abort and rollback, which need a reason.
func newReleaseReasonCmd(g *globals, verb, short string) *cobra.Command {
	var reason string
	c := &cobra.Command{
		Use:   verb + " ID --reason TEXT",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if reason == "" {
				return fmt.Errorf("release %s: --reason is required: say why", verb)
			}
			ctx, cancel := apiContext()
			defer cancel()
			client := newAPIClient(g)
			do := client.Abort
			if verb == "rollback" {
				do = client.Rollback
			}
			d, err := do(ctx, args[0], reason)
			if err != nil {
				return err
			}
			return renderRelease(cmd.OutOrStdout(), g.output, d)
		},
	}
	c.Flags().StringVar(&reason, "reason", "", "why (required)")
	return c
}

// renderRelease writes one release in the requested format.
func renderRelease(w io.Writer, output string, d *apiclient.ReleaseDetail) error {
	return render(w, output, d, func(w io.Writer) error { return writeRelease(w, d, time.Now()) })
}

// writeReleaseList renders releases one per line.
func writeReleaseList(w io.Writer, rels []*rings.Release, now time.Time) error {
	if len(rels) == 0 {
		fmt.Fprintln(w, "no releases")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tAPP\tVERSION\tSTATE\tCURRENT RING\tCREATED\tBY")
	for _, r := range rels {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.App, r.Version, r.State, currentRing(r), ago(r.CreatedAt, now), orDash(r.CreatedBy))
	}
	return tw.Flush()
}

// currentRing names the first ring not done, with its state.
func currentRing(r *rings.Release) string {
	for _, rp := range r.Rings {
		if rp.State != rings.RingDone {
			return rp.Name + " (" + string(rp.State) + ")"
		}
	}
	return "-"
}

// writeRelease renders one release: header, rings and regions, waits.
func writeRelease(w io.Writer, d *apiclient.ReleaseDetail, now time.Time) error {
	r := d.Release
	fmt.Fprintf(w, "Release:   %s\n", r.ID)
	fmt.Fprintf(w, "App:       %s %s (previous %s)\n", r.App, r.Version, orDash(r.PreviousVersion))
	fmt.Fprintf(w, "State:     %s\n", r.State)
	if r.Reason != "" {
		fmt.Fprintf(w, "Reason:    %s\n", r.Reason)
	}
	if r.BaselineRecorded() {
		fmt.Fprintf(w, "Baseline:  read from Git at %s, %s (what rollback writes back: PREVIOUS)\n", orDash(shortHash(r.BaselineCommit)), r.BaselineAt.UTC().Format(time.RFC3339))
	} else {
		fmt.Fprintln(w, "Baseline:  not read yet (it is read from Git right before the first promotion)")
	}
	fmt.Fprintf(w, "Priority:  %s\n", orDash(r.Priority))
	writeRisk(w, d)
	fmt.Fprintf(w, "Created:   %s by %s\n", r.CreatedAt.UTC().Format(time.RFC3339), orDash(r.CreatedBy))
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RING\tSTATE\tREGION\tPREVIOUS\tCOMMIT\tSYNCED\tHEALTHY\tOBSERVED\tCHECKS\tNOTE")
	for _, rp := range r.Rings {
		note := rp.Reason
		if rp.Approval != nil {
			note = "approved by " + rp.Approval.By
		}
		if rt := rp.Retry; rt != nil {
			// The last Git write failed and will be tried again.
			note = rt.Text() + "; next attempt " + rt.NextAttemptAt.UTC().Format(time.RFC3339)
		}
		if f := rp.RollbackFailure; f != nil {
			note = "rollback needs a person: " + f.Reason
		}
		for i, g := range rp.Regions {
			name, state := rp.Name, string(rp.State)
			if i > 0 {
				name, state = "", ""
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%t\t%t\t%s\t%s\t%s\n", name, state, g.Name, r.DescribePrevious(g.Name), orDash(g.Commit), g.Synced, g.Healthy, ago(g.ObservedAt, now),
				checksText(g), orDash(firstNonEmpty(rollbackText(g, now), firstNonEmpty(g.Reason, note))))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(d.Waits) > 0 {
		fmt.Fprintln(w, "\nWAITING FOR")
		for _, wt := range d.Waits {
			until := ""
			if !wt.Until.IsZero() {
				until = " (until " + wt.Until.UTC().Format(time.RFC3339) + ")"
			}
			fmt.Fprintf(w, "  %s %s: %s%s\n", orDash(wt.Ring), wt.Reason, wt.Detail, until)
		}
	}
	return nil
}

// checksText is a region's analysis record: "-" before any check, "ok"
// while its last check passed, else how many failed in a row and the last.
func checksText(g rings.RegionProgress) string {
	switch {
	case g.LastCheck == nil && g.ConsecutiveFailures == 0:
		return "-"
	case g.ConsecutiveFailures == 0:
		return "ok"
	case g.LastCheck == nil || g.LastCheck.Pass:
		return fmt.Sprintf("%d failed", g.ConsecutiveFailures)
	case g.LastCheck.Reason != "":
		return fmt.Sprintf("%d failed: %s: %s", g.ConsecutiveFailures, g.LastCheck.Check, g.LastCheck.Reason)
	default:
		return fmt.Sprintf("%d failed: %s = %g, want %s", g.ConsecutiveFailures, g.LastCheck.Check, g.LastCheck.Value, g.LastCheck.Threshold)
	}
}

// rollbackText says where a rolled-back region's rollback stands ("" when
// the region was not rolled back).
func rollbackText(g rings.RegionProgress, now time.Time) string {
	switch {
	case !g.RolledBack():
		return ""
	case g.RollbackVerified():
		return "rollback verified " + ago(g.RollbackVerifiedAt, now)
	case !g.RollbackFailedAt.IsZero():
		return "ROLLBACK FAILED " + ago(g.RollbackFailedAt, now) + ": " + orDash(g.Reason)
	default:
		return "rollback landed " + ago(g.RolledBackAt, now) + ", verifying: " + orDash(g.Reason)
	}
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// shortHash abbreviates a commit hash for a table.
func shortHash(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	return c
}
