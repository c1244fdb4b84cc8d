package main

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/ringleader-dev/ringleader/rings"
)

// writeBudgets renders the latest error budget of each app in each region,
// by app then region. A figure recorded before budgets were kept per app
// has no app; it is shown with app "-" and gates nothing.
func writeBudgets(w io.Writer, budgets map[string]rings.Budget, now time.Time) error {
	list := make([]rings.Budget, 0, len(budgets))
	for _, b := range budgets {
		list = append(list, b)
	}
	slices.SortFunc(list, func(x, y rings.Budget) int {
		return cmp.Or(cmp.Compare(x.App, y.App), cmp.Compare(x.Region, y.Region))
	})
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "APP\tREGION\tREMAINING\tMEASURED")
	for _, b := range list {
		fmt.Fprintf(tw, "%s\t%s\t%.1f%% (%s)\t%s\n", orDash(b.App), b.Region, b.RemainingPercent,
			(time.Duration(b.RemainingSeconds) * time.Second).Round(time.Second), ago(b.At, now))
	}
	return tw.Flush()
}
