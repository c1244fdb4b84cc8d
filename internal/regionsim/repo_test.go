package regionsim

import (
	"errors"
	"testing"

	"github.com/ringleader-dev/ringleader/rings/topology"
)

func TestReadVersion(t *testing.T) {
	t.Parallel()
	appset := "kind: ApplicationSet\nspec:\n  generators:\n    - list:\n        elements:\n" +
		"          - region: eu-west-1\n            targetRevision: v3\n          - region: us-east-1\n            targetRevision: v3\n"
	kustomization := "kind: Kustomization\nimages:\n  - name: registry.example.com/ledger\n    newTag: v2.3.0\n"
	for _, tc := range []struct {
		name    string
		content string
		target  topology.Target
		want    string
		wantErr error
	}{
		{"yaml path", "image:\n  tag: v1.2.3\n", topology.Target{YAMLPath: "image.tag"}, "v1.2.3", nil},
		{"yaml path missing", "image: {}\n", topology.Target{YAMLPath: "image.tag"}, "", ErrNoVersion},
		{"kustomize image", kustomization, topology.Target{KustomizeImage: "registry.example.com/ledger"}, "v2.3.0", nil},
		{"kustomize other image", kustomization, topology.Target{KustomizeImage: "registry.example.com/other"}, "", ErrNoVersion},
		{"applicationset element", appset, topology.Target{ApplicationSetElement: "targetRevision"}, "v3", nil},
		{"applicationset no element", appset, topology.Target{ApplicationSetElement: "revision"}, "", ErrNoVersion},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadVersion([]byte(tc.content), tc.target, "us-east-1")
			if got != tc.want || !errors.Is(err, tc.wantErr) {
				t.Errorf("got %q, %v; want %q, %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
}
