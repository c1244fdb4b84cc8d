package main

import (
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ringleader-dev/ringleader/internal/gitops"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// newVerifyHistoryCmd checks a GitOps branch's history against Ringleader's
// guarantees: ring order and soak, exactly once, and the halt fence.
func newVerifyHistoryCmd(g *globals) *cobra.Command {
	var (
		repo, branch, topologyFile string
		auth                       gitops.Auth
	)
	cmd := &cobra.Command{
		Use:   "verify-history --repo URL [--branch B] [--topology FILE]",
		Short: "Check a GitOps branch's history for ring-order, duplicate and halt-fence violations",
		Long: "verify-history clones the branch into a temporary directory and reports every promotion\n" +
			"commit that broke ring order or soak, duplicated a promotion ID, or landed while the halt\n" +
			"fence covered it. It exits 1 when it finds a violation.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if repo == "" {
				return fmt.Errorf("--repo is required (the GitOps repository URL)")
			}
			opts := gitops.VerifyOptions{URL: repo, Branch: branch, Auth: auth}
			if topologyFile != "" {
				data, err := os.ReadFile(topologyFile)
				if err != nil {
					return fmt.Errorf("read topology: %w", err)
				}
				top, err := topology.Parse(topologyFile, data)
				if err != nil {
					return fmt.Errorf("topology %s: %w", topologyFile, err)
				}
				opts.Topology = top
			}
			rep, err := gitops.VerifyHistory(cmd.Context(), opts)
			if err != nil {
				return err
			}
			if err := printVerifyReport(cmd, g.output, rep); err != nil {
				return err
			}
			if !rep.OK() {
				return exitError{code: 1}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&repo, "repo", "", "GitOps repository URL")
	f.StringVar(&branch, "branch", "main", "branch to verify")
	f.StringVar(&topologyFile, "topology", "", "topology file giving ring order and soak windows (optional)")
	f.StringVar(&auth.Username, "git-username", "", "HTTPS username")
	f.StringVar(&auth.PasswordEnv, "git-password-env", "", "environment variable holding the HTTPS password or token")
	f.StringVar(&auth.PasswordFile, "git-password-file", "", "file holding the HTTPS password or token")
	f.StringVar(&auth.SSHKeyFile, "ssh-key-file", "", "SSH private key file")
	f.StringVar(&auth.SSHKnownHostsFile, "ssh-known-hosts", "", "SSH known_hosts file")
	return cmd
}

func printVerifyReport(cmd *cobra.Command, output string, rep *gitops.VerifyReport) error {
	return render(cmd.OutOrStdout(), output, rep, func(out io.Writer) error {
		if len(rep.Violations) > 0 {
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "KIND\tCOMMIT\tPROMOTION\tRELEASE\tRING\tDETAIL")
			for _, v := range rep.Violations {
				fmt.Fprintf(tw, "%s\t%.12s\t%s\t%s\t%s\t%s\n", v.Kind, v.Commit, v.PromotionID, v.Release, v.Ring, v.Detail)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
		}
		_, err := fmt.Fprintln(out, rep.Summary())
		return err
	})
}
