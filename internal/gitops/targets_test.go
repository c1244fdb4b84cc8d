package gitops_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ringleader-dev/ringleader/internal/gitops"
	"github.com/ringleader-dev/ringleader/internal/gitops/appset"
	"github.com/ringleader-dev/ringleader/internal/gitops/yamledit"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

func readTestFile(t *testing.T, parts ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(parts...))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSetContainerImageTagGolden edits one container per case in a file
// of five documents; testdata/image/golden holds each result, and the
// only changed line is the image's.
func TestSetContainerImageTagGolden(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, input string
		target      topology.ContainerImage
		changed     string // the image line after the edit
	}{
		{"deployment", "shop.yaml", topology.ContainerImage{Kind: "Deployment", Name: "cartservice", Container: "server"},
			"          image: gcr.io/google-samples/microservices-demo/cartservice:v0.9.0 # set by Ringleader"},
		{"init-container", "shop.yaml", topology.ContainerImage{Kind: "Deployment", Name: "cartservice", Container: "migrate"},
			"          image: gcr.io/google-samples/microservices-demo/cartservice-migrate:v0.9.0"},
		{"digest-dropped", "shop.yaml", topology.ContainerImage{Kind: "Deployment", Name: "frontend", Container: "server"},
			`        - {name: server, image: "gcr.io/google-samples/microservices-demo/frontend:v0.9.0"}`},
		{"statefulset-untagged-with-port", "shop.yaml", topology.ContainerImage{Kind: "StatefulSet", Name: "redis-cart", Container: "redis"},
			"          image: 'registry.local:5000/shop/redis:v0.9.0'"},
		{"cronjob", "shop.yaml", topology.ContainerImage{Kind: "CronJob", Name: "cleanup", Container: "cleaner"},
			"              image: gcr.io/google-samples/microservices-demo/cleanup:v0.9.0"},
		{"crlf", "crlf.yaml", topology.ContainerImage{Kind: "Deployment", Name: "cartservice", Container: "server"},
			"          image: gcr.io/google-samples/microservices-demo/cartservice:v0.9.0 # set by Ringleader\r"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			in := readTestFile(t, "testdata", "image", c.input)
			out, err := gitops.SetContainerImageTag(in, c.target, "v0.9.0")
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, filepath.Join("image", "golden", c.name+".yaml"), string(out))
			inLines, outLines := strings.Split(string(in), "\n"), strings.Split(string(out), "\n")
			if len(inLines) != len(outLines) {
				t.Fatalf("the edit changed the number of lines: %d → %d", len(inLines), len(outLines))
			}
			var diff []string
			for i := range inLines {
				if inLines[i] != outLines[i] {
					diff = append(diff, outLines[i])
				}
			}
			if len(diff) != 1 || diff[0] != c.changed {
				t.Errorf("changed lines %q, want only %q", diff, c.changed)
			}
			tag, found, err := gitops.ContainerImageTag(out, c.target)
			if err != nil || !found || tag != "v0.9.0" {
				t.Errorf("reads back %q, %v, %v; want v0.9.0", tag, found, err)
			}
		})
	}
}

func TestContainerImageTag(t *testing.T) {
	t.Parallel()
	shop := readTestFile(t, "testdata", "image", "shop.yaml")
	cases := []struct {
		name      string
		target    topology.ContainerImage
		tag       string
		found     bool
		wantError error
	}{
		{"tagged", topology.ContainerImage{Kind: "Deployment", Name: "cartservice", Container: "server"}, "v0.8.0", true, nil},
		{"tag and digest", topology.ContainerImage{Kind: "Deployment", Name: "frontend", Container: "server"}, "v0.8.0", true, nil},
		{"untagged", topology.ContainerImage{Kind: "StatefulSet", Name: "redis-cart", Container: "redis"}, "", false, nil},
		{"no such workload", topology.ContainerImage{Kind: "Deployment", Name: "redis-cart", Container: "redis"}, "", false, nil},
		{"no such container", topology.ContainerImage{Kind: "Deployment", Name: "cartservice", Container: "web"}, "", false, nil},
		{"ambiguous", topology.ContainerImage{Kind: "Deployment", Name: "cartservice", Container: "server"}, "", false, gitops.ErrAmbiguous},
	}
	for _, c := range cases {
		content := shop
		if c.wantError != nil {
			content = readTestFile(t, "testdata", "image", "ambiguous.yaml")
		}
		tag, found, err := gitops.ContainerImageTag(content, c.target)
		if tag != c.tag || found != c.found || !errors.Is(err, c.wantError) {
			t.Errorf("%s: got %q, %v, %v; want %q, %v, %v", c.name, tag, found, err, c.tag, c.found, c.wantError)
		}
	}
}

func TestSetContainerImageTagErrors(t *testing.T) {
	t.Parallel()
	shop := readTestFile(t, "testdata", "image", "shop.yaml")
	ambiguous := readTestFile(t, "testdata", "image", "ambiguous.yaml")
	cases := []struct {
		name     string
		content  []byte
		target   topology.ContainerImage
		tag      string
		is       error
		mentions string
	}{
		{"no workload", shop, topology.ContainerImage{Kind: "Deployment", Name: "checkout", Container: "server"}, "v1", yamledit.ErrNotFound, "no Deployment/checkout in the file's 5 documents"},
		{"no container", shop, topology.ContainerImage{Kind: "Deployment", Name: "cartservice", Container: "web"}, "v1", yamledit.ErrNotFound, "Deployment/cartservice at line 10 has no container web (it has: migrate, envoy, server)"},
		{"two workloads", ambiguous, topology.ContainerImage{Kind: "Deployment", Name: "cartservice", Container: "server"}, "v1", gitops.ErrAmbiguous, "Deployment/cartservice at line 1 and Deployment/cartservice at line 9"},
		{"two containers", ambiguous[strings.Index(string(ambiguous), "---"):], topology.ContainerImage{Kind: "Deployment", Name: "cartservice", Container: "server"}, "v1", gitops.ErrAmbiguous, "two containers named server"},
		{"not a tag", shop, topology.ContainerImage{Kind: "Deployment", Name: "cartservice", Container: "server"}, "v1 beta", yamledit.ErrUnsupported, `"v1 beta" is not an image tag`},
		{"not a workload kind", shop, topology.ContainerImage{Kind: "Service", Name: "cartservice", Container: "server"}, "v1", yamledit.ErrUnsupported, "not a workload kind"},
		{"not yaml", []byte("a: [\n"), topology.ContainerImage{Kind: "Deployment", Name: "cartservice", Container: "server"}, "v1", nil, "parse yaml document 1"},
	}
	for _, c := range cases {
		out, err := gitops.SetContainerImageTag(c.content, c.target, c.tag)
		switch {
		case err == nil || out != nil:
			t.Errorf("%s: wrote %d bytes, err %v; want an error and nothing written", c.name, len(out), err)
		case c.is != nil && !errors.Is(err, c.is):
			t.Errorf("%s: err = %v, want %v", c.name, err, c.is)
		case !strings.Contains(err.Error(), c.mentions):
			t.Errorf("%s: error %q does not mention %q", c.name, err, c.mentions)
		}
	}
}

// TestEditApplicationSetElementGolden runs both ApplicationSet editors,
// appset.Edit (what ringd wires) and EditApplicationSetElement (the
// fallback without Argo CD's types), on the files of testdata/appset and
// compares each result with testdata/appset/golden.
func TestEditApplicationSetElementGolden(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, input   string
		key, keyValue string
		value         string
	}{
		{"replace-in-matrix", "appset/testdata/matrix.yaml", "region", "us-east-1", "v3.0.0"},
		{"add-after-plain-and-comment", "testdata/appset/multi-region.yaml", "cluster", "use1-prod", "v2.0.0"},
		{"add-single-quoted", "testdata/appset/multi-region.yaml", "cluster", "euw1-prod", "v2.0.0"},
		{"add-before-nested-values", "testdata/appset/multi-region.yaml", "cluster", "aps1-prod", "v2.0.0"},
		{"add-needs-quotes", "testdata/appset/multi-region.yaml", "cluster", "use1-prod", "1.10"},
		{"add-flow-like-peer", "testdata/appset/flow.yaml", "cluster", "use1-prod", "v2.0.0"},
		{"add-flow-last", "testdata/appset/flow.yaml", "cluster", "aps1-prod", "v2.0.0"},
		{"replace-flow", "testdata/appset/flow.yaml", "cluster", "euw1-prod", "v2.0.0"},
		{"add-crlf", "testdata/appset/crlf.yaml", "cluster", "euw1-prod", "v2.0.0"},
	}
	editors := []struct {
		name string
		edit func(content []byte, key, keyValue, field, value string) ([]byte, error)
	}{
		{"appset.Edit", appset.Edit},
		{"EditApplicationSetElement", gitops.EditApplicationSetElement},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			in := readTestFile(t, filepath.FromSlash(c.input))
			for _, e := range editors {
				out, err := e.edit(in, c.key, c.keyValue, "targetRevision", c.value)
				if err != nil {
					t.Fatalf("%s: %v", e.name, err)
				}
				checkGolden(t, filepath.Join("appset", "golden", c.name+".yaml"), string(out))
				if strings.Contains(string(in), "\r\n") && strings.Count(string(out), "\n") != strings.Count(string(out), "\r\n") {
					t.Errorf("%s: a CRLF file got LF line endings:\n%q", e.name, out)
				}
				as, err := appset.Decode(out)
				if err != nil {
					t.Fatal(err)
				}
				el, _, err := appset.Element(as, c.key, c.keyValue)
				if err != nil {
					t.Fatal(err)
				}
				if el["targetRevision"] != c.value {
					t.Errorf("%s: targetRevision reads back as %#v, want %q", e.name, el["targetRevision"], c.value)
				}
			}
		})
	}
}
