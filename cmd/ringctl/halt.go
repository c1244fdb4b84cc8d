package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/rings"
)

// newHaltCmd builds `ringctl halt`: stop promotions now, by scope.
func newHaltCmd(g *globals) *cobra.Command {
	var req apiclient.HaltRequest
	c := &cobra.Command{
		Use:   "halt (--global | --region R | --ring R | --app A | --release ID)... --reason TEXT",
		Short: "Stop every promotion the scope covers, at once, until resumed",
		Long: `Place a halt. Scopes combine: --app checkout --region us-east-1 halts
promotions of checkout into us-east-1 only; --global halts everything.
The halt takes effect as soon as the command returns.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if req.Reason == "" {
				return fmt.Errorf("halt: --reason is required: say why")
			}
			if req.Empty() {
				return fmt.Errorf("halt: name a scope: --global, --region, --ring, --app or --release")
			}
			ctx, cancel := apiContext()
			defer cancel()
			h, err := newAPIClient(g).PlaceHalt(ctx, req)
			if err != nil {
				return err
			}
			return renderHalt(cmd.OutOrStdout(), g.output, h, "placed")
		},
	}
	c.Flags().BoolVar(&req.Global, "global", false, "halt everything, everywhere")
	c.Flags().StringArrayVar(&req.Regions, "region", nil, "halt promotions into this region (repeatable)")
	c.Flags().StringArrayVar(&req.Rings, "ring", nil, "halt promotions of this ring (repeatable)")
	c.Flags().StringArrayVar(&req.Apps, "app", nil, "halt promotions of this app (repeatable)")
	c.Flags().StringArrayVar(&req.Releases, "release", nil, "halt this release (repeatable)")
	c.Flags().StringVar(&req.Reason, "reason", "", "why (required)")
	return c
}

// newResumeCmd builds `ringctl resume HALT_ID --reason TEXT`.
func newResumeCmd(g *globals) *cobra.Command {
	var reason string
	c := &cobra.Command{
		Use:   "resume HALT_ID --reason TEXT",
		Short: "Lift a halt",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if reason == "" {
				return fmt.Errorf("resume: --reason is required: say why")
			}
			ctx, cancel := apiContext()
			defer cancel()
			h, err := newAPIClient(g).Resume(ctx, args[0], reason)
			if err != nil {
				return err
			}
			return renderHalt(cmd.OutOrStdout(), g.output, h, "resumed")
		},
	}
	c.Flags().StringVar(&reason, "reason", "", "why (required)")
	return c
}

// renderHalt writes a halt in the requested format.
func renderHalt(w io.Writer, output string, h *apiclient.HaltResponse, verb string) error {
	return render(w, output, h, func(w io.Writer) error {
		fmt.Fprintf(w, "halt %s %s: %s\n", h.ID, verb, scopeText(h.Scope))
		fmt.Fprintf(w, "  by %s at %s: %s\n", orDash(h.Author), h.CreatedAt.UTC().Format(time.RFC3339), h.Reason)
		if !h.Active() {
			fmt.Fprintf(w, "  resumed by %s at %s: %s\n", orDash(h.ResumedBy), h.ResumedAt.UTC().Format(time.RFC3339), h.ResumeReason)
		}
		if h.FenceError != "" {
			fmt.Fprintf(w, "  warning: the fence commit was not written yet (%s); the leader retries it\n", h.FenceError)
		}
		return nil
	})
}

// scopeText renders a halt scope the way the halt flags spell it: "global" or
// "app=checkout region=us-east-1".
func scopeText(s rings.HaltScope) string {
	if s.Global {
		return "global"
	}
	var parts []string
	for _, l := range s.Lists() {
		parts = append(parts, l.Kind+"="+strings.Join(l.Names, ","))
	}
	return strings.Join(parts, " ")
}
