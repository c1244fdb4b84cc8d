package appset

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEditSetsOnlyTheRegionsElement(t *testing.T) {
	t.Parallel()
	in, err := os.ReadFile(filepath.Join("testdata", "matrix.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := Edit(in, "us-east-1", "targetRevision", "v3.0.0")
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(string(in), "targetRevision: 'v2.9.0'", "targetRevision: 'v3.0.0'", 1)
	if string(out) != want {
		t.Errorf("edited document:\n%s\nwant:\n%s", out, want)
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
		region, field string
		is            error
		mentions      string
	}{
		{"unknown region", string(in), "ap-south-1", "targetRevision", ErrNotFound, `no list element with region "ap-south-1"`},
		{"missing field", string(in), "eu-west-1", "chart", ErrNotFound, "spec.generators[0].matrix.generators[1].list.elements[0].chart: field not found"},
		{"not an ApplicationSet", "apiVersion: v1\nkind: ConfigMap\n", "eu-west-1", "targetRevision", ErrInvalid, "want ApplicationSet"},
		{"no generators", "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nspec: {}\n", "eu-west-1", "targetRevision", ErrInvalid, "spec.generators is empty"},
		{"wrong types", "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nspec:\n  generators: 3\n", "eu-west-1", "targetRevision", ErrInvalid, "decode ApplicationSet"},
	}
	for _, c := range cases {
		_, err := Edit([]byte(c.doc), c.region, c.field, "v9")
		if !errors.Is(err, c.is) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.is)
			continue
		}
		if !strings.Contains(err.Error(), c.mentions) {
			t.Errorf("%s: error %q does not mention %q", c.name, err, c.mentions)
		}
	}
}
