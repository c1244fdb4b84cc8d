// Command ringctl is Ringleader's CLI: offline topology checks and plans, and
// the online commands that talk to a ringd cluster's HTTP API.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

// globals are the flags every command shares.
type globals struct {
	server string
	token  string
	output string
	// caCert, clientCert and clientKey configure TLS to an HTTPS API
	// (client.go).
	caCert, clientCert, clientKey string
}

// commands lists the command groups in the order help shows them; each is
// built in its own file.
var commands = []func(g *globals) *cobra.Command{
	newAuditCmd,
	newClusterCmd,
	newHaltCmd,
	newResumeCmd,
	newPlanCmd,
	newReleaseCmd,
	newStatusCmd,
	newTopologyCmd,
	newVerifyHistoryCmd,
}

func newRoot() *cobra.Command { return newRootWith(&globals{}) }

// newRootWith builds the command tree around g, which the flags fill in.
func newRootWith(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:           "ringctl",
		Short:         "Ringleader's command-line client",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&g.server, "server", envOr("RINGLEADER_ADDR", "http://127.0.0.1:7070"), "ringd HTTP address (env RINGLEADER_ADDR)")
	// The token's default stays empty so --help never prints a secret; the
	// environment is read after parsing instead.
	root.PersistentFlags().StringVar(&g.token, "token", "", "bearer token (env RINGLEADER_TOKEN)")
	root.PersistentFlags().StringVarP(&g.output, "output", "o", "table", "output format: table, json or yaml")
	root.PersistentFlags().StringVar(&g.caCert, "ca-cert", os.Getenv("RINGLEADER_CA_CERT"), "PEM CA bundle that signed ringd's HTTPS certificate (env RINGLEADER_CA_CERT)")
	root.PersistentFlags().StringVar(&g.clientCert, "client-cert", os.Getenv("RINGLEADER_CLIENT_CERT"), "PEM client certificate, when ringd requires one (env RINGLEADER_CLIENT_CERT)")
	root.PersistentFlags().StringVar(&g.clientKey, "client-key", os.Getenv("RINGLEADER_CLIENT_KEY"), "PEM key of --client-cert (env RINGLEADER_CLIENT_KEY)")
	root.PersistentPreRun = func(*cobra.Command, []string) {
		if g.token == "" {
			g.token = os.Getenv("RINGLEADER_TOKEN")
		}
	}
	for _, c := range commands {
		root.AddCommand(c(g))
	}
	return root
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// exitError carries an exit code without printing anything more.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

func main() {
	if err := newRoot().Execute(); err != nil {
		if e, ok := err.(exitError); ok {
			os.Exit(e.code)
		}
		fmt.Fprintln(os.Stderr, "ringctl:", err)
		os.Exit(1)
	}
}
