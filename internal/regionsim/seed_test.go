package regionsim_test

import (
	"testing"

	"github.com/ringleader-dev/ringleader/internal/demo"
	"github.com/ringleader-dev/ringleader/internal/gitops"
	"github.com/ringleader-dev/ringleader/internal/gitops/yamledit"
	"github.com/ringleader-dev/ringleader/internal/regionsim"
	"github.com/ringleader-dev/ringleader/internal/seedrepo"
)

// TestSeededFilesTakeTheWritersEdits checks that the generated files are
// ones the Git writer can edit and the simulator then reads back.
func TestSeededFilesTakeTheWritersEdits(t *testing.T) {
	t.Parallel()
	_, top, err := demo.Topology(demo.TopologyOptions{RepoURL: "git://127.0.0.1:1/deploy.git", ArgoCDServer: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	files, err := seedrepo.Files(top, demo.InitialVersions, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 8 {
		t.Errorf("seeded %d files, want 4 regions × 2 apps", len(files))
	}
	for _, tc := range []struct{ app, file string }{
		{"checkout", "apps/checkout/eu-west-1/values.yaml"},
		{"ledger", "apps/ledger/overlays/eu-west-1/kustomization.yaml"},
	} {
		app, _ := top.AppByName(tc.app)
		target := app.Targets[0]
		var edited []byte
		switch {
		case target.YAMLPath != "":
			edited, err = yamledit.SetPath(files[tc.file], target.YAMLPath, "v9.9.9")
		default:
			edited, err = gitops.SetKustomizeImageTag(files[tc.file], target.KustomizeImage, "v9.9.9")
		}
		if err != nil {
			t.Fatalf("%s: the writer cannot edit it: %v", tc.file, err)
		}
		if got, err := regionsim.ReadVersion(edited, target, "eu-west-1"); got != "v9.9.9" {
			t.Errorf("%s after the edit reads %q (%v), want v9.9.9", tc.file, got, err)
		}
	}
}
