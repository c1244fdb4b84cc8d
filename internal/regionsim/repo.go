package regionsim

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ringleader-dev/ringleader/internal/gitops"
	"github.com/ringleader-dev/ringleader/internal/gitops/yamledit"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// ErrNoVersion means a region's target file holds no version for an app:
// the file or the field is missing. Fix the GitOps repository or the
// topology's targets.
var ErrNoVersion = errors.New("no version in the GitOps repository")

// TargetFile renders a target's file template for app and region, the way
// the Git writer does.
func TargetFile(t topology.Target, app, region string) string {
	r := strings.NewReplacer("{{region}}", region, "{{ region }}", region, "{{app}}", app, "{{ app }}", app)
	return strings.TrimPrefix(r.Replace(t.File), "/")
}

// SeedFiles returns the files of a GitOps repository that holds version
// versions[app] for every app of top in every region, in the layout its
// targets describe: a values file for a yamlPath, a kustomization for a
// kustomizeImage, an ApplicationSet with one list element per region
// (keyed as the target says) for an applicationSetElement, a Deployment
// manifest for a containerImage. extra files (such as the topology itself)
// are added as given.
func SeedFiles(top *topology.Topology, versions map[string]string, extra map[string][]byte) (map[string][]byte, error) {
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

// ReadVersion returns the version a target file's content holds for the
// region named region. An applicationSetElement keyed by a label needs the
// region's labels: use ReadVersionIn.
func ReadVersion(content []byte, t topology.Target, region string) (string, error) {
	return ReadVersionIn(content, t, topology.Region{Name: region})
}

// ReadVersionIn returns the version a target file's content holds for
// region r.
func ReadVersionIn(content []byte, t topology.Target, r topology.Region) (string, error) {
	if t.ContainerImage != nil {
		tag, found, err := gitops.ContainerImageTag(content, *t.ContainerImage)
		switch {
		case err != nil:
			return "", fmt.Errorf("%s: %w", t.Describe(), err)
		case !found:
			return "", fmt.Errorf("%s: no such container or no tag on its image: %w", t.Describe(), ErrNoVersion)
		}
		return tag, nil
	}
	doc, err := yamledit.Parse(content)
	if err != nil {
		return "", err
	}
	switch {
	case t.YAMLPath != "":
		n, err := yamledit.Lookup(doc, t.YAMLPath)
		if err != nil {
			return "", fmt.Errorf("yamlPath %s: %w", t.YAMLPath, errors.Join(err, ErrNoVersion))
		}
		return n.Value, nil
	case t.KustomizeImage != "":
		images := yamledit.MapValue(doc.Content[0], "images")
		if images != nil && images.Kind == yaml.SequenceNode {
			for _, e := range images.Content {
				if n := yamledit.MapValue(e, "name"); n != nil && n.Value == t.KustomizeImage {
					if tag := yamledit.MapValue(e, "newTag"); tag != nil {
						return tag.Value, nil
					}
				}
			}
		}
		return "", fmt.Errorf("kustomizeImage %s: no newTag: %w", t.KustomizeImage, ErrNoVersion)
	case t.ApplicationSetElement != nil:
		e := *t.ApplicationSetElement
		keyValue, ok := e.KeyValue(r)
		if !ok {
			return "", fmt.Errorf("%s: region %s has no label %s: %w", t.Describe(), r.Name, e.KeyName(), ErrNoVersion)
		}
		el, _, _, err := gitops.ApplicationSetElement(doc, e.KeyName(), keyValue)
		if err != nil {
			return "", fmt.Errorf("%s: %w", t.Describe(), errors.Join(err, ErrNoVersion))
		}
		if v := yamledit.MapValue(el, e.Field); el != nil && v != nil {
			return v.Value, nil
		}
		return "", fmt.Errorf("%s: no element for %s %s with the field: %w", t.Describe(), e.KeyName(), keyValue, ErrNoVersion)
	}
	return "", fmt.Errorf("target %s names no yamlPath, kustomizeImage, applicationSetElement or containerImage: %w", t.File, ErrNoVersion)
}
