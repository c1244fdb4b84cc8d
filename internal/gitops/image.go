package gitops

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ringleader-dev/ringleader/internal/gitops/yamledit"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// ErrAmbiguous is returned (wrapped) when a containerImage target matches
// more than one workload or container: which one to change is for a
// person to say (rename one, or split the file).
var ErrAmbiguous = errors.New("ambiguous")

// imageTag is what Docker and OCI accept as a tag.
var imageTag = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)

// SplitImage splits an image reference into its name, tag and digest:
// "ghcr.io:443/acme/cart:v1@sha256:ab" is ("ghcr.io:443/acme/cart", "v1",
// "sha256:ab"). A missing part is empty.
func SplitImage(ref string) (name, tag, digest string) {
	name = ref
	if i := strings.IndexByte(name, '@'); i >= 0 {
		name, digest = name[:i], name[i+1:]
	}
	if i := strings.LastIndexByte(name, ':'); i > strings.LastIndexByte(name, '/') {
		name, tag = name[:i], name[i+1:]
	}
	return name, tag, digest
}

// SetContainerImageTag sets the tag of the image of container c.Container
// of workload c.Kind/c.Name in a Kubernetes manifest file of one or more
// YAML documents. Only the image's bytes change: its quoting, a comment on
// the same line and every other document stay as they are.
//
// A digest is dropped: "cart:v1@sha256:…" becomes "cart:v2". The digest
// pins the old image (a container runtime pulls by digest and ignores the
// tag), so keeping it would promote nothing; a release that wants a
// digest names it in the version instead of a tag.
//
// No such workload or container is yamledit.ErrNotFound; two workloads of
// that kind and name in the file (in different namespaces, say), or two
// containers of that name, are ErrAmbiguous.
func SetContainerImageTag(content []byte, c topology.ContainerImage, tag string) ([]byte, error) {
	if !imageTag.MatchString(tag) {
		return nil, fmt.Errorf("%q is not an image tag (letters, digits, '_', '.' and '-', at most 128): %w", tag, yamledit.ErrUnsupported)
	}
	n, path, err := findContainerImage(content, c)
	if err != nil {
		return nil, err
	}
	name, _, _ := SplitImage(n.Value)
	out, err := yamledit.ReplaceImage(content, n, name+":"+tag)
	if err != nil {
		return nil, fmt.Errorf("path %s: %w", path, err)
	}
	return out, nil
}

// ContainerImageTag reads the tag of the image of container c.Container
// of workload c.Kind/c.Name. found is false when the workload, the
// container or the tag (an image by digest alone) is not there; an
// ambiguous target or a file that does not parse is an error.
func ContainerImageTag(content []byte, c topology.ContainerImage) (tag string, found bool, err error) {
	n, _, err := findContainerImage(content, c)
	if errors.Is(err, yamledit.ErrNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	_, tag, _ = SplitImage(n.Value)
	return tag, tag != "", nil
}

// ContainerImagePath is where a containerImage target's value is looked
// for, for errors: "Deployment/cartservice spec.template.spec.containers[name=server].image".
func ContainerImagePath(c topology.ContainerImage) string {
	return fmt.Sprintf("%s/%s %s.containers[name=%s].image", c.Kind, c.Name, topology.PodSpecPaths[c.Kind], c.Container)
}

// findContainerImage returns the image scalar of the target's container
// and its path ("Deployment/cartservice at line 12
// spec.template.spec.containers[1].image").
func findContainerImage(content []byte, c topology.ContainerImage) (*yaml.Node, string, error) {
	specPath, ok := topology.PodSpecPaths[c.Kind]
	if !ok {
		return nil, "", fmt.Errorf("kind %s: not a workload kind with a pod template: %w", c.Kind, yamledit.ErrUnsupported)
	}
	docs, err := parseDocuments(content)
	if err != nil {
		return nil, "", err
	}
	workload := c.Kind + "/" + c.Name
	var spec *yaml.Node
	var at string
	for _, d := range docs {
		root := d.Content[0]
		if k := yamledit.MapValue(root, "kind"); k == nil || k.Value != c.Kind {
			continue
		}
		if name := yamledit.MapValue(yamledit.MapValue(root, "metadata"), "name"); name == nil || name.Value != c.Name {
			continue
		}
		here := fmt.Sprintf("%s at line %d", workload, root.Line)
		if spec != nil {
			return nil, "", fmt.Errorf("%s and %s: the file has two workloads of that kind and name; keep one per file: %w", at, here, ErrAmbiguous)
		}
		if spec, err = yamledit.Lookup(d, specPath); err != nil {
			return nil, "", fmt.Errorf("%s: no pod spec: %w", here, err)
		}
		at = here
	}
	if spec == nil {
		return nil, "", fmt.Errorf("no %s in the file's %d documents: %w", workload, len(docs), yamledit.ErrNotFound)
	}
	var image *yaml.Node
	var path string
	var names []string
	for _, list := range []string{"initContainers", "containers"} {
		seq := yamledit.MapValue(spec, list)
		if seq == nil || seq.Kind != yaml.SequenceNode {
			continue
		}
		for j, ct := range seq.Content {
			name := yamledit.MapValue(ct, "name")
			if name == nil {
				continue
			}
			names = append(names, name.Value)
			if name.Value != c.Container {
				continue
			}
			p := fmt.Sprintf("%s %s.%s[%d].image", at, specPath, list, j)
			if image != nil {
				return nil, "", fmt.Errorf("%s has two containers named %s (%s and %s): %w", workload, c.Container, path, p, ErrAmbiguous)
			}
			if image = yamledit.MapValue(ct, "image"); image == nil {
				return nil, "", fmt.Errorf("path %s: container %s has no image: %w", p, c.Container, yamledit.ErrNotFound)
			}
			path = p
		}
	}
	switch {
	case image == nil:
		return nil, "", fmt.Errorf("%s has no container %s (it has: %s): %w", at, c.Container, strings.Join(names, ", "), yamledit.ErrNotFound)
	case image.Kind != yaml.ScalarNode:
		return nil, "", fmt.Errorf("path %s: the image is not a string: %w", path, yamledit.ErrUnsupported)
	}
	return image, path, nil
}

// parseDocuments decodes every YAML document of content; empty documents
// (a leading or trailing "---") are skipped. Node lines count from the
// start of content, so edits address the whole file.
func parseDocuments(content []byte) ([]*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(content))
	var out []*yaml.Node
	for i := 1; ; i++ {
		var d yaml.Node
		err := dec.Decode(&d)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("parse yaml document %d: %w", i, err)
		}
		if d.Kind == yaml.DocumentNode && len(d.Content) > 0 && d.Content[0].Kind == yaml.MappingNode {
			out = append(out, &d)
		}
	}
	return out, nil
}
