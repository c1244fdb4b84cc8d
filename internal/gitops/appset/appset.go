package appset

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/argoproj/argo-cd/v2/pkg/apis/application/v1alpha1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"

	"github.com/ringleader-dev/ringleader/internal/gitops/yamledit"
)

// ErrInvalid is returned (wrapped) when the document is not a valid
// ApplicationSet.
var ErrInvalid = errors.New("invalid ApplicationSet")

// ErrNotFound is yamledit.ErrNotFound: no element for the region, or the
// element lacks the field.
var ErrNotFound = yamledit.ErrNotFound

// Decode parses content as an ApplicationSet with Argo CD's types.
func Decode(content []byte) (*v1alpha1.ApplicationSet, error) {
	js, err := yaml.YAMLToJSON(content)
	if err != nil {
		return nil, fmt.Errorf("parse ApplicationSet: %w: %w", ErrInvalid, err)
	}
	var as v1alpha1.ApplicationSet
	if err := json.Unmarshal(js, &as); err != nil {
		return nil, fmt.Errorf("decode ApplicationSet: %w: %w", ErrInvalid, err)
	}
	if as.Kind != "ApplicationSet" || !strings.HasPrefix(as.APIVersion, "argoproj.io/") {
		return nil, fmt.Errorf("kind %q apiVersion %q: want ApplicationSet of argoproj.io: %w", as.Kind, as.APIVersion, ErrInvalid)
	}
	if len(as.Spec.Generators) == 0 {
		return nil, fmt.Errorf("spec.generators is empty: %w", ErrInvalid)
	}
	return &as, nil
}

// Element finds the list-generator element whose key field is keyValue
// (region us-east-1, cluster use1-prod; in top-level generators and in
// matrix/merge generators one level down) and returns its decoded fields
// and its path in the document.
func Element(as *v1alpha1.ApplicationSet, key, keyValue string) (map[string]any, string, error) {
	for i, g := range as.Spec.Generators {
		at := fmt.Sprintf("spec.generators[%d]", i)
		if el, p, err := inList(g.List, at, key, keyValue); el != nil || err != nil {
			return el, p, err
		}
		var nested []v1alpha1.ApplicationSetNestedGenerator
		combo := ""
		switch {
		case g.Matrix != nil:
			nested, combo = g.Matrix.Generators, "matrix"
		case g.Merge != nil:
			nested, combo = g.Merge.Generators, "merge"
		}
		for j, n := range nested {
			nat := fmt.Sprintf("%s.%s.generators[%d]", at, combo, j)
			if el, p, err := inList(n.List, nat, key, keyValue); el != nil || err != nil {
				return el, p, err
			}
		}
	}
	return nil, "", fmt.Errorf("spec.generators: no list element with %s %q: %w", key, keyValue, ErrNotFound)
}

func inList(l *v1alpha1.ListGenerator, at, key, keyValue string) (map[string]any, string, error) {
	if l == nil {
		return nil, "", nil
	}
	for k, raw := range l.Elements {
		el, err := decodeElement(raw)
		if err != nil {
			return nil, "", fmt.Errorf("%s.list.elements[%d]: %w: %w", at, k, ErrInvalid, err)
		}
		if r, _ := el[key].(string); r == keyValue {
			return el, fmt.Sprintf("%s.list.elements[%d]", at, k), nil
		}
	}
	return nil, "", nil
}

func decodeElement(raw apiextensionsv1.JSON) (map[string]any, error) {
	var el map[string]any
	if err := json.Unmarshal(raw.Raw, &el); err != nil {
		return nil, err
	}
	return el, nil
}

// Edit sets field of the element whose key field is keyValue to value,
// adding the field to the element when it has none (indented and quoted
// like its neighbours, with the file's line endings). A missing element is
// an error naming the path; the field must hold a scalar. The result is
// decoded again and checked.
func Edit(content []byte, key, keyValue, field, value string) ([]byte, error) {
	as, err := Decode(content)
	if err != nil {
		return nil, err
	}
	_, path, err := Element(as, key, keyValue)
	if err != nil {
		return nil, err
	}
	doc, err := yamledit.Parse(content)
	if err != nil {
		return nil, err
	}
	el, err := yamledit.Lookup(doc, path)
	if err != nil {
		return nil, err
	}
	list, err := yamledit.Lookup(doc, path[:strings.LastIndexByte(path, '[')])
	if err != nil {
		return nil, err
	}
	out, err := yamledit.SetEntry(content, el, list.Content, field, value)
	if err != nil {
		return nil, fmt.Errorf("path %s.%s: %w", path, field, err)
	}
	again, err := Decode(out)
	if err != nil {
		return nil, fmt.Errorf("edited ApplicationSet no longer decodes: %w", err)
	}
	el2, _, err := Element(again, key, keyValue)
	if err != nil {
		return nil, err
	}
	if got := fmt.Sprint(el2[field]); got != value {
		return nil, fmt.Errorf("path %s.%s reads back as %q, want %q: %w", path, field, got, value, ErrInvalid)
	}
	return out, nil
}
