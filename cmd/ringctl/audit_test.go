package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/coordinator/httpapi"
	"github.com/ringleader-dev/ringleader/internal/auth"
	"github.com/ringleader-dev/ringleader/internal/certtest"
)

// secureServer is a real single-node cluster whose API requires tokens
// (ada: admin, ian: incident-commander) and, when ca is set, serves HTTPS
// with a certificate from ca.
func secureServer(t *testing.T, ca *certtest.CA) string {
	t.Helper()
	return secureServerWith(t, ca, map[string]string{"ada": "admin", "ian": "incident-commander"})
}

// secureServerWith is secureServer with the given identities (name: role),
// each with the token "tok-<name>".
func secureServerWith(t *testing.T, ca *certtest.CA, roles map[string]string) string {
	t.Helper()
	doc := "tokens:\n"
	for _, name := range slices.Sorted(maps.Keys(roles)) {
		doc += fmt.Sprintf("  - {name: %s, role: %s, sha256: %s}\n", name, roles[name], auth.HashSHA256("tok-"+name))
	}
	set, err := auth.Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return singleNode(t, httpapi.SecurityConfig{Tokens: set}, ca)
}

func TestAuditCommandShowsWhoDidWhat(t *testing.T) {
	server := secureServer(t, nil)
	if _, err := ringctl(t, server, "--token", "tok-ian", "halt", "--global", "--reason", "checkout errors"); err != nil {
		t.Fatalf("halt as ian: %v", err)
	}
	out, err := ringctl(t, server, "--token", "tok-ada", "audit", "--actor", "ian", "-o", "json")
	if err != nil {
		t.Fatalf("audit: %v\n%s", err, out)
	}
	var list apiclient.AuditList
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("audit -o json is not JSON: %v\n%s", err, out)
	}
	if len(list.Entries) != 1 || list.Entries[0].Type != command.CmdPlaceHalt || list.Entries[0].Role != "incident-commander" || list.Entries[0].Reason != "checkout errors" {
		t.Errorf("audit entries = %+v", list.Entries)
	}
	table, err := ringctl(t, server, "--token", "tok-ada", "audit", "--since", "1h")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ACTOR", "ian", "incident-commander", "halt.place", "scope=global", "checkout errors"} {
		if !strings.Contains(table, want) {
			t.Errorf("audit table lacks %q:\n%s", want, table)
		}
	}
}

func TestOnlineCommandsNeedARole(t *testing.T) {
	server := secureServer(t, nil)
	cases := []struct {
		name  string
		args  []string
		wants string
	}{
		{"no token", []string{"status"}, "no bearer token"},
		{"wrong token", []string{"--token", "nope", "status"}, "token not recognised"},
		{"ic cannot release", []string{"--token", "tok-ian", "release", "create", "--app", "checkout", "--version", "v1"}, "needs role releaser or admin"},
		{"bad since", []string{"--token", "tok-ada", "audit", "--since", "yesterday"}, "--since"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := ringctl(t, server, c.args...)
			if err == nil || !strings.Contains(err.Error(), c.wants) {
				t.Errorf("ringctl %v = %v\n%s; want an error containing %q", c.args, err, out, c.wants)
			}
		})
	}
}

func TestCACertFlagTrustsAPrivateCA(t *testing.T) {
	ca := certtest.NewCA(t, "private")
	server := secureServer(t, ca)
	caFile := ca.WriteCA(t, t.TempDir(), "ca.pem")
	if _, err := ringctl(t, server, "--token", "tok-ada", "status"); err == nil {
		t.Fatal("status over HTTPS without --ca-cert trusted an unknown CA")
	}
	if out, err := ringctl(t, server, "--token", "tok-ada", "--ca-cert", caFile, "status"); err != nil {
		t.Fatalf("status with --ca-cert: %v\n%s", err, out)
	}
	t.Setenv("RINGLEADER_CA_CERT", filepath.Join(t.TempDir(), "missing.pem"))
	if _, err := ringctl(t, server, "--token", "tok-ada", "status"); err == nil || !strings.Contains(err.Error(), "--ca-cert") {
		t.Errorf("a missing RINGLEADER_CA_CERT file = %v; want an error naming --ca-cert", err)
	}
}
