package main

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
)

// TestCommandsByRole runs ringctl commands against a real node as a viewer,
// a releaser and an incident commander. A command the role may run
// succeeds; one it may not ends with the API's 403, which names the role
// (main exits 1 on it). The steps run in order: later ones use the release
// and the halt earlier ones created.
func TestCommandsByRole(t *testing.T) {
	server := secureServerWith(t, nil, map[string]string{
		"ada": "admin", "vic": "viewer", "rex": "releaser", "ian": "incident-commander",
	})
	src, err := os.ReadFile(exampleTopology)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := apiclient.NewClient(server, "tok-ada").AdoptTopology(t.Context(), src, "rings.yaml"); err != nil {
		t.Fatal(err)
	}
	out, err := ringctl(t, server, "--token", "tok-rex", "release", "create", "--app", "checkout", "--version", "v2", "-o", "json")
	var rel apiclient.ReleaseDetail
	if err != nil || json.Unmarshal([]byte(out), &rel) != nil || rel.ID == "" {
		t.Fatalf("releaser: release create: %v\n%s", err, out)
	}
	out, err = ringctl(t, server, "--token", "tok-ian", "halt", "--global", "--reason", "x", "-o", "json")
	var halt apiclient.HaltResponse
	if err != nil || json.Unmarshal([]byte(out), &halt) != nil || halt.ID == "" {
		t.Fatalf("incident-commander: halt --global: %v\n%s", err, out)
	}

	steps := []struct {
		name string
		who  string // token holder; "" = none on the command line
		env  string // RINGLEADER_TOKEN, when set
		args []string
		want string // substring of the output, or of the 403 message
		deny bool   // want a 403
	}{
		{"viewer status", "vic", "", []string{"status"}, "Leader:    n1", false},
		{"viewer release list", "vic", "", []string{"release", "list"}, rel.ID, false},
		{"viewer cluster members", "vic", "", []string{"cluster", "members"}, "n1", false},
		{"viewer release create", "vic", "", []string{"release", "create", "--app", "checkout", "--version", "v3"}, "(role viewer) may not POST /v1/releases: it needs role releaser or admin", true},
		{"viewer halt", "vic", "", []string{"halt", "--global", "--reason", "x"}, "(role viewer) may not POST /v1/halts: it needs role incident-commander or admin", true},
		{"releaser halt", "rex", "", []string{"halt", "--global", "--reason", "x"}, "(role releaser) may not POST /v1/halts: it needs role incident-commander or admin", true},
		{"releaser resume", "rex", "", []string{"resume", halt.ID, "--reason", "over"}, "(role releaser) may not POST /v1/halts/" + halt.ID + "/resume", true},
		{"incident-commander resume", "ian", "", []string{"resume", halt.ID, "--reason", "over"}, "resumed by ian", false},
		{"incident-commander rollback", "ian", "", []string{"release", "rollback", rel.ID, "--reason", "bad"}, "(role incident-commander) may not POST /v1/releases/" + rel.ID + "/rollback: it needs role releaser or admin", true},
		{"viewer rollback", "vic", "", []string{"release", "rollback", rel.ID, "--reason", "bad"}, "(role viewer) may not POST", true},
		{"releaser rollback", "rex", "", []string{"release", "rollback", rel.ID, "--reason", "bad"}, "State:     rolled-back", false},
		{"token from RINGLEADER_TOKEN reads", "", "tok-vic", []string{"status"}, "Leader:    n1", false},
		{"token from RINGLEADER_TOKEN is the viewer's", "", "tok-vic", []string{"release", "create", "--app", "checkout", "--version", "v4"}, "vic (role viewer) may not POST /v1/releases", true},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			t.Setenv("RINGLEADER_TOKEN", s.env)
			args := s.args
			if s.who != "" {
				args = append([]string{"--token", "tok-" + s.who}, args...)
			}
			out, err := ringctl(t, server, args...)
			var apiErr *apiclient.APIError
			var exit exitError
			switch {
			case !s.deny && (err != nil || !strings.Contains(out, s.want)):
				t.Errorf("ringctl %v = %v, output lacks %q:\n%s", args, err, s.want, out)
			case s.deny && (!errors.As(err, &apiErr) || apiErr.StatusCode != 403 || errors.As(err, &exit) || !strings.Contains(err.Error(), s.want)):
				t.Errorf("ringctl %v = %v; want a 403 (exit 1) containing %q", args, err, s.want)
			}
		})
	}
}
