package topology

import (
	"reflect"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

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
