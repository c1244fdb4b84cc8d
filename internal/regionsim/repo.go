package regionsim

import (
	"errors"
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/ringleader-dev/ringleader/internal/gitops"
	"github.com/ringleader-dev/ringleader/internal/gitops/yamledit"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// ErrNoVersion means a region's target file holds no version for an app:
// the file or the field is missing. Fix the GitOps repository or the
// topology's targets.
var ErrNoVersion = errors.New("no version in the GitOps repository")

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
