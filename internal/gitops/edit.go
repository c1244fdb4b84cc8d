package gitops

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ringleader-dev/ringleader/internal/gitops/yamledit"
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// edit is one change to one file for one region.
type edit struct {
	file   string
	region string
	what   string // "yamlPath image.tag", for errors
	path   string // where in the file, for errors
	apply  func(content []byte) ([]byte, error)
}

// renderFile expands {{region}} and {{app}} in a target's file template.
func renderFile(tmpl, app, region string) string {
	r := strings.NewReplacer("{{region}}", region, "{{ region }}", region, "{{app}}", app, "{{ app }}", app)
	return strings.TrimPrefix(r.Replace(tmpl), "/")
}

// edits lists the changes a promotion makes: every target of the app, for
// every region of the promotion.
func edits(app topology.App, p Promotion, editAppSet func([]byte, string, string, string) ([]byte, error)) ([]edit, error) {
	if len(app.Targets) == 0 {
		return nil, fmt.Errorf("app %s has no targets in the topology: %w", app.Name, ErrTarget)
	}
	var out []edit
	for _, region := range p.Regions {
		for _, t := range app.Targets {
			file := renderFile(t.File, app.Name, region)
			if file == "" || strings.Contains(file, "{{") {
				return nil, fmt.Errorf("target file %q of app %s does not render to a path: %w", t.File, app.Name, ErrTarget)
			}
			region, version := region, p.Version
			if len(p.Targets) > 0 {
				v, ok := targetValueFor(p.Targets, file, t.Describe())
				if !ok {
					return nil, fmt.Errorf("file %s (region %s, %s): no previous value was given for this target; the topology's targets changed since the release began, set it back by hand: %w", file, region, t.Describe(), ErrTarget)
				}
				version = v
			}
			switch {
			case t.YAMLPath != "":
				path := t.YAMLPath
				out = append(out, edit{file: file, region: region, what: "yamlPath " + path, path: path,
					apply: func(c []byte) ([]byte, error) { return yamledit.SetPath(c, path, version) }})
			case t.KustomizeImage != "":
				image := t.KustomizeImage
				out = append(out, edit{file: file, region: region, what: "kustomizeImage " + image, path: "images[name=" + image + "].newTag",
					apply: func(c []byte) ([]byte, error) { return SetKustomizeImageTag(c, image, version) }})
			case t.ApplicationSetElement != "":
				field := t.ApplicationSetElement
				fn := editAppSet
				if fn == nil {
					fn = EditApplicationSetElement
				}
				out = append(out, edit{file: file, region: region, what: "applicationSetElement " + field, path: "spec.generators[…].list.elements[region=" + region + "]." + field,
					apply: func(c []byte) ([]byte, error) { return fn(c, region, field, version) }})
			default:
				return nil, fmt.Errorf("target file %s of app %s names no yamlPath, kustomizeImage or applicationSetElement: %w", file, app.Name, ErrTarget)
			}
		}
	}
	return out, nil
}

// targetValueFor returns the value given for the target of file.
func targetValueFor(values []rings.TargetValue, file, target string) (string, bool) {
	for _, tv := range values {
		if tv.File == file && tv.Target == target {
			return tv.Value, true
		}
	}
	return "", false
}

// applyEdits reads each file through read, applies the edits in order and
// returns the new contents by path. Any missing file or field is a
// *TargetError naming the file, the target and the path; nothing is
// returned then.
func applyEdits(read func(path string) ([]byte, bool, error), es []edit) (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, e := range es {
		content, ok := out[e.file]
		if !ok {
			c, found, err := read(e.file)
			if err != nil {
				return nil, err
			}
			if !found {
				return nil, &TargetError{File: e.file, Region: e.region, Target: e.what, Err: errFileMissing}
			}
			content = c
		}
		next, err := e.apply(content)
		if err != nil {
			return nil, &TargetError{File: e.file, Region: e.region, Target: e.what, Path: e.path, Err: err}
		}
		out[e.file] = next
	}
	return out, nil
}

// SetKustomizeImageTag sets newTag of image in the images: list of a
// kustomization, adding newTag to the entry when it has none. Only the
// changed bytes of the file move.
func SetKustomizeImageTag(content []byte, image, tag string) ([]byte, error) {
	doc, err := yamledit.Parse(content)
	if err != nil {
		return nil, err
	}
	images := yamledit.MapValue(doc.Content[0], "images")
	if images == nil || images.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("path images: no images list: %w", yamledit.ErrNotFound)
	}
	for i, entry := range images.Content {
		name := yamledit.MapValue(entry, "name")
		if name == nil || name.Value != image {
			continue
		}
		if nt := yamledit.MapValue(entry, "newTag"); nt != nil {
			out, err := yamledit.ReplaceScalar(content, nt, tag)
			if err != nil {
				return nil, fmt.Errorf("path images[%d].newTag: %w", i, err)
			}
			return out, nil
		}
		return insertEntry(content, entry, "newTag", tag)
	}
	return nil, fmt.Errorf("path images: no entry with name %q: %w", image, yamledit.ErrNotFound)
}

// insertEntry adds "key: value" to mapping m: on its own line after the
// mapping's last scalar value for a block mapping, or before the closing
// brace of a one-line flow mapping.
func insertEntry(content []byte, m *yaml.Node, key, value string) ([]byte, error) {
	if len(m.Content) < 2 {
		return nil, fmt.Errorf("cannot add %s to an empty mapping: %w", key, yamledit.ErrUnsupported)
	}
	last := m.Content[len(m.Content)-1]
	if last.Kind != yaml.ScalarNode {
		return nil, fmt.Errorf("cannot add %s after a nested value at line %d: %w", key, last.Line, yamledit.ErrUnsupported)
	}
	_, end, err := yamledit.ScalarRange(content, last)
	if err != nil {
		return nil, err
	}
	var insert string
	at := end
	if m.Style&yaml.FlowStyle != 0 {
		insert = ", " + key + ": " + yamledit.Plain(value, true)
	} else {
		firstKey := m.Content[0]
		at = yamledit.EndOfLine(content, end)
		insert = "\n" + strings.Repeat(" ", firstKey.Column-1) + key + ": " + yamledit.Plain(value, false)
		if at > 0 && content[at-1] == '\r' {
			insert = "\r" + insert
		}
	}
	out := make([]byte, 0, len(content)+len(insert))
	out = append(out, content[:at]...)
	out = append(out, insert...)
	out = append(out, content[at:]...)
	return out, nil
}

// EditApplicationSetElement sets field of the list-generator element whose
// region is region in an Argo CD ApplicationSet, preserving formatting. It
// checks the document's shape only loosely; internal/gitops/appset adds a
// validation with Argo CD's own types.
func EditApplicationSetElement(content []byte, region, field, value string) ([]byte, error) {
	doc, err := yamledit.Parse(content)
	if err != nil {
		return nil, err
	}
	root := doc.Content[0]
	if k := yamledit.MapValue(root, "kind"); k == nil || k.Value != "ApplicationSet" {
		return nil, fmt.Errorf("kind: not an ApplicationSet: %w", yamledit.ErrUnsupported)
	}
	gens, err := yamledit.Lookup(doc, "spec.generators")
	if err != nil {
		return nil, err
	}
	el, path := FindListElement(gens, "spec.generators", region)
	if el == nil {
		return nil, fmt.Errorf("path spec.generators: no list element with region %q: %w", region, yamledit.ErrNotFound)
	}
	v := yamledit.MapValue(el, field)
	if v == nil {
		return nil, fmt.Errorf("path %s.%s: field not found: %w", path, field, yamledit.ErrNotFound)
	}
	out, err := yamledit.ReplaceScalar(content, v, value)
	if err != nil {
		return nil, fmt.Errorf("path %s.%s: %w", path, field, err)
	}
	return out, nil
}

// FindListElement finds, under a generators sequence (including generators
// nested in matrix and merge generators), the list element whose region
// field is region, and returns it with its path.
func FindListElement(gens *yaml.Node, at, region string) (*yaml.Node, string) {
	if gens == nil || gens.Kind != yaml.SequenceNode {
		return nil, ""
	}
	for i, g := range gens.Content {
		gp := fmt.Sprintf("%s[%d]", at, i)
		if els := yamledit.MapValue(yamledit.MapValue(g, "list"), "elements"); els != nil && els.Kind == yaml.SequenceNode {
			for j, el := range els.Content {
				if r := yamledit.MapValue(el, "region"); r != nil && r.Value == region {
					return el, fmt.Sprintf("%s.list.elements[%d]", gp, j)
				}
			}
		}
		for _, combo := range []string{"matrix", "merge"} {
			nested := yamledit.MapValue(yamledit.MapValue(g, combo), "generators")
			if el, p := FindListElement(nested, gp+"."+combo+".generators", region); el != nil {
				return el, p
			}
		}
	}
	return nil, ""
}
