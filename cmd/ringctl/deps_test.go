package main

import (
	"strings"
	"testing"

	"github.com/ringleader-dev/ringleader/internal/ringdtest"
)

// TestBinaryLinksNoReplicatedCore keeps ringctl a thin API client: its
// binary must not link the Raft node, its log store or the coordinator
// packages that run a node. ringctl reaches the cluster through
// coordinator/apiclient only.
func TestBinaryLinksNoReplicatedCore(t *testing.T) {
	t.Parallel()
	// Modules that must not appear at all, and the coordinator packages that
	// run a node (command and apiclient are what ringctl should use).
	forbiddenModules := []string{"github.com/hashicorp/raft", "go.etcd.io/bbolt"}
	const core = "github.com/ringleader-dev/ringleader/coordinator"
	for _, dep := range ringdtest.Linked(t) {
		bad := dep == core || dep == core+"/store" || dep == core+"/leader" || dep == core+"/httpapi" || dep == core+"/metrics"
		for _, m := range forbiddenModules {
			bad = bad || dep == m || strings.HasPrefix(dep, m+"/")
		}
		if bad {
			t.Errorf("ringctl links %s; it must reach the cluster through coordinator/apiclient only", dep)
		}
	}
}
