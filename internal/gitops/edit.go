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
	value  string // what it writes there
	apply  func(content []byte) ([]byte, error)
}

// editMemo keeps each edit's result per file content: the same edit (its
// target, where, and the value written) of the same content gives the same
// bytes, and the regions of an app often hold the very same file, so a
// train edits each distinct content once.
type editMemo map[editKey]editResult

type editKey struct{ content, what, path, value string }

type editResult struct {
	out []byte
	err error
}

// apply is e.apply(content), from m when it was asked before (m may be
// nil: no memo).
func (m editMemo) apply(e edit, content []byte) ([]byte, error) {
	if m == nil {
		return e.apply(content)
	}
	k := editKey{content: string(content), what: e.what, path: e.path, value: e.value}
	r, ok := m[k]
	if !ok {
		r.out, r.err = e.apply(content)
		m[k] = r
	}
	return r.out, r.err
}

// renderFile expands {{region}} and {{app}} in a target's file template.
func renderFile(tmpl, app, region string) string {
	// Plain replacements, not a strings.Replacer: building one per call
	// was a tenth of a train's baseline read (100,000 files).
	if strings.Contains(tmpl, "{{") {
		for _, r := range [...]struct{ old, new string }{{"{{region}}", region}, {"{{ region }}", region}, {"{{app}}", app}, {"{{ app }}", app}} {
			tmpl = strings.ReplaceAll(tmpl, r.old, r.new)
		}
	}
	return strings.TrimPrefix(tmpl, "/")
}

// edits lists the changes a promotion makes: every target of the app, for
// every region of the promotion (top supplies the regions' labels an
// applicationSetElement keyed by a label needs).
func edits(top *topology.Topology, app topology.App, p rings.Promotion, editAppSet func([]byte, string, string, string, string) ([]byte, error)) ([]edit, error) {
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
				out = append(out, edit{file: file, region: region, what: "yamlPath " + path, path: path, value: version,
					apply: func(c []byte) ([]byte, error) { return yamledit.SetPath(c, path, version) }})
			case t.KustomizeImage != "":
				image := t.KustomizeImage
				out = append(out, edit{file: file, region: region, what: "kustomizeImage " + image, path: "images[name=" + image + "].newTag", value: version,
					apply: func(c []byte) ([]byte, error) { return SetKustomizeImageTag(c, image, version) }})
			case t.ApplicationSetElement != nil:
				field := t.ApplicationSetElement.Field
				key, keyValue, err := ElementKey(top, *t.ApplicationSetElement, region)
				if err != nil {
					return nil, fmt.Errorf("file %s (%s): %w", file, t.Describe(), err)
				}
				fn := editAppSet
				if fn == nil {
					fn = EditApplicationSetElement
				}
				out = append(out, edit{file: file, region: region, what: t.Describe(), path: "spec.generators[…].list.elements[" + key + "=" + keyValue + "]." + field, value: version,
					apply: func(c []byte) ([]byte, error) { return fn(c, key, keyValue, field, version) }})
			case t.ContainerImage != nil:
				ci := *t.ContainerImage
				out = append(out, edit{file: file, region: region, what: t.Describe(), path: ContainerImagePath(ci), value: version,
					apply: func(c []byte) ([]byte, error) { return SetContainerImageTag(c, ci, version) }})
			default:
				return nil, fmt.Errorf("target file %s of app %s names no yamlPath, kustomizeImage, applicationSetElement or containerImage: %w", file, app.Name, ErrTarget)
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
func applyEdits(read func(path string) ([]byte, bool, error), es []edit, memo editMemo) (map[string][]byte, error) {
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
		next, err := memo.apply(e, content)
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
		return yamledit.InsertEntry(content, entry, "newTag", tag, 0)
	}
	return nil, fmt.Errorf("path images: no entry with name %q: %w", image, yamledit.ErrNotFound)
}
