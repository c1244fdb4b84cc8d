package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
)

// newClusterCmd builds `ringctl cluster members|join|remove`.
func newClusterCmd(g *globals) *cobra.Command {
	c := &cobra.Command{Use: "cluster", Short: "Inspect and change the ringd cluster's membership"}
	c.AddCommand(
		&cobra.Command{
			Use:   "members",
			Short: "List the cluster's servers and the leader",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				ctx, cancel := apiContext()
				defer cancel()
				ms, err := newAPIClient(g).Members(ctx)
				if err != nil {
					return err
				}
				return renderMembers(cmd.OutOrStdout(), g.output, ms)
			},
		},
		&cobra.Command{
			Use:   "join ID RAFT_ADDR HTTP_ADDR",
			Short: "Add a server (already running) to the cluster as a voter",
			Args:  cobra.ExactArgs(3),
			RunE: func(cmd *cobra.Command, args []string) error {
				ctx, cancel := apiContext()
				defer cancel()
				ms, err := newAPIClient(g).Join(ctx, apiclient.JoinRequest{ID: args[0], RaftAddr: args[1], HTTPAddr: args[2]})
				if err != nil {
					return err
				}
				return renderMembers(cmd.OutOrStdout(), g.output, ms)
			},
		},
		&cobra.Command{
			Use:   "remove ID",
			Short: "Remove a server from the cluster",
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				ctx, cancel := apiContext()
				defer cancel()
				ms, err := newAPIClient(g).Remove(ctx, args[0])
				if err != nil {
					return err
				}
				return renderMembers(cmd.OutOrStdout(), g.output, ms)
			},
		},
	)
	return c
}

// renderMembers writes the member list in the requested format.
func renderMembers(w io.Writer, output string, ms []apiclient.Member) error {
	return render(w, output, apiclient.MemberList{Members: ms}, func(w io.Writer) error {
		if len(ms) == 0 {
			_, err := fmt.Fprintln(w, "no members")
			return err
		}
		return writeMembers(w, ms)
	})
}
