package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
)

// The online commands (status, release, halt, resume, cluster) talk to a
// ringd node through apiclient.Client; this file holds what they share:
// the client built from the global flags and the output formats.

// apiTimeout bounds one online command.
const apiTimeout = 30 * time.Second

// newAPIClient returns a client for --server with --token.
func newAPIClient(g *globals) *apiclient.Client {
	c := apiclient.NewClient(g.server, g.token)
	// The server takes the identity from the token; only a server run with
	// --insecure-no-auth uses this name (RINGLEADER_ACTOR overrides it).
	c.Actor = envOr("RINGLEADER_ACTOR", os.Getenv("USER"))
	c.HTTP = tlsHTTPClient(g)
	return c
}

// apiContext is the context of one online command.
func apiContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), apiTimeout)
}

// render writes v as JSON or YAML, or calls table for -o table.
func render(w io.Writer, output string, v any, table func(io.Writer) error) error {
	switch output {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	case "yaml":
		return writeYAML(w, v)
	case "table", "":
		return table(w)
	}
	return fmt.Errorf("unknown output format %q; use table, json or yaml", output)
}

// writeYAML renders v as block YAML with the same field names and order as
// its JSON (JSON is YAML: it is parsed as a node tree and re-encoded).
func writeYAML(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var n yaml.Node
	if err := yaml.Unmarshal(b, &n); err != nil {
		return err
	}
	blockStyle(&n)
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// blockStyle clears the flow style JSON parsing left on every node.
func blockStyle(n *yaml.Node) {
	if n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode {
		n.Style = 0
	}
	if n.Kind == yaml.ScalarNode && n.Style == yaml.DoubleQuotedStyle {
		n.Style = 0
	}
	for _, c := range n.Content {
		blockStyle(c)
	}
}

// orDash shows an empty cell as "-".
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// ago renders a time relative to now for tables ("3m ago", "in 2h").
func ago(t, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := now.Sub(t).Round(time.Second)
	if d < 0 {
		return "in " + (-d).String()
	}
	return d.String() + " ago"
}
