package regionsim

import (
	"errors"
	"testing"

	"github.com/ringleader-dev/ringleader/rings/topology"
)

func TestReadVersion(t *testing.T) {
	t.Parallel()
	field := topology.ApplicationSetElement{Field: "targetRevision"}
	appset := string(applicationSetFile("pay", field, []appsetElement{{"us-east-1", "us-east-1"}, {"eu-west-1", "eu-west-1"}}, "v3"))
	byCluster := topology.ApplicationSetElement{Field: "targetRevision", Key: "cluster"}
	clusters := string(applicationSetFile("pay", byCluster, []appsetElement{{"us-east-1", "use1"}, {"eu-west-1", "euw1"}}, "v4"))
	image := topology.ContainerImage{Kind: "Deployment", Name: "pay", Container: "server"}
	manifest := string(deploymentFile(image, "pay", "v5"))
	region := topology.Region{Name: "us-east-1", Labels: map[string]string{"cluster": "use1"}}
	for _, tc := range []struct {
		name    string
		content string
		target  topology.Target
		want    string
		wantErr error
	}{
		{"yaml path", "image:\n  tag: v1.2.3\n", topology.Target{YAMLPath: "image.tag"}, "v1.2.3", nil},
		{"yaml path missing", "image: {}\n", topology.Target{YAMLPath: "image.tag"}, "", ErrNoVersion},
		{"kustomize image", string(kustomizationFile("registry.example.com/ledger", "v2.3.0")), topology.Target{KustomizeImage: "registry.example.com/ledger"}, "v2.3.0", nil},
		{"kustomize other image", string(kustomizationFile("registry.example.com/ledger", "v2.3.0")), topology.Target{KustomizeImage: "registry.example.com/other"}, "", ErrNoVersion},
		{"applicationset element", appset, topology.Target{ApplicationSetElement: &field}, "v3", nil},
		{"applicationset no element", appset, topology.Target{ApplicationSetElement: &topology.ApplicationSetElement{Field: "revision"}}, "", ErrNoVersion},
		{"applicationset element by cluster", clusters, topology.Target{ApplicationSetElement: &byCluster}, "v4", nil},
		{"applicationset by cluster, element missing", appset, topology.Target{ApplicationSetElement: &byCluster}, "", ErrNoVersion},
		{"container image", manifest, topology.Target{ContainerImage: &image}, "v5", nil},
		{"container image, other container", manifest, topology.Target{ContainerImage: &topology.ContainerImage{Kind: "Deployment", Name: "pay", Container: "sidecar"}}, "", ErrNoVersion},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadVersionIn([]byte(tc.content), tc.target, region)
			if got != tc.want || !errors.Is(err, tc.wantErr) {
				t.Errorf("got %q, %v; want %q, %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
}
