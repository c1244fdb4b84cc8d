package main

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ringleader-dev/ringleader/coordinator"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// The Git promoter tells the loop which failures need a person
// (coordinator.ErrNeedsHuman, text naming file and path) and which can pass.
func TestGitEffectsMapPermanentErrorsToNeedsHuman(t *testing.T) {
	t.Parallel()
	srv, top := effectsRepo(t)
	bad := *top
	bad.Spec.Apps = []topology.App{{Name: "checkout", Targets: []topology.Target{{File: "apps/checkout/{{region}}/values.yaml", YAMLPath: "image.digest"}}}}
	promote := func(top *topology.Topology, url string) (error, map[string]uint64) {
		t.Helper()
		reg := prometheus.NewRegistry()
		metrics, err := coordinator.NewMetrics(reg)
		if err != nil {
			t.Fatal(err)
		}
		cfg := effectsConfig{Mode: effectsGit, GitOpsDir: filepath.Join(t.TempDir(), "gitops"), GitOpsURL: url, GitBackoff: time.Millisecond}
		fx, err := newGitEffects(cfg, func() *topology.Topology { return top }, metrics, quietLogger)
		if err != nil {
			t.Fatal(err)
		}
		_, err = fx.promoter.Promote(context.Background(), coordinator.Promotion{ReleaseID: "rel-1", App: "checkout", Ring: "canary",
			Regions: []string{"us-east-1"}, Version: "v2", PromotionID: "rel-1/canary/us-east-1", Check: func(context.Context) error { return nil }})
		outcomes, _ := pushOutcomes(t, reg)
		return err, outcomes
	}

	err, outcomes := promote(&bad, "")
	if !errors.Is(err, coordinator.ErrNeedsHuman) || !strings.Contains(err.Error(), "apps/checkout/us-east-1/values.yaml") || !strings.Contains(err.Error(), "image.digest") {
		t.Errorf("missing key: %v; want ErrNeedsHuman naming the file and the path", err)
	}
	if outcomes[coordinator.PushNeedsHuman] != 1 {
		t.Errorf("push outcomes %v; want one needs-human", outcomes)
	}

	l, lerr := net.Listen("tcp", "127.0.0.1:0")
	if lerr != nil {
		t.Fatal(lerr)
	}
	closed := "git://" + l.Addr().String() + "/deploy"
	l.Close()
	if err, _ := promote(top, closed); err == nil || errors.Is(err, coordinator.ErrNeedsHuman) || errors.Is(err, coordinator.ErrFenced) {
		t.Errorf("unreachable server: %v; want a transient error", err)
	}

	hook := filepath.Join(srv.Path("deploy"), "hooks", "pre-receive")
	if err := os.WriteFile(hook, []byte("#!/bin/sh\necho 'main is protected' >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err, _ := promote(top, ""); !errors.Is(err, coordinator.ErrNeedsHuman) || !strings.Contains(err.Error(), "main is protected") {
		t.Errorf("push declined by a hook: %v; want ErrNeedsHuman with the hook's message", err)
	}
}
