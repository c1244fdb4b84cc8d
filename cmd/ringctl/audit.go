package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/coordinator/command"
)

// newAuditCmd builds `ringctl audit`.
func newAuditCmd(g *globals) *cobra.Command {
	var (
		q            apiclient.AuditQuery
		since, until string
		typ          string
	)
	c := &cobra.Command{
		Use:   "audit [--actor NAME] [--type TYPE] [--since 1h|RFC3339] [--until RFC3339] [--limit N]",
		Short: "Show the audit trail: who did what, when, from where and why",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			now := time.Now()
			var err error
			if q.Since, err = parseWhen("--since", since, now); err != nil {
				return err
			}
			if q.Until, err = parseWhen("--until", until, now); err != nil {
				return err
			}
			q.Type = command.Type(typ)
			ctx, cancel := apiContext()
			defer cancel()
			list, err := newAPIClient(g).Audit(ctx, q)
			if err != nil {
				return err
			}
			return render(cmd.OutOrStdout(), g.output, list, func(w io.Writer) error { return writeAudit(w, list.Entries) })
		},
	}
	c.Flags().StringVar(&q.Actor, "actor", "", "only this identity (ringleader: the leader loop)")
	c.Flags().StringVar(&typ, "type", "", "only this command type, e.g. halt.place")
	c.Flags().StringVar(&since, "since", "", "only entries at or after this time: RFC 3339, or a duration ago such as 2h")
	c.Flags().StringVar(&until, "until", "", "only entries at or before this time: RFC 3339, or a duration ago")
	c.Flags().IntVar(&q.Limit, "limit", apiclient.DefaultAuditLimit, "the most recent N entries")
	return c
}

// parseWhen reads an RFC 3339 time or a duration before now ("" is zero).
func parseWhen(flag, s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return time.Time{}, fmt.Errorf("%s %q: use an RFC 3339 time (2026-11-24T10:00:00Z) or a duration ago (90m)", flag, s)
	}
	return now.Add(-d), nil
}

// writeAudit renders entries as a table, oldest first.
func writeAudit(w io.Writer, entries []apiclient.AuditEntry) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tACTOR\tROLE\tTYPE\tDETAILS\tREASON\tSOURCE")
	for _, e := range entries {
		var d []string
		for _, k := range slices.Sorted(maps.Keys(e.Details)) {
			d = append(d, k+"="+e.Details[k])
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.At.UTC().Format(time.RFC3339), e.Actor, orDash(e.Role), e.Type,
			orDash(strings.Join(d, " ")), orDash(oneLine(e.Reason)), orDash(e.Source))
	}
	return tw.Flush()
}

// oneLine keeps a table row on one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
