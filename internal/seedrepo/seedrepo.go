// Package seedrepo writes the files of a GitOps repository that holds one
// version of every app in every region, in the layouts a topology's targets
// name (a values file for a yamlPath, a kustomization for a
// kustomizeImage, an ApplicationSet for an applicationSetElement, a
// Deployment manifest for a containerImage). The demo seeds its repository
// with it and the simulated regions' tests seed theirs, so what is seeded
// is what internal/regionsim reads back. It holds no fake: production ringd
// may link it through `ringd demo`.
package seedrepo

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ringleader-dev/ringleader/rings/topology"
)

// TargetFile renders a target's file template for app and region, the way
// the Git writer does.
func TargetFile(t topology.Target, app, region string) string {
	r := strings.NewReplacer("{{region}}", region, "{{ region }}", region, "{{app}}", app, "{{ app }}", app)
	return strings.TrimPrefix(r.Replace(t.File), "/")
}

// Files returns the files of a GitOps repository that holds version
// versions[app] for every app of top in every region, in the layout its
// targets describe: a values file for a yamlPath, a kustomization for a
// kustomizeImage, an ApplicationSet with one list element per region
// (keyed as the target says) for an applicationSetElement, a Deployment
// manifest for a containerImage. extra files (such as the topology itself)
// are added as given.
func Files(top *topology.Topology, versions map[string]string, extra map[string][]byte) (map[string][]byte, error) {
	files := map[string][]byte{}
	appsets := map[string][]appsetElement{} // by file
	appsetApp := map[string]string{}
	appsetTarget := map[string]topology.ApplicationSetElement{}
	for _, app := range top.Spec.Apps {
		v := versions[app.Name]
		if v == "" {
			return nil, fmt.Errorf("seed repository: no initial version for app %s", app.Name)
		}
		for _, t := range app.Targets {
			for _, region := range top.Spec.Regions {
				file := TargetFile(t, app.Name, region.Name)
				switch {
				case t.YAMLPath != "":
					files[file] = valuesFile(app.Name, t.YAMLPath, v)
				case t.KustomizeImage != "":
					files[file] = kustomizationFile(t.KustomizeImage, v)
				case t.ApplicationSetElement != nil:
					key, ok := t.ApplicationSetElement.KeyValue(region)
					if !ok {
						return nil, fmt.Errorf("seed repository: region %s has no label %s for app %s's ApplicationSet element", region.Name, t.ApplicationSetElement.KeyName(), app.Name)
					}
					appsets[file] = append(appsets[file], appsetElement{region: region.Name, key: key})
					appsetApp[file], appsetTarget[file] = app.Name, *t.ApplicationSetElement
				case t.ContainerImage != nil:
					files[file] = deploymentFile(*t.ContainerImage, app.Name, v)
				default:
					return nil, fmt.Errorf("seed repository: a target of app %s names no yamlPath, kustomizeImage, applicationSetElement or containerImage", app.Name)
				}
			}
		}
	}
	for file, els := range appsets {
		files[file] = applicationSetFile(appsetApp[file], appsetTarget[file], els, versions[appsetApp[file]])
	}
	for p, c := range extra {
		files[p] = c
	}
	return files, nil
}

// appsetElement is one region's list element: the region and its key
// value.
type appsetElement struct{ region, key string }

// valuesFile is a Helm-style values file with version at the dotted path.
func valuesFile(app, path, version string) []byte {
	parts := strings.Split(path, ".")
	var b strings.Builder
	fmt.Fprintf(&b, "# %s: values for this region (written by Ringleader's promotions)\n", app)
	for i, p := range parts {
		indent := strings.Repeat("  ", i)
		if i == len(parts)-1 {
			fmt.Fprintf(&b, "%s%s: %s\n", indent, p, version)
			break
		}
		fmt.Fprintf(&b, "%s%s:\n", indent, p)
		if i == 0 && len(parts) == 2 && p == "image" {
			fmt.Fprintf(&b, "%s  repository: registry.example.com/%s\n", indent, app)
		}
	}
	b.WriteString("replicas: 3\n")
	return []byte(b.String())
}

// kustomizationFile is an overlay setting image's tag to version.
func kustomizationFile(image, version string) []byte {
	return []byte(fmt.Sprintf("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../../base\nimages:\n  - name: %s\n    newTag: %s\n", image, version))
}

// applicationSetFile is an ApplicationSet with a list generator holding one
// element per region, found by the target's key.
func applicationSetFile(app string, e topology.ApplicationSetElement, els []appsetElement, version string) []byte {
	sort.Slice(els, func(i, j int) bool { return els[i].key < els[j].key })
	key := e.KeyName()
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: %s\nspec:\n  generators:\n    - list:\n        elements:\n", app)
	for _, el := range els {
		fmt.Fprintf(&b, "          - %s: %s\n", key, el.key)
		if key != topology.DefaultElementKey {
			fmt.Fprintf(&b, "            region: %s\n", el.region)
		}
		fmt.Fprintf(&b, "            %s: %s\n", e.Field, version)
	}
	fmt.Fprintf(&b, "  template:\n    metadata:\n      name: '%s-{{region}}'\n    spec:\n      project: default\n      source:\n        repoURL: https://git.example.com/platform/deploy.git\n        path: apps/%s\n        targetRevision: '{{%s}}'\n      destination:\n        server: https://kubernetes.default.svc\n        namespace: %s\n", app, app, e.Field, app)
	return []byte(b.String())
}

// deploymentFile is a manifest of a Service and the Deployment whose
// container runs the app at version.
func deploymentFile(c topology.ContainerImage, app, version string) []byte {
	return []byte(fmt.Sprintf("apiVersion: v1\nkind: Service\nmetadata:\n  name: %[2]s\nspec:\n  selector: {app: %[2]s}\n  ports: [{port: 80}]\n---\napiVersion: apps/v1\nkind: %[1]s\nmetadata:\n  name: %[2]s\nspec:\n  template:\n    spec:\n      containers:\n        - name: %[3]s\n          image: registry.example.com/%[4]s:%[5]s\n",
		c.Kind, c.Name, c.Container, app, version))
}
