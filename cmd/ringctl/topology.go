package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/ringleader-dev/ringleader/rings/topology"
)

// newTopologyCmd builds `ringctl topology`, the offline topology checks.
func newTopologyCmd(g *globals) *cobra.Command {
	c := &cobra.Command{
		Use:   "topology",
		Short: "Check and explain topology files offline",
	}
	c.AddCommand(newTopologyValidateCmd(g))
	c.AddCommand(newTopologyExplainCmd(g))
	return c
}

// newTopologyValidateCmd builds `ringctl topology validate FILE`.
func newTopologyValidateCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE",
		Short: "Validate a topology file and list every problem with its line and column",
		Long: `Validate a topology file without contacting a server. A valid file prints a
one-line summary and exits 0. An invalid one prints every problem as
FILE:LINE:COL: message on standard error and exits 1. With -o json or -o yaml
the result is written to standard output as {file, valid, errors}.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTopologyValidate(cmd.OutOrStdout(), cmd.ErrOrStderr(), g.output, args[0])
		},
	}
}

// topologyResult is the -o json / -o yaml form of a validation.
type topologyResult struct {
	File   string            `json:"file" yaml:"file"`
	Valid  bool              `json:"valid" yaml:"valid"`
	Errors []topologyProblem `json:"errors" yaml:"errors"`
}

// topologyProblem is one located problem of a topology file.
type topologyProblem struct {
	Line    int    `json:"line" yaml:"line"`
	Col     int    `json:"col" yaml:"col"`
	Message string `json:"message" yaml:"message"`
}

// runTopologyValidate validates file and reports in the requested format.
// It returns exitError{1} after reporting an invalid file.
func runTopologyValidate(stdout, stderr io.Writer, output, file string) error {
	switch output {
	case "table", "json", "yaml":
	default:
		return fmt.Errorf("topology validate: unknown output format %q; use table, json or yaml", output)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("topology validate: read %s: %w", file, err)
	}
	top, err := topology.Parse(file, data)
	var verrs topology.ValidationErrors
	if err != nil && !errors.As(err, &verrs) {
		return fmt.Errorf("topology validate: %w", err)
	}
	res := topologyResult{File: file, Valid: err == nil, Errors: []topologyProblem{}}
	for _, e := range verrs {
		res.Errors = append(res.Errors, topologyProblem{Line: e.Line, Col: e.Col, Message: e.Msg})
	}
	switch output {
	case "json":
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return fmt.Errorf("topology validate: write result: %w", err)
		}
	case "yaml":
		enc := yaml.NewEncoder(stdout)
		enc.SetIndent(2)
		if err := enc.Encode(res); err != nil {
			return fmt.Errorf("topology validate: write result: %w", err)
		}
		if err := enc.Close(); err != nil {
			return fmt.Errorf("topology validate: write result: %w", err)
		}
	default:
		if res.Valid {
			s := top.Spec
			fmt.Fprintf(stdout, "%s: valid (%d regions, %d rings, %d apps)\n", file, len(s.Regions), len(s.Rings), len(s.Apps))
		}
		for _, e := range verrs {
			fmt.Fprintln(stderr, e.Error())
		}
	}
	if !res.Valid {
		return exitError{1}
	}
	return nil
}
