package gitops_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/internal/gitops"
	"github.com/ringleader-dev/ringleader/internal/gitops/appset"
	"github.com/ringleader-dev/ringleader/internal/gitops/yamledit"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// permTopology has one app per way a target can be wrong.
func permTopology() *topology.Topology {
	top := testTopology()
	top.Spec.Regions = append(top.Spec.Regions, topology.Region{Name: "ap-south-1"})
	app := func(name string, t topology.Target) topology.App {
		return topology.App{Name: name, Targets: []topology.Target{t}}
	}
	top.Spec.Apps = append(top.Spec.Apps,
		app("missing-file", topology.Target{File: "envs/{{region}}/missing/values.yaml", YAMLPath: "image.tag"}),
		app("missing-key", topology.Target{File: "envs/{{region}}/checkout/values.yaml", YAMLPath: "image.digest"}),
		app("bad-yaml", topology.Target{File: "broken/values.yaml", YAMLPath: "image.tag"}),
		app("no-image", topology.Target{File: "envs/{{region}}/checkout/kustomization.yaml", KustomizeImage: "ghcr.io/acme/other"}),
		app("no-element", topology.Target{File: "appsets/checkout.yaml", ApplicationSetElement: "targetRevision"}),
		app("bad-appset", topology.Target{File: "broken/appset.yaml", ApplicationSetElement: "targetRevision"}),
	)
	return top
}

// writerAt is env.writer with another URL and topology.
func writerAt(t *testing.T, url string, top *topology.Topology, mod ...func(*gitops.Config)) *gitops.Writer {
	t.Helper()
	cfg := gitops.Config{
		URL: url, Branch: "main", Dir: filepath.Join(t.TempDir(), "wc"),
		Author:             gitops.Identity{Name: "Ringleader Test", Email: "rl@example.com"},
		Backoff:            time.Millisecond,
		EditApplicationSet: appset.Edit,
		Now:                func() time.Time { return time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) },
	}
	for _, m := range mod {
		m(&cfg)
	}
	w, err := gitops.New(cfg, func() *topology.Topology { return top })
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// Every way a target can be wrong is permanent, names file and path, and
// pushes nothing.
func TestBadTargetsArePermanentWithFileAndPath(t *testing.T) {
	t.Parallel()
	srv := newEnv(t).srv
	files := seedFiles(t)
	files["broken/values.yaml"] = "image:\n  tag: [v1, \n"
	files["broken/appset.yaml"] = "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nspec: {generators: []}\n"
	url := srv.NewRepo(t, "perm", files)
	w := writerAt(t, url, permTopology())
	cases := []struct {
		app, region string
		file, path  string
		cause       error
		want        string
	}{
		{"missing-file", "eu-west-1", "envs/eu-west-1/missing/values.yaml", "", nil, "does not exist on the branch"},
		{"missing-key", "eu-west-1", "envs/eu-west-1/checkout/values.yaml", "image.digest", yamledit.ErrNotFound, `key "digest" not found`},
		{"bad-yaml", "eu-west-1", "broken/values.yaml", "image.tag", nil, "parse yaml"},
		{"no-image", "us-east-1", "envs/us-east-1/checkout/kustomization.yaml", "images[name=ghcr.io/acme/other].newTag", yamledit.ErrNotFound, `no entry with name "ghcr.io/acme/other"`},
		{"no-element", "ap-south-1", "appsets/checkout.yaml", "spec.generators[…].list.elements[region=ap-south-1].targetRevision", appset.ErrNotFound, `no list element with region "ap-south-1"`},
		{"bad-appset", "eu-west-1", "broken/appset.yaml", "spec.generators[…].list.elements[region=eu-west-1].targetRevision", appset.ErrInvalid, "spec.generators is empty"},
	}
	before := srv.Head(t, "perm")
	for _, c := range cases {
		t.Run(c.app, func(t *testing.T) {
			_, err := w.Promote(context.Background(), promotion(c.app, "early", "v9", "p-"+c.app, c.region))
			var te *gitops.TargetError
			if !errors.As(err, &te) {
				t.Fatalf("err = %v; want a *TargetError", err)
			}
			if !gitops.IsPermanent(err) || !errors.Is(err, gitops.ErrTarget) {
				t.Errorf("err = %v; want ErrPermanent and ErrTarget", err)
			}
			if c.cause != nil && !errors.Is(err, c.cause) {
				t.Errorf("err = %v; want it to wrap %v", err, c.cause)
			}
			if te.File != c.file || te.Path != c.path || te.Region != c.region {
				t.Errorf("file %q path %q region %q; want %q %q %q", te.File, te.Path, te.Region, c.file, c.path, c.region)
			}
			for _, s := range []string{c.file, c.want} {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
		})
	}
	if got := srv.Head(t, "perm"); got != before {
		t.Errorf("head moved to %s after bad targets", got)
	}
}

// installHook writes an executable hook into the served bare repository.
func installHook(t *testing.T, e *env, name, script string) {
	t.Helper()
	path := filepath.Join(e.srv.Path(e.name), "hooks", name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+script), 0o755); err != nil {
		t.Fatal(err)
	}
}

// A push the server's pre-receive hook declines (a protected branch) is
// permanent, carries the hook's message and is tried once.
func TestPushDeclinedByAHookIsPermanent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	installHook(t, e, "pre-receive", "echo 'main is protected: changes need a review' >&2\nexit 1\n")
	before := e.head(t)
	res, err := e.writer(t).Promote(context.Background(), promotion("checkout", "early", "v2", "p-hook", "eu-west-1"))
	var rej *gitops.RejectedError
	if !errors.As(err, &rej) || !errors.Is(err, gitops.ErrRejected) || !gitops.IsPermanent(err) {
		t.Fatalf("err = %v; want a permanent *RejectedError", err)
	}
	for _, s := range []string{"pre-receive hook declined", "main is protected: changes need a review", "refs/heads/main"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not mention %q", err, s)
		}
	}
	if res.Attempts != 1 {
		t.Errorf("%d push attempts; want 1 (a refusal is not retried)", res.Attempts)
	}
	if got := e.head(t); got != before {
		t.Errorf("head moved to %s", got)
	}
}

// Errors that can pass are not permanent: the server unreachable, a 5xx,
// the branch moving under every attempt.
func TestTransientPushErrorsAreNotPermanent(t *testing.T) {
	t.Parallel()
	t.Run("connection refused", func(t *testing.T) {
		t.Parallel()
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		_, err = writerAt(t, "git://"+addr+"/gitops", testTopology()).Promote(context.Background(), promotion("checkout", "early", "v2", "p-dial", "eu-west-1"))
		if err == nil || gitops.IsPermanent(err) {
			t.Fatalf("err = %v; want a transient error", err)
		}
	})
	t.Run("server error", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "upstream unavailable", http.StatusBadGateway)
		}))
		t.Cleanup(srv.Close)
		_, err := writerAt(t, srv.URL+"/gitops.git", testTopology()).Promote(context.Background(), promotion("checkout", "early", "v2", "p-5xx", "eu-west-1"))
		if err == nil || gitops.IsPermanent(err) {
			t.Fatalf("err = %v; want a transient error", err)
		}
	})
	t.Run("branch keeps moving", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		// The hook moves main under every push (outside the quarantine, so
		// the commit stays), so every compare-and-swap is lost.
		installHook(t, e, "pre-receive", `unset GIT_QUARANTINE_PATH GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES
c=$(git commit-tree refs/heads/main^{tree} -p refs/heads/main -m "someone else")
git update-ref refs/heads/main "$c"
`)
		_, err := e.writer(t, func(c *gitops.Config) { c.MaxAttempts = 3; c.Backoff = time.Millisecond }).
			Promote(context.Background(), promotion("checkout", "early", "v2", "p-race", "eu-west-1"))
		if !errors.Is(err, gitops.ErrContention) || gitops.IsPermanent(err) {
			t.Fatalf("err = %v; want ErrContention, not permanent", err)
		}
	})
}
