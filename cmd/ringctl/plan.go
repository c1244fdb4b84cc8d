package main

import (
	"cmp"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ringleader-dev/ringleader/rings/planner"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// planFlags are the flags of ringctl plan.
type planFlags struct {
	file     string
	app      string
	version  string
	from     string
	priority string
	// risk adds the error-budget cost (plan_risk.go), with the app's
	// history and budgets from fetch, or offline when fetch is nil.
	risk  bool
	fetch riskFetcher
	// dread is the release's DREAD score ("" for the app's default).
	dread string
}

// newPlanCmd builds `ringctl plan`: an offline projection of when each ring
// and region of a topology file would receive a version.
func newPlanCmd(g *globals) *cobra.Command {
	f := &planFlags{}
	c := &cobra.Command{
		Use:   "plan -f FILE --app APP --version V [--from RFC3339] [--priority P]",
		Short: "Project when each ring and region would receive a version",
		Long: `Project a rollout offline from a topology file: when each ring and region
would start and when each ring finishes soaking, assuming every check passes
and every approval comes at once. Windows, freezes and soak times are those
of the file; nothing is sent to a server.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.risk && (cmd.Flags().Changed("server") || os.Getenv("RINGLEADER_ADDR") != "") {
				f.fetch = serverRisk(newAPIClient(g))
			}
			return runPlan(cmd.OutOrStdout(), g.output, f, time.Now())
		},
	}
	c.Flags().StringVarP(&f.file, "file", "f", "", "topology file (required)")
	c.Flags().StringVar(&f.app, "app", "", "app to release (required)")
	c.Flags().StringVar(&f.version, "version", "", "version to release (required)")
	c.Flags().StringVar(&f.from, "from", "", "when the release is created, RFC 3339 (default now)")
	c.Flags().StringVar(&f.priority, "priority", topology.PriorityNormal, "release priority: normal, P0, security or reliability")
	c.Flags().StringVar(&f.dread, "dread", "", "the release's "+riskFlagHelp+" (default: the app's spec.apps[].risk.dread); its risk tier may add approvals and lengthen soaks")
	c.Flags().BoolVar(&f.risk, "risk", false, "add the expected error-budget cost per ring and in total; with --server (or RINGLEADER_ADDR) the app's history and budgets are read from it")
	return c
}

// runPlan reads the topology, projects the rollout and writes it in the
// requested format. now is the default for --from.
func runPlan(w io.Writer, output string, f *planFlags, now time.Time) error {
	for _, req := range []struct{ name, val string }{{"-f", f.file}, {"--app", f.app}, {"--version", f.version}} {
		if strings.TrimSpace(req.val) == "" {
			return fmt.Errorf("plan: %s is required", req.name)
		}
	}
	from := now
	if f.from != "" {
		t, err := time.Parse(time.RFC3339, f.from)
		if err != nil {
			return fmt.Errorf("plan: --from %q is not an RFC 3339 time such as 2026-12-04T15:00:00Z: %w", f.from, err)
		}
		from = t
	}
	data, err := os.ReadFile(f.file)
	if err != nil {
		return fmt.Errorf("plan: read topology: %w", err)
	}
	top, err := topology.Parse(f.file, data)
	if err != nil {
		return fmt.Errorf("plan: %w", err)
	}
	var score *topology.DREAD
	if f.dread != "" {
		d, err := topology.ParseDREAD(f.dread)
		if err != nil {
			return fmt.Errorf("plan: --dread: %w", err)
		}
		score = &d
	}
	score = cmp.Or(score, top.DefaultRisk(f.app)) // the one score plan and cost use
	tl, err := planner.Project(top, f.app, f.version, f.priority, score, from)
	if err != nil {
		return fmt.Errorf("plan: %w", err)
	}
	out := planOutput{Timeline: tl}
	if f.risk {
		cost, err := planRisk(top, f, score)
		if err != nil {
			return fmt.Errorf("plan: %w", err)
		}
		out.Risk = &cost
	}
	return render(w, output, out, func(w io.Writer) error { return writePlan(w, top, out, from) })
}

// writePlanTable renders a timeline for people: one row per region with its
// start on its own wall clock and in UTC, then what each ring waited for.
func writePlanTable(w io.Writer, top *topology.Topology, tl planner.Timeline, from time.Time) error {
	fmt.Fprintf(w, "%s %s from %s\n", tl.App, tl.Version, from.UTC().Format(time.RFC3339))
	if tl.RiskTier != nil {
		fmt.Fprintf(w, "risk: %s\n", tl.RiskTier.Why)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RING\tREGION\tLOCAL START\tUTC START\tWAITED FOR\tSOAKED AT (UTC)\tAPPROVAL\tEXPOSURE")
	for _, r := range tl.Rings {
		for i, g := range r.Regions {
			local := g.Start
			if region, ok := top.RegionByName(g.Name); ok && region.Location != nil {
				local = g.Start.In(region.Location)
			}
			waits := strings.Join(g.Waits, ", ")
			if waits == "" {
				waits = "-"
			}
			ring := ""
			if i == 0 {
				ring = r.Name
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s", ring, g.Name, local.Format("Mon 2006-01-02 15:04 MST"), g.Start.UTC().Format("Mon 2006-01-02 15:04"), waits)
			if i == 0 {
				fmt.Fprintf(tw, "\t%s\t%s\t%s", r.SoakedAt.UTC().Format("Mon 2006-01-02 15:04"), r.Approval, planner.Percent(r.Exposure*100))
			}
			fmt.Fprintln(tw)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range tl.Rings {
		if len(r.Waits) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s waited for:\n", r.Name)
		for _, wt := range r.Waits {
			fmt.Fprintf(w, "  - %s\n", wt)
		}
	}
	return nil
}
