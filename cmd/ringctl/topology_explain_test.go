package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ringleader-dev/ringleader/internal/readmetest"
	"github.com/ringleader-dev/ringleader/rings/ringstest"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// appPolicyTopology is the README's spec.apps[].policy example.
var appPolicyTopology = filepath.Join("testdata", "app-policy.yaml")

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
			compareGolden(t, tc.golden, out.Bytes())
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

// TestReleaseShowPolicyGolden: release show gives the app's effective
// policy in brief, app-set values marked, computed from the topology the
// server sends as JSON.
func TestReleaseShowPolicyGolden(t *testing.T) {
	t.Parallel()
	// What the client decodes is the JSON of the topology, not the file.
	js, err := json.Marshal(ringstest.ParseFile(t, appPolicyTopology))
	if err != nil {
		t.Fatal(err)
	}
	var top topology.Topology
	if err := json.Unmarshal(js, &top); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	for _, app := range []string{"payments", "docs"} {
		out.WriteString("app " + app + ":")
		writePolicyBrief(&out, appPolicyBrief(&top, app))
	}
	compareGolden(t, "release-show-policy.golden", out.Bytes())
	var none bytes.Buffer
	writePolicyBrief(&none, appPolicyBrief(nil, "docs"))
	if none.Len() != 0 {
		t.Errorf("without a topology release show still wrote a policy: %q", none.String())
	}
}

// TestREADMEShowsTheAppPolicyExample: the README's complete
// spec.apps[].policy example is the file the explain goldens are made from.
func TestREADMEShowsTheAppPolicyExample(t *testing.T) {
	t.Parallel()
	readme := readmetest.Text(t)
	example, err := os.ReadFile(appPolicyTopology)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(readme, "```yaml\n"+string(example)+"```\n") {
		t.Errorf("README.md does not hold %s verbatim in a yaml block: update one from the other", appPolicyTopology)
	}
}
