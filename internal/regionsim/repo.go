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
