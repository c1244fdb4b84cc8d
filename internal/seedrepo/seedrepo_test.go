package seedrepo_test

import (
	"strings"
	"testing"

	"github.com/ringleader-dev/ringleader/internal/seedrepo"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

const src = `apiVersion: ringleader.dev/v1alpha1
kind: Topology
metadata: {name: seed}
spec:
  gitops: {repo: "git://127.0.0.1:1/deploy.git", branch: main}
  regions:
    - {name: us-east-1, timezone: UTC}
    - {name: eu-west-1, timezone: UTC}
  rings:
    - {name: all, regions: [us-east-1, eu-west-1], soak: 0s}
  apps:
    - name: checkout
      targets: [{file: "/apps/{{app}}/{{ region }}/values.yaml", yamlPath: image.tag}]
    - name: pay
      targets: [{file: "appsets/pay.yaml", applicationSetElement: targetRevision}]
`

func TestFiles(t *testing.T) {
	t.Parallel()
	top, err := topology.Parse("rings.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	files, err := seedrepo.Files(top, map[string]string{"checkout": "v1", "pay": "v2"}, map[string][]byte{"rings.yaml": []byte(src)})
	if err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]string{
		"apps/checkout/us-east-1/values.yaml": "  tag: v1\n",
		"apps/checkout/eu-west-1/values.yaml": "  tag: v1\n",
		"appsets/pay.yaml":                    "          - region: eu-west-1\n            targetRevision: v2\n          - region: us-east-1\n            targetRevision: v2\n",
		"rings.yaml":                          "kind: Topology\n",
	} {
		if !strings.Contains(string(files[file]), want) {
			t.Errorf("%s = %q, want it to contain %q", file, files[file], want)
		}
	}
	if len(files) != 4 {
		t.Errorf("seeded %d files, want 2 values files, 1 ApplicationSet, the topology", len(files))
	}
	if _, err := seedrepo.Files(top, map[string]string{"checkout": "v1"}, nil); err == nil || !strings.Contains(err.Error(), "app pay") {
		t.Errorf("without a version for pay: %v, want an error naming app pay", err)
	}
}
