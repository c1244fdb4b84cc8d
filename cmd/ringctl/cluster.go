package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
)

// newClusterCmd builds `ringctl cluster members|join|remove`.
func newClusterCmd(g *globals) *cobra.Command {
	c := &cobra.Command{Use: "cluster", Short: "Inspect and change the ringd cluster's membership"}
	c.AddCommand(
		membersCmd(g, "members", "List the cluster's servers and the leader", cobra.NoArgs,
			func(ctx context.Context, api *apiclient.Client, _ []string) ([]apiclient.Member, error) {
				return api.Members(ctx)
			}),
		membersCmd(g, "join ID RAFT_ADDR HTTP_ADDR", "Add a server (already running) to the cluster as a voter", cobra.ExactArgs(3),
			func(ctx context.Context, api *apiclient.Client, args []string) ([]apiclient.Member, error) {
				return api.Join(ctx, apiclient.JoinRequest{ID: args[0], RaftAddr: args[1], HTTPAddr: args[2]})
			}),
		membersCmd(g, "remove ID", "Remove a server from the cluster", cobra.ExactArgs(1),
			func(ctx context.Context, api *apiclient.Client, args []string) ([]apiclient.Member, error) {
				return api.Remove(ctx, args[0])
			}),
	)
	return c
}

// membersCmd builds a cluster subcommand that calls the API once and prints
// the membership the call returns.
func membersCmd(g *globals, use, short string, args cobra.PositionalArgs,
	call func(ctx context.Context, api *apiclient.Client, args []string) ([]apiclient.Member, error)) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  args,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := apiContext()
			defer cancel()
			ms, err := call(ctx, newAPIClient(g), args)
			if err != nil {
				return err
			}
			return renderMembers(cmd.OutOrStdout(), g.output, ms)
		},
	}
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
