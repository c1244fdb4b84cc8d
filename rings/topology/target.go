package topology

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// ApplicationSetElement is an applicationSetElement target: set Field of
// the list-generator element of an Argo CD ApplicationSet that belongs to
// the region. The element is the one whose Key field (default "region")
// holds the region's key value: the region's label Key, or, when Key is
// "region" and the region has no such label, the region's name.
//
// In YAML it is the field alone (`applicationSetElement: targetRevision`,
// the key is "region") or a mapping (`{field: targetRevision, key:
// cluster}`). The scalar form is also what it encodes to while Key is
// empty, so topologies written before the mapping form read and encode the
// same.
type ApplicationSetElement struct {
	Field string `yaml:"field" json:"field"`
	Key   string `yaml:"key,omitempty" json:"key,omitempty"`
}

// DefaultElementKey is the element field that names the region when an
// applicationSetElement target does not say otherwise.
const DefaultElementKey = "region"

// KeyName is the element field that identifies the region.
func (e ApplicationSetElement) KeyName() string {
	if e.Key == "" {
		return DefaultElementKey
	}
	return e.Key
}

// KeyValue is the value of the element's key field that identifies region
// r: its label KeyName(), else its name when the key is "region". ok is
// false when the region has neither (validation refuses such a topology).
func (e ApplicationSetElement) KeyValue(r Region) (value string, ok bool) {
	key := e.KeyName()
	if v, found := r.Labels[key]; found {
		return v, true
	}
	if key == DefaultElementKey {
		return r.Name, true
	}
	return "", false
}

// describe is the target's text after "applicationSetElement ": the field,
// and the key when it is not the default (so the scalar form's text is
// what it always was).
func (e ApplicationSetElement) describe() string {
	if e.KeyName() == DefaultElementKey {
		return e.Field
	}
	return e.Field + " key " + e.Key
}

// MarshalJSON writes the field alone while the key is the default, the
// mapping otherwise.
func (e ApplicationSetElement) MarshalJSON() ([]byte, error) {
	if e.Key == "" {
		return json.Marshal(e.Field)
	}
	type plain ApplicationSetElement
	return json.Marshal(plain(e))
}

// UnmarshalJSON reads either form MarshalJSON writes.
func (e *ApplicationSetElement) UnmarshalJSON(b []byte) error {
	var field string
	if err := json.Unmarshal(b, &field); err == nil {
		*e = ApplicationSetElement{Field: field}
		return nil
	}
	type plain ApplicationSetElement
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return fmt.Errorf("applicationSetElement must be a field name or {field, key}: %w", err)
	}
	*e = ApplicationSetElement(p)
	return nil
}

// MarshalYAML writes the same forms as MarshalJSON, so Parse reads back
// what it wrote.
func (e ApplicationSetElement) MarshalYAML() (any, error) {
	if e.Key == "" {
		return e.Field, nil
	}
	type plain ApplicationSetElement
	return plain(e), nil
}

// ContainerImage is a containerImage target: in a Kubernetes manifest file
// (one or several YAML documents), the image tag of container Container of
// the workload of kind Kind named Name.
type ContainerImage struct {
	Kind      string `yaml:"kind" json:"kind"`
	Name      string `yaml:"name" json:"name"`
	Container string `yaml:"container" json:"container"`
}

func (c ContainerImage) describe() string {
	return c.Kind + "/" + c.Name + " container " + c.Container
}

// PodSpecPaths maps each workload kind a containerImage target supports to
// the path of its pod spec (where containers and initContainers are).
var PodSpecPaths = map[string]string{
	"Pod":         "spec",
	"Deployment":  "spec.template.spec",
	"StatefulSet": "spec.template.spec",
	"DaemonSet":   "spec.template.spec",
	"ReplicaSet":  "spec.template.spec",
	"Job":         "spec.template.spec",
	"CronJob":     "spec.jobTemplate.spec.template.spec",
}

// ContainerImageKinds lists the kinds of PodSpecPaths, sorted.
func ContainerImageKinds() []string {
	out := make([]string, 0, len(PodSpecPaths))
	for k := range PodSpecPaths {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var elementType = reflect.TypeOf(ApplicationSetElement{})

// decodeElementShorthand reads `applicationSetElement: targetRevision` as
// {field: targetRevision}. It reports whether it handled n.
func (p *topoParser) decodeElementShorthand(n *yaml.Node, v reflect.Value, path, name string) bool {
	if v.Type() != elementType || n.Kind != yaml.ScalarNode {
		return false
	}
	fp := pathJoin(path, "field")
	p.keys[fp] = nodePos(n)
	p.decodeValue(n, v.FieldByName("Field"), fp, name)
	return true
}

// elementName is what an ApplicationSet element key or field may be: one
// flat key, as a list generator template reads it ({{cluster}}).
var elementName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// checkTarget checks that target t (at path ep) names exactly one kind of
// place, and the parts of the new kinds.
func (p *topoParser) checkTarget(ep, owner string, t Target) {
	kinds := []struct {
		name string
		set  bool
	}{
		{"yamlPath", t.YAMLPath != ""},
		{"kustomizeImage", t.KustomizeImage != ""},
		{"applicationSetElement", t.ApplicationSetElement != nil},
		{"containerImage", t.ContainerImage != nil},
	}
	var set []string
	for _, k := range kinds {
		if p.isBad(pathJoin(ep, k.name)) {
			return
		}
		if k.set {
			set = append(set, k.name)
		}
	}
	if p.isBad(ep) {
		return
	}
	const need = "target of %s needs exactly one of yamlPath, kustomizeImage, applicationSetElement or containerImage; it has %s"
	switch len(set) {
	case 1:
	case 0:
		p.errorAt(p.at(ep), need, owner, "none")
		return
	default:
		p.errorAt(p.at(ep), need, owner, strings.Join(set, " and "))
		return
	}
	if e := t.ApplicationSetElement; e != nil {
		ap := pathJoin(ep, "applicationSetElement")
		p.checkElementName(pathJoin(ap, "field"), owner, "field", e.Field, "the element field to set, such as targetRevision")
		if p.given[pathJoin(ap, "key")] {
			p.checkElementName(pathJoin(ap, "key"), owner, "key", e.Key, "the element field naming the region, such as cluster")
		}
		if e.Key != "" && e.Key == e.Field {
			p.errorAt(p.at(pathJoin(ap, "key")), "applicationSetElement of %s sets field %q, which is also its key: the key names the region's element and is never written", owner, e.Field)
		}
	}
	if c := t.ContainerImage; c != nil {
		cp := pathJoin(ep, "containerImage")
		if kp := pathJoin(cp, "kind"); c.Kind == "" {
			p.errorAt(p.at(kp), "containerImage of %s needs a kind, one of %s", owner, strings.Join(ContainerImageKinds(), ", "))
		} else if _, ok := PodSpecPaths[c.Kind]; !ok {
			p.errorAt(p.at(kp), "containerImage kind %q of %s is not supported; use one of %s", c.Kind, owner, strings.Join(ContainerImageKinds(), ", "))
		}
		if c.Name == "" {
			p.errorAt(p.at(pathJoin(cp, "name")), "containerImage of %s needs the name of the workload (metadata.name)", owner)
		}
		if c.Container == "" {
			p.errorAt(p.at(pathJoin(cp, "container")), "containerImage of %s needs the name of the container whose image tag is set", owner)
		}
	}
}

// checkElementName checks one name of an applicationSetElement mapping.
func (p *topoParser) checkElementName(path, owner, what, v, hint string) {
	switch {
	case p.isBad(path):
	case v == "":
		p.errorAt(p.at(path), "applicationSetElement of %s needs a %s: %s", owner, what, hint)
	case !elementName.MatchString(v):
		p.errorAt(p.at(path), "applicationSetElement %s %q of %s is not a plain element field name (letters, digits, '_' and '-')", what, v, owner)
	}
}

// validateElementKeys checks, for every applicationSetElement target, that
// each region in a ring has a value for the target's key, and that no two
// regions sharing one ApplicationSet file have the same value (they would
// share one element).
func (p *topoParser) validateElementKeys(s *TopologySpec) {
	if p.isBad("spec.regions") || p.isBad("spec.rings") || p.isBad("spec.apps") {
		return
	}
	inRing := map[string]bool{}
	for _, r := range s.Rings {
		for _, name := range r.Regions {
			inRing[name] = true
		}
	}
	for i, a := range s.Apps {
		_, owner := listEntry("spec.apps", i, "app", a.Name)
		for j, t := range a.Targets {
			e := t.ApplicationSetElement
			if e == nil || p.isBad(pathIndex(pathJoin(pathIndex("spec.apps", i), "targets"), j)) {
				continue
			}
			shared := !strings.Contains(t.File, "{{region}}") && !strings.Contains(t.File, "{{ region }}")
			seen := map[string]string{}
			for k, r := range s.Regions {
				if !inRing[r.Name] || r.Name == "" {
					continue
				}
				rp := pathIndex("spec.regions", k)
				v, ok := e.KeyValue(r)
				if !ok {
					p.errorAt(p.at(pathJoin(rp, "labels")), "region %q has no label %q, which %s needs: its applicationSetElement target finds the region's element by %s; add labels: {%s: <the element's %s>}", r.Name, e.KeyName(), owner, e.KeyName(), e.KeyName(), e.KeyName())
					continue
				}
				if first, dup := seen[v]; dup && shared {
					p.errorAt(p.at(pathJoin(rp, "labels")), "regions %q and %q both have %s %q, so %s would write one ApplicationSet element for both; give each region its own %s", first, r.Name, e.KeyName(), v, owner, e.KeyName())
					continue
				}
				seen[v] = r.Name
			}
		}
	}
}

// HasApplicationSetElement reports whether any target of the app is an
// applicationSetElement: its Argo CD Applications are generated by an
// ApplicationSet, and judged by the value they run rather than by the
// GitOps commit (regions/argocd).
func (a App) HasApplicationSetElement() bool {
	return slices.ContainsFunc(a.Targets, func(t Target) bool { return t.ApplicationSetElement != nil })
}
