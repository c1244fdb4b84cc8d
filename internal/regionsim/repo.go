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
// kustomizeImage, an ApplicationSet with one list element per region for an
// applicationSetElement. extra files (such as the topology itself) are
// added as given.
func SeedFiles(top *topology.Topology, versions map[string]string, extra map[string][]byte) (map[string][]byte, error) {
	files := map[string][]byte{}
	appsets := map[string][]string{} // file → regions, for ApplicationSets
	appsetApp := map[string]string{}
	appsetField := map[string]string{}
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
				case t.ApplicationSetElement != "":
					appsets[file] = append(appsets[file], region.Name)
					appsetApp[file], appsetField[file] = app.Name, t.ApplicationSetElement
				default:
					return nil, fmt.Errorf("seed repository: a target of app %s names no yamlPath, kustomizeImage or applicationSetElement", app.Name)
				}
			}
		}
	}
	for file, regions := range appsets {
		files[file] = applicationSetFile(appsetApp[file], appsetField[file], regions, versions[appsetApp[file]])
	}
	for p, c := range extra {
		files[p] = c
	}
	return files, nil
}

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
// element per region.
func applicationSetFile(app, field string, regions []string, version string) []byte {
	sort.Strings(regions)
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: %s\nspec:\n  generators:\n    - list:\n        elements:\n", app)
	for _, r := range regions {
		fmt.Fprintf(&b, "          - region: %s\n            %s: %s\n", r, field, version)
	}
	fmt.Fprintf(&b, "  template:\n    metadata:\n      name: '%s-{{region}}'\n    spec:\n      project: default\n      source:\n        repoURL: https://git.example.com/platform/deploy.git\n        path: apps/%s\n        targetRevision: '{{%s}}'\n      destination:\n        server: https://kubernetes.default.svc\n        namespace: %s\n", app, app, field, app)
	return []byte(b.String())
}

// ReadVersion returns the version a target file's content holds for region.
func ReadVersion(content []byte, t topology.Target, region string) (string, error) {
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
	case t.ApplicationSetElement != "":
		gens, err := yamledit.Lookup(doc, "spec.generators")
		if err != nil {
			return "", fmt.Errorf("applicationSetElement: %w", errors.Join(err, ErrNoVersion))
		}
		el, _ := gitops.FindListElement(gens, "spec.generators", region)
		if v := yamledit.MapValue(el, t.ApplicationSetElement); el != nil && v != nil {
			return v.Value, nil
		}
		return "", fmt.Errorf("applicationSetElement %s: no element for region %s: %w", t.ApplicationSetElement, region, ErrNoVersion)
	}
	return "", fmt.Errorf("target %s names no yamlPath, kustomizeImage or applicationSetElement: %w", t.File, ErrNoVersion)
}
