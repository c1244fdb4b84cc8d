package gitops_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/ringleader-dev/ringleader/internal/gitops"
	"github.com/ringleader-dev/ringleader/internal/gitops/appset"
)

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
				golden(t, filepath.Join("appset", "golden", c.name+".yaml"), string(out))
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
