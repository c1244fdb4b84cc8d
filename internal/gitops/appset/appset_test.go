package appset

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEditChangesOnlyTheElement checks, beyond the goldens of
// internal/gitops (element_test.go), that an added field is the only
// difference: removing the inserted line gives back the
// input byte for byte.
func TestEditChangesOnlyTheElement(t *testing.T) {
	t.Parallel()
	in, err := os.ReadFile(filepath.Join("..", "testdata", "appset", "crlf.yaml"))
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
