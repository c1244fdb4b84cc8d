package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestHelpNeverShowsTheToken: a token in the environment must not appear as
// a flag default in help output (people paste help into tickets).
func TestHelpNeverShowsTheToken(t *testing.T) {
	const secret = "help-must-not-show-this-7f3a"
	t.Setenv("RINGLEADER_TOKEN", secret)
	for _, args := range [][]string{{"--help"}, {"status", "--help"}, {"halt", "--help"}} {
		root := newRoot()
		var out bytes.Buffer
		root.SetOut(&out)
		root.SetErr(&out)
		root.SetArgs(args)
		if err := root.Execute(); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		if !strings.Contains(out.String(), "RINGLEADER_TOKEN") {
			t.Fatalf("%v: help does not mention RINGLEADER_TOKEN:\n%s", args, out.String())
		}
		if strings.Contains(out.String(), secret) {
			t.Errorf("%v: help output contains the token", args)
		}
	}
}

// TestTokenComesFromTheEnvironment: with no --token, RINGLEADER_TOKEN is used
// after flag parsing; --token wins when both are given.
func TestTokenComesFromTheEnvironment(t *testing.T) {
	t.Setenv("RINGLEADER_TOKEN", "from-env")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"topology", "validate", "../../manifests/examples/rings.yaml"}, "from-env"},
		{[]string{"--token", "from-flag", "topology", "validate", "../../manifests/examples/rings.yaml"}, "from-flag"},
	} {
		g := &globals{}
		root := newRootWith(g)
		root.SetOut(&bytes.Buffer{})
		root.SetErr(&bytes.Buffer{})
		root.SetArgs(tc.args)
		if err := root.Execute(); err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		if got := g.token; got != tc.want {
			t.Errorf("%v: token %q, want %q", tc.args, g.token, tc.want)
		}
	}
}
