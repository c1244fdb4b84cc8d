package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tvExample is the canonical example topology.
var tvExample = filepath.Join("..", "..", "manifests", "examples", "rings.yaml")

// tvBadDoc has three problems on known lines.
const tvBadDoc = `apiVersion: ringleader.dev/v1alpha1
kind: Topology
metadata: {name: shop}
spec:
  gitops: {repo: https://git.example.com/deploy.git}
  regions:
    - {name: r1, timezone: UTC}
    - {name: r2, timezone: Mars/Olympus}
  rings:
    - {name: a, regions: [r1, r2], sok: 1h}
  apps: [{name: web, targets: [{file: f.yaml, yamlPath: a.b}]}]
`

// tvRun runs ringctl with args and returns its exit code, stdout and stderr
// as main would produce them.
func tvRun(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	root := newRoot()
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetArgs(args)
	err := root.Execute()
	var ee exitError
	switch {
	case err == nil:
		code = 0
	case errors.As(err, &ee):
		code = ee.code
	default:
		code = 1
		errb.WriteString("ringctl: " + err.Error() + "\n")
	}
	return code, out.String(), errb.String()
}

// tvBadFile writes tvBadDoc to a temporary file.
func tvBadFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(path, []byte(tvBadDoc), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestTopologyValidateExample(t *testing.T) {
	code, out, errOut := tvRun(t, "topology", "validate", tvExample)
	if code != 0 || out != tvExample+": valid (4 regions, 3 rings, 2 apps)\n" || errOut != "" {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestTopologyValidateBadFile(t *testing.T) {
	path := tvBadFile(t)
	code, out, errOut := tvRun(t, "topology", "validate", path)
	want := strings.Join([]string{
		path + `:8:28: unknown time zone "Mars/Olympus": use an IANA name such as "Europe/Dublin" or "UTC" (in region "r2")`,
		path + `:10:36: unknown field "sok" in ring; did you mean "soak"?`,
		"",
	}, "\n")
	if code != 1 || out != "" || errOut != want {
		t.Errorf("exit %d, stdout %q\nstderr:\n%s\nwant stderr:\n%s", code, out, errOut, want)
	}
}

func TestTopologyValidateJSON(t *testing.T) {
	path := tvBadFile(t)
	cases := []struct {
		name     string
		file     string
		wantCode int
		want     topologyResult
	}{
		{"valid", tvExample, 0, topologyResult{File: tvExample, Valid: true, Errors: []topologyProblem{}}},
		{"invalid", path, 1, topologyResult{File: path, Valid: false, Errors: []topologyProblem{
			{Line: 8, Col: 28, Message: `unknown time zone "Mars/Olympus": use an IANA name such as "Europe/Dublin" or "UTC" (in region "r2")`},
			{Line: 10, Col: 36, Message: `unknown field "sok" in ring; did you mean "soak"?`},
		}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := tvRun(t, "-o", "json", "topology", "validate", tc.file)
			var got topologyResult
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("stdout is not JSON: %v\n%s", err, out)
			}
			gotJSON, _ := json.Marshal(got)
			wantJSON, _ := json.Marshal(tc.want)
			if code != tc.wantCode || string(gotJSON) != string(wantJSON) || errOut != "" {
				t.Errorf("exit %d (want %d), stderr %q\n got %s\nwant %s", code, tc.wantCode, errOut, gotJSON, wantJSON)
			}
		})
	}
}

func TestTopologyValidateJSONShape(t *testing.T) {
	// The field names are an interface scripts depend on.
	_, out, _ := tvRun(t, "-o", "json", "topology", "validate", tvBadFile(t))
	var raw map[string]any
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatal(err)
	}
	first, _ := raw["errors"].([]any)[0].(map[string]any)
	if _, ok := raw["file"]; !ok || raw["valid"] != false || first["line"] != 8.0 || first["col"] != 28.0 || first["message"] == nil {
		t.Errorf("unexpected JSON shape: %s", out)
	}
}

func TestTopologyValidateUsageErrors(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"missing file", []string{"topology", "validate", filepath.Join(t.TempDir(), "nope.yaml")}, "no such file or directory"},
		{"no argument", []string{"topology", "validate"}, "accepts 1 arg(s), received 0"},
		{"bad output", []string{"-o", "xml", "topology", "validate", tvExample}, `unknown output format "xml"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := tvRun(t, tc.args...)
			if code != 1 || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, stderr %q; want exit 1 and %q", code, errOut, tc.want)
			}
		})
	}
}
