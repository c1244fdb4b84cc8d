package demo

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/internal/gitops"
	"github.com/ringleader-dev/ringleader/internal/gitops/yamledit"
	"github.com/ringleader-dev/ringleader/rings"
)

func TestReadVersion(t *testing.T) {
	t.Parallel()
	appset := string(applicationSetFile("pay", "targetRevision", []string{"us-east-1", "eu-west-1"}, "v3"))
	for _, tc := range []struct {
		name    string
		content string
		target  rings.Target
		want    string
		wantErr error
	}{
		{"yaml path", "image:\n  tag: v1.2.3\n", rings.Target{YAMLPath: "image.tag"}, "v1.2.3", nil},
		{"yaml path missing", "image: {}\n", rings.Target{YAMLPath: "image.tag"}, "", ErrNoVersion},
		{"kustomize image", string(kustomizationFile("registry.example.com/ledger", "v2.3.0")), rings.Target{KustomizeImage: "registry.example.com/ledger"}, "v2.3.0", nil},
		{"kustomize other image", string(kustomizationFile("registry.example.com/ledger", "v2.3.0")), rings.Target{KustomizeImage: "registry.example.com/other"}, "", ErrNoVersion},
		{"applicationset element", appset, rings.Target{ApplicationSetElement: "targetRevision"}, "v3", nil},
		{"applicationset no element", appset, rings.Target{ApplicationSetElement: "revision"}, "", ErrNoVersion},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadVersion([]byte(tc.content), tc.target, "us-east-1")
			if got != tc.want || !errors.Is(err, tc.wantErr) {
				t.Errorf("got %q, %v; want %q, %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
}

// TestSeededFilesTakeTheWritersEdits checks that the generated files are
// ones the Git writer can edit and the simulator then reads back.
func TestSeededFilesTakeTheWritersEdits(t *testing.T) {
	t.Parallel()
	_, top, err := Topology(TopologyOptions{RepoURL: "git://127.0.0.1:1/deploy.git", ArgoCDServer: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	files, err := SeedFiles(top, InitialVersions, nil)
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
		if got, err := ReadVersion(edited, target, "eu-west-1"); got != "v9.9.9" {
			t.Errorf("%s after the edit reads %q (%v), want v9.9.9", tc.file, got, err)
		}
	}
}

// TestTopologyFollowsTheExample keeps the demo topology's regions, rings
// and apps those of manifests/examples/rings.yaml.
func TestTopologyFollowsTheExample(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("../../manifests/examples/rings.yaml")
	if err != nil {
		t.Fatal(err)
	}
	example, err := rings.Parse("rings.yaml", src)
	if err != nil {
		t.Fatal(err)
	}
	_, top, err := Topology(TopologyOptions{RepoURL: "git://127.0.0.1:1/deploy.git", ArgoCDServer: "http://127.0.0.1:1",
		CanarySoak: 20 * time.Second, Approval: true})
	if err != nil {
		t.Fatal(err)
	}
	names := func(t *rings.Topology) (regions, ringsOf, apps []string) {
		for _, r := range t.Spec.Regions {
			regions = append(regions, r.Name)
		}
		for _, r := range t.Spec.Rings {
			ringsOf = append(ringsOf, r.Name+":"+joinNames(r.Regions)+":"+r.Approval)
		}
		for _, a := range t.Spec.Apps {
			apps = append(apps, a.Name+":"+a.Targets[0].File)
		}
		return
	}
	er, eg, ea := names(example)
	dr, dg, da := names(top)
	for _, tc := range []struct {
		what      string
		got, want []string
	}{{"regions", dr, er}, {"rings", dg, eg}, {"apps", da, ea}} {
		if joinNames(tc.got) != joinNames(tc.want) {
			t.Errorf("%s: demo %v, example %v", tc.what, tc.got, tc.want)
		}
	}
	if len(top.Spec.Windows) != 0 || len(top.Spec.Freezes) != 0 {
		t.Errorf("demo topology has windows %v and freezes %v, want none", top.Spec.Windows, top.Spec.Freezes)
	}
}

func joinNames(s []string) string { return strings.Join(s, ",") }

func TestPickAddrFallsBackWhenTaken(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if got, note := pickAddr(l.Addr().String()); got != "127.0.0.1:0" || note == "" {
		t.Errorf("pickAddr(%s), taken = %q, note %q; want 127.0.0.1:0 and a note", l.Addr(), got, note)
	}
	// A free port: one just closed, which another test may take before
	// pickAddr probes it, so a few ports are tried; a pickAddr that never
	// keeps a free address fails every try.
	var tries []string
	for range 5 {
		free, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := free.Addr().String()
		free.Close()
		got, note := pickAddr(addr)
		if got == addr && note == "" {
			return
		}
		tries = append(tries, fmt.Sprintf("pickAddr(%s) = %q, note %q", addr, got, note))
	}
	t.Errorf("a free address was never kept: %v", tries)
}
