package gitops

import (
	"errors"
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/ringleader-dev/ringleader/internal/gitops/yamledit"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// ElementKey returns the element field and value that identify region's
// element for an applicationSetElement target: ("region", the region's
// name) for the plain form, ("cluster", the region's cluster label) for
// {key: cluster}. A region of no topology is known by its name alone.
func ElementKey(top *topology.Topology, e topology.ApplicationSetElement, region string) (key, value string, err error) {
	r := topology.Region{Name: region}
	if top != nil {
		if found, ok := top.RegionByName(region); ok {
			r = found
		}
	}
	value, ok := e.KeyValue(r)
	if !ok {
		return "", "", fmt.Errorf("region %s has no label %q to find its ApplicationSet element by; add it under the region's labels: %w", region, e.KeyName(), ErrTarget)
	}
	return e.KeyName(), value, nil
}

// EditApplicationSetElement sets field of the list-generator element whose
// key field is keyValue (region: us-east-1, cluster: use1-prod…) in an Argo
// CD ApplicationSet, preserving formatting. An element without the field
// gets it (yamledit.SetEntry: indented and quoted like its neighbours, with
// the file's line endings). It checks the document's shape only loosely;
// internal/gitops/appset adds a validation with Argo CD's own types.
func EditApplicationSetElement(content []byte, key, keyValue, field, value string) ([]byte, error) {
	doc, err := yamledit.Parse(content)
	if err != nil {
		return nil, err
	}
	el, path, peers, err := ApplicationSetElement(doc, key, keyValue)
	if err != nil {
		return nil, err
	}
	if el == nil {
		return nil, fmt.Errorf("path spec.generators: no list element with %s %q: %w", key, keyValue, yamledit.ErrNotFound)
	}
	out, err := yamledit.SetEntry(content, el, peers, field, value)
	if err != nil {
		return nil, fmt.Errorf("path %s.%s: %w", path, field, err)
	}
	return out, nil
}

// ApplicationSetElement finds, in a parsed ApplicationSet, the list
// element whose key field is keyValue, with its path and the elements of
// its list. el is nil when the document has no such element (or no
// generators); err is set when the document is not an ApplicationSet.
func ApplicationSetElement(doc *yaml.Node, key, keyValue string) (el *yaml.Node, path string, peers []*yaml.Node, err error) {
	if k := yamledit.MapValue(doc.Content[0], "kind"); k == nil || k.Value != "ApplicationSet" {
		return nil, "", nil, fmt.Errorf("kind: not an ApplicationSet: %w", yamledit.ErrUnsupported)
	}
	gens, err := yamledit.Lookup(doc, "spec.generators")
	if errors.Is(err, yamledit.ErrNotFound) {
		return nil, "", nil, nil
	}
	if err != nil {
		return nil, "", nil, err
	}
	el, path, peers = FindListElement(gens, "spec.generators", key, keyValue)
	return el, path, peers, nil
}

// FindListElement finds, under a generators sequence (including generators
// nested in matrix and merge generators), the list element whose key field
// is value, and returns it with its path and the elements of its list.
func FindListElement(gens *yaml.Node, at, key, value string) (*yaml.Node, string, []*yaml.Node) {
	if gens == nil || gens.Kind != yaml.SequenceNode {
		return nil, "", nil
	}
	for i, g := range gens.Content {
		gp := fmt.Sprintf("%s[%d]", at, i)
		if els := yamledit.MapValue(yamledit.MapValue(g, "list"), "elements"); els != nil && els.Kind == yaml.SequenceNode {
			for j, el := range els.Content {
				if r := yamledit.MapValue(el, key); r != nil && r.Kind == yaml.ScalarNode && r.Value == value {
					return el, fmt.Sprintf("%s.list.elements[%d]", gp, j), els.Content
				}
			}
		}
		for _, combo := range []string{"matrix", "merge"} {
			nested := yamledit.MapValue(yamledit.MapValue(g, combo), "generators")
			if el, p, peers := FindListElement(nested, gp+"."+combo+".generators", key, value); el != nil {
				return el, p, peers
			}
		}
	}
	return nil, "", nil
}
