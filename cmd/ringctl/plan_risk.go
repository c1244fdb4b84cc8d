package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/planner"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// The error-budget cost of a release (rings.CostOfRelease), for
// `ringctl plan --risk` and `ringctl release show`.

// riskData is what a server knows about an app that the cost needs: its
// failure history and its measured budgets. Offline is the zero value.
type riskData struct {
	online  bool
	history rings.ReleaseHistory
	budgets map[string]rings.Budget
}

// riskFetcher reads an app's riskData; nil plans offline.
type riskFetcher func(ctx context.Context, app string) (riskData, error)

// serverRisk reads an app's history (the releases the state keeps and the
// outcomes in the audit trail) and budgets from the server of c.
func serverRisk(c *apiclient.Client) riskFetcher {
	return func(ctx context.Context, app string) (riskData, error) {
		rels, err := c.Releases(ctx, app)
		if err != nil {
			return riskData{}, fmt.Errorf("read the releases of %s: %w", app, err)
		}
		var entries []apiclient.AuditEntry
		for _, typ := range apiclient.OutcomeTypes {
			list, err := c.Audit(ctx, apiclient.AuditQuery{Type: typ, Limit: apiclient.MaxAuditLimit})
			if err != nil {
				return riskData{}, fmt.Errorf("read the history of %s: %w", app, err)
			}
			entries = append(entries, list.Entries...)
		}
		st, err := c.Status(ctx, false)
		if err != nil {
			return riskData{}, fmt.Errorf("read the error budgets of %s: %w", app, err)
		}
		return riskData{online: true, history: rings.AppHistory(app, rels, apiclient.ReleaseOutcomes(entries)), budgets: st.Budgets}, nil
	}
}

// releaseCost is the cost of releasing app, scored risk (nil: not scored),
// as top and d say.
func releaseCost(top *topology.Topology, app string, risk *topology.DREAD, d riskData) rings.ReleaseCost {
	var override *float64
	if a, ok := top.AppByName(app); ok && a.Risk != nil {
		override = a.Risk.FailureRate
	}
	var budgets map[string]rings.Budget
	if d.online {
		budgets = d.budgets
		if budgets == nil {
			budgets = map[string]rings.Budget{}
		}
	}
	return rings.CostOfRelease(top, app, risk, rings.ChooseFailureRate(override, d.history, !d.online), budgets)
}

// writeRiskTable renders a cost for people: the failure rate and where it
// came from, each ring's time at risk and cost, the budget it takes and
// the releases of this kind the budget allows.
func writeRiskTable(w io.Writer, c rings.ReleaseCost) error {
	fmt.Fprintln(w, "\nError-budget cost = failure rate × time at risk × exposure")
	fmt.Fprintf(w, "Failure rate: %s (%s)\n\n", planner.Percent(c.FailureRate.Rate*100), failureRateText(c.FailureRate))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RING\tEXPOSURE\tSOAK\tDETECTION\tROLLBACK\tTIME AT RISK\tCOST")
	for _, r := range c.Rings {
		tr := r.TimeAtRisk
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Ring, planner.Percent(r.Exposure*100), durText(tr.Soak), durText(tr.Detection), durText(tr.Rollback), durText(tr.Total()), secondsText(r.CostSeconds))
	}
	fmt.Fprintf(tw, "total\t\t\t\t\t\t%s\n", secondsText(c.TotalSeconds))
	if err := tw.Flush(); err != nil {
		return err
	}
	if c.Budget == nil {
		fmt.Fprintln(w, "\nNo errorBudget policy: the cost is not compared with a budget.")
		return nil
	}
	fmt.Fprintf(w, "\nBudget: %s over %s allows %s (%s min) of failure\n", planner.Percent(c.SLO*100), durText(time.Duration(c.WindowSeconds*float64(time.Second))),
		secondsText(c.WholeBudgetSeconds), strconv.FormatFloat(c.WholeBudgetSeconds/60, 'f', -1, 64))
	fmt.Fprintf(w, "Remaining: %s, %s; this release costs %s of it; it allows %s of this kind this window\n",
		secondsText(c.Budget.RemainingSeconds), measuredText(c.Budget.Measured), shareText(c.Budget), allowedText(c.Budget.ReleasesAllowed))
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REGION\tRING\tTRAFFIC\tCOST\tREMAINING\tOF REMAINING\tRELEASES ALLOWED")
	for _, g := range c.Regions {
		b := g.Budget
		remaining := secondsText(b.RemainingSeconds)
		if !b.Measured {
			remaining += " (assumed)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", g.Region, g.Ring, planner.Percent(g.TrafficShare*100), secondsText(g.CostSeconds), remaining, shareText(b), allowedText(b.ReleasesAllowed))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if c.Tightest != "" {
		fmt.Fprintf(w, "Tightest budget: %s\n", c.Tightest)
	}
	return nil
}

// failureRateText says where a failure rate came from.
func failureRateText(fr rings.FailureRate) string {
	history := fmt.Sprintf("%d of %d finished releases failed or were rolled back", fr.History.Failed, fr.History.Finished)
	switch {
	case fr.Source == rings.FailureRateOverride && fr.Offline:
		return "risk.failureRate of the app; offline, its history was not read"
	case fr.Source == rings.FailureRateOverride:
		return "risk.failureRate of the app; measured: " + history
	case fr.Offline:
		return "the floor; offline, the app's history was not read: pass --server to read it, or set risk.failureRate"
	case fr.Source == rings.FailureRateMeasured:
		return "measured: " + history
	}
	return "the floor: " + history
}

func measuredText(measured bool) string {
	if measured {
		return "measured"
	}
	return "assumed whole (not measured)"
}

func shareText(b *rings.BudgetShare) string {
	if b.Spent {
		return "all (the budget is spent)"
	}
	return planner.Percent(b.ShareOfRemaining * 100)
}

func allowedText(n int64) string {
	if n < 0 {
		return "any number of releases"
	}
	return thousands(n) + " " + map[bool]string{true: "release", false: "releases"}[n == 1]
}

// thousands renders n with a comma every three digits: 4,320.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// secondsText renders seconds of budget with at most two decimals: "0.9 s".
func secondsText(v float64) string {
	return strings.TrimSuffix(strings.TrimRight(strconv.FormatFloat(v, 'f', 2, 64), "0"), ".") + " s"
}

// durText renders a duration without zero minutes or seconds: "4h",
// "4h7m", "30s", "0s".
func durText(d time.Duration) string {
	s := topology.Duration(d).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// planOutput is what ringctl plan writes: the timeline, and with --risk
// the cost.
type planOutput struct {
	planner.Timeline
	Risk *rings.ReleaseCost `json:"risk,omitempty"`
}

// planRisk computes the cost of the planned release, scored score,
// offline unless f has a fetcher.
func planRisk(top *topology.Topology, f *planFlags, score *topology.DREAD) (rings.ReleaseCost, error) {
	var d riskData
	if f.fetch != nil {
		ctx, cancel := apiContext()
		defer cancel()
		var err error
		if d, err = f.fetch(ctx, f.app); err != nil {
			return rings.ReleaseCost{}, fmt.Errorf("risk: %w (leave out --server to plan offline)", err)
		}
	}
	return releaseCost(top, f.app, score, d), nil
}

// writePlan renders the timeline, then the cost when there is one.
func writePlan(w io.Writer, top *topology.Topology, out planOutput, from time.Time) error {
	if err := writePlanTable(w, top, out.Timeline, from); err != nil {
		return err
	}
	if out.Risk == nil {
		return nil
	}
	return writeRiskTable(w, *out.Risk)
}
