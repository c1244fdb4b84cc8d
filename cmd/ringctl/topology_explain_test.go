package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// appPolicyTopology is the README's spec.apps[].policy example.
var appPolicyTopology = filepath.Join("testdata", "app-policy.yaml")

// checkGolden compares got with testdata/name, rewriting it under -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if updateGolden() {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run with -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("output differs from %s:\n%s", path, got)
	}
}

func TestTopologyExplainGolden(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ app, output, golden string }{
		{"payments", "text", "explain-payments.txt.golden"},
		{"payments", "json", "explain-payments.json.golden"},
		{"docs", "table", "explain-docs.txt.golden"},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			if err := runTopologyExplain(&out, tc.output, appPolicyTopology, tc.app); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, tc.golden, out.Bytes())
		})
	}
}

func TestTopologyExplainRefuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, file, app, want string }{
		{"no app", appPolicyTopology, "", "-f FILE and --app APP are required"},
		{"unknown app", appPolicyTopology, "ledger", `app "ledger" is not in testdata/app-policy.yaml (it has payments, docs)`},
		{"invalid topology", tvBadFile(t), "web", `unknown field "sok" in ring`},
	} {
		err := runTopologyExplain(&bytes.Buffer{}, "text", tc.file, tc.app)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to say %q", tc.name, err, tc.want)
		}
	}
}

// fakeTopology answers GET /v1/topology with top.
type fakeTopology struct{ top *topology.Topology }

func (f fakeTopology) Topology(context.Context) (*apiclient.TopologyResponse, error) {
	if f.top == nil {
		return nil, errors.New("403 Forbidden")
	}
	return &apiclient.TopologyResponse{Revision: "abc123", Topology: f.top}, nil
}

// TestReleaseShowPolicyGolden: release show ends with the app's effective
// policy in brief, app-set values marked, computed from the topology the
// server sends as JSON.
func TestReleaseShowPolicyGolden(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(appPolicyTopology)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := topology.Parse(appPolicyTopology, data)
	if err != nil {
		t.Fatal(err)
	}
	// What the client decodes is the JSON of the topology, not the file.
	js, err := json.Marshal(parsed)
	if err != nil {
		t.Fatal(err)
	}
	var top topology.Topology
	if err := json.Unmarshal(js, &top); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	for _, app := range []string{"payments", "docs"} {
		if err := showAppPolicy(context.Background(), fakeTopology{&top}, &out, "table", app); err != nil {
			t.Fatal(err)
		}
	}
	if err := showAppPolicy(context.Background(), fakeTopology{}, &out, "table", "docs"); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "release-show-policy.golden", out.Bytes())
	var none bytes.Buffer
	if err := showAppPolicy(context.Background(), fakeTopology{&top}, &none, "json", "docs"); err != nil || none.Len() != 0 {
		t.Errorf("-o json: err %v, wrote %q; want nothing added to the JSON", err, none.String())
	}
}

// TestREADMEShowsTheAppPolicyExample: the README's complete
// spec.apps[].policy example is the file the explain goldens are made from.
func TestREADMEShowsTheAppPolicyExample(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile(appPolicyTopology)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```yaml\n"+string(example)+"```\n") {
		t.Errorf("README.md does not hold %s verbatim in a yaml block: update one from the other", appPolicyTopology)
	}
}
