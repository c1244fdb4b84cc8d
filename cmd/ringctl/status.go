package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
)

// newStatusCmd builds `ringctl status`.
func newStatusCmd(g *globals) *cobra.Command {
	var all bool
	c := &cobra.Command{
		Use:   "status",
		Short: "Show the cluster, the releases in flight and what they wait for, and the active halts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := apiContext()
			defer cancel()
			st, err := newAPIClient(g).Status(ctx, all)
			if err != nil {
				return err
			}
			return render(cmd.OutOrStdout(), g.output, st, func(w io.Writer) error { return writeStatus(w, st, time.Now()) })
		},
	}
	c.Flags().BoolVar(&all, "all", false, "include finished releases")
	return c
}

// writeStatus renders the status for people.
func writeStatus(w io.Writer, st *apiclient.Status, now time.Time) error {
	if len(st.Attention) > 0 {
		fmt.Fprintln(w, "ATTENTION: a rollback did not verify; its regions stay halted until you resume them")
		for _, a := range st.Attention {
			fmt.Fprintf(w, "  %s (%s %s) %s %s in %s, halted by %s: %s\n", a.ReleaseID, a.App, a.Version, a.State, ago(a.Since, now),
				strings.Join(a.Regions, ", "), strings.Join(a.Halts, ", "), a.Reason)
		}
		fmt.Fprintln(w)
	}
	leader := "none known"
	if st.Leader.ID != "" {
		leader = st.Leader.ID + " (" + orDash(st.Leader.HTTPAddr) + ")"
		if st.Leader.Term > 0 {
			leader += fmt.Sprintf(" term %d", st.Leader.Term)
		}
	}
	fmt.Fprintf(w, "Leader:    %s\n", leader)
	fmt.Fprintf(w, "Topology:  %s\n", orDash(st.TopologyRevision))
	if rej := st.TopologyRejected; rej != nil {
		fmt.Fprintf(w, "Rejected:  revision %s (%s), %s; the revision above stays in force:\n", orDash(rej.Revision), orDash(rej.Path), ago(rej.At, now))
		for _, e := range rej.Errors {
			fmt.Fprintf(w, "           %s\n", e)
		}
	}
	fmt.Fprintf(w, "Applied:   %d\n", st.AppliedIndex)
	if st.MembersError != "" {
		fmt.Fprintf(w, "Members:   unknown (%s)\n", st.MembersError)
	} else {
		fmt.Fprintln(w, "\nMEMBERS")
		if err := writeMembers(w, st.Members); err != nil {
			return err
		}
	}

	fmt.Fprintln(w, "\nHALTS")
	if len(st.Halts) == 0 {
		fmt.Fprintln(w, "  none")
	} else {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSCOPE\tBY\tSINCE\tREASON")
		for _, h := range st.Halts {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", h.ID, scopeText(h.Scope), orDash(h.Author), ago(h.CreatedAt, now), h.Reason)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}

	if len(st.Budgets) > 0 {
		fmt.Fprintln(w, "\nERROR BUDGETS")
		if err := writeBudgets(w, st.Budgets, now); err != nil {
			return err
		}
	}

	fmt.Fprintln(w, "\nRELEASES")
	if len(st.Releases) == 0 {
		fmt.Fprintln(w, "  none in flight")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tRINGS\tWAITING FOR")
	for _, r := range st.Releases {
		var rs []string
		for _, ring := range r.Rings {
			rs = append(rs, ring.Name+"="+string(ring.State))
		}
		var ws []string
		for _, wt := range r.Waits {
			s := string(wt.Reason)
			if wt.Ring != "" {
				s = wt.Ring + ": " + s
			}
			if !wt.Until.IsZero() {
				s += " until " + wt.Until.UTC().Format(time.RFC3339)
			}
			ws = append(ws, s)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.State, strings.Join(rs, " "), orDash(strings.Join(ws, "; ")))
	}
	return tw.Flush()
}

// writeMembers renders the member table.
func writeMembers(w io.Writer, ms []apiclient.Member) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tRAFT\tHTTP\tVOTER\tLEADER")
	for _, m := range ms {
		leader := ""
		if m.Leader {
			leader = "*"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%t\t%s\n", m.ID, m.RaftAddr, orDash(m.HTTPAddr), m.Voter, leader)
	}
	return tw.Flush()
}
