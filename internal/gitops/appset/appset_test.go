package appset

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/golden")

// editCases are the ApplicationSet edits compared with testdata/golden:
// each input with the element's key, the field and the value written.
var editCases = []struct {
	name, input   string
	key, keyValue string
	field, value  string
}{
	{"replace-in-matrix", "matrix.yaml", "region", "us-east-1", "targetRevision", "v3.0.0"},
	{"add-after-plain-and-comment", "multi-region.yaml", "cluster", "use1-prod", "targetRevision", "v2.0.0"},
	{"add-single-quoted", "multi-region.yaml", "cluster", "euw1-prod", "targetRevision", "v2.0.0"},
	{"add-before-nested-values", "multi-region.yaml", "cluster", "aps1-prod", "targetRevision", "v2.0.0"},
	{"add-needs-quotes", "multi-region.yaml", "cluster", "use1-prod", "targetRevision", "1.10"},
	{"add-flow-like-peer", "flow.yaml", "cluster", "use1-prod", "targetRevision", "v2.0.0"},
	{"add-flow-last", "flow.yaml", "cluster", "aps1-prod", "targetRevision", "v2.0.0"},
	{"replace-flow", "flow.yaml", "cluster", "euw1-prod", "targetRevision", "v2.0.0"},
	{"add-crlf", "crlf.yaml", "cluster", "euw1-prod", "targetRevision", "v2.0.0"},
}

func TestEditGolden(t *testing.T) {
	t.Parallel()
	for _, c := range editCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			in, err := os.ReadFile(filepath.Join("testdata", c.input))
			if err != nil {
				t.Fatal(err)
			}
			out, err := Edit(in, c.key, c.keyValue, c.field, c.value)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, filepath.Join("testdata", "golden", c.name+".yaml"), out)
			if strings.Contains(string(in), "\r\n") && strings.Count(string(out), "\n") != strings.Count(string(out), "\r\n") {
				t.Errorf("a CRLF file got LF line endings:\n%q", out)
			}
			as, err := Decode(out)
			if err != nil {
				t.Fatal(err)
			}
			el, _, err := Element(as, c.key, c.keyValue)
			if err != nil {
				t.Fatal(err)
			}
			if el[c.field] != c.value {
				t.Errorf("%s reads back as %#v, want %q", c.field, el[c.field], c.value)
			}
		})
	}
}

// TestEditChangesOnlyTheElement checks, beyond the goldens, that an added
// field is the only difference: removing the inserted line gives back the
// input byte for byte.
func TestEditChangesOnlyTheElement(t *testing.T) {
	t.Parallel()
	in, err := os.ReadFile(filepath.Join("testdata", "crlf.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := Edit(in, "cluster", "euw1-prod", "targetRevision", "v2.0.0")
	if err != nil {
		t.Fatal(err)
	}
	line := "\r\n            targetRevision: 'v2.0.0'"
	if strings.Count(string(out), line) != 1 || strings.Replace(string(out), line, "", 1) != string(in) {
		t.Errorf("edit changed more than one added line:\n%q", out)
	}
}

func TestEditErrors(t *testing.T) {
	t.Parallel()
	in, err := os.ReadFile(filepath.Join("testdata", "matrix.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name          string
		doc           string
		key, keyValue string
		field         string
		is            error
		mentions      string
	}{
		{"unknown region", string(in), "region", "ap-south-1", "targetRevision", ErrNotFound, `no list element with region "ap-south-1"`},
		{"unknown cluster", string(in), "cluster", "eu-west-1", "targetRevision", ErrNotFound, `no list element with cluster "eu-west-1"`},
		{"field holds a mapping", "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nspec:\n  generators:\n    - list:\n        elements:\n          - region: eu-west-1\n            values: {a: b}\n", "region", "eu-west-1", "values", nil, "spec.generators[0].list.elements[0].values: value at line 8 is not a scalar"},
		{"not an ApplicationSet", "apiVersion: v1\nkind: ConfigMap\n", "region", "eu-west-1", "targetRevision", ErrInvalid, "want ApplicationSet"},
		{"no generators", "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nspec: {}\n", "region", "eu-west-1", "targetRevision", ErrInvalid, "spec.generators is empty"},
		{"wrong types", "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nspec:\n  generators: 3\n", "region", "eu-west-1", "targetRevision", ErrInvalid, "decode ApplicationSet"},
	}
	for _, c := range cases {
		_, err := Edit([]byte(c.doc), c.key, c.keyValue, c.field, "v9")
		if err == nil || (c.is != nil && !errors.Is(err, c.is)) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.is)
			continue
		}
		if !strings.Contains(err.Error(), c.mentions) {
			t.Errorf("%s: error %q does not mention %q", c.name, err, c.mentions)
		}
	}
}

func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs:\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
	}
}
