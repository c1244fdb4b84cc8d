package gitops

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"gopkg.in/yaml.v3"

	"github.com/ringleader-dev/ringleader/internal/gitops/yamledit"
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// ReadBaseline is ReadBaselines for one app.
func (w *Writer) ReadBaseline(ctx context.Context, app string, regions []string) (rings.BaselineRead, error) {
	a := w.ReadBaselines(ctx, []rings.BaselineQuery{{App: app, Regions: regions}})[0]
	return a.Read, a.Err
}

// ReadBaselines fetches the branch once and reads, from its head, the
// current value of every target of each query's app in each of its
// regions: one answer per query, in order. Nothing is written. A target
// whose file or field does not exist is reported Absent (the app's first
// deployment there); a file that exists but cannot be read as the target
// says (not YAML, an ApplicationSet without the field's element…) is that
// query's error, so a caller never records a guess. A failed fetch is
// every query's error.
func (w *Writer) ReadBaselines(ctx context.Context, qs []rings.BaselineQuery) []rings.BaselineAnswer {
	out := make([]rings.BaselineAnswer, len(qs))
	fail := func(err error) []rings.BaselineAnswer {
		for i, q := range qs {
			if out[i].Err == nil {
				out[i].Err = fmt.Errorf("read baseline of %s: %w", q.App, err)
			}
		}
		return out
	}
	top := w.topology()
	if top == nil {
		return fail(fmt.Errorf("no topology loaded: %w", ErrInvalid))
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	head, err := w.sync(ctx)
	if err != nil {
		return fail(err)
	}
	var tree *object.Tree
	if !head.IsZero() {
		if tree, err = w.wc.tree(head); err != nil {
			return fail(fmt.Errorf("at %s: %w", short(head), err))
		}
	}
	files, values := newTreeFiles(tree), valueMemo{}
	for i, q := range qs {
		out[i].Read, out[i].Err = readBaseline(top, head, files, values, q.App, q.Regions)
	}
	return out
}

// readBaseline reads one app's targets in regions from tree, the tree of
// head.
func readBaseline(top *topology.Topology, head plumbing.Hash, tree *treeFiles, memo valueMemo, app string, regions []string) (rings.BaselineRead, error) {
	a, ok := top.AppByName(app)
	if !ok {
		return rings.BaselineRead{}, fmt.Errorf("read baseline: app %s is not in the topology: %w", app, ErrTarget)
	}
	if len(a.Targets) == 0 {
		return rings.BaselineRead{}, fmt.Errorf("read baseline: app %s has no targets in the topology: %w", app, ErrTarget)
	}
	if len(regions) == 0 {
		return rings.BaselineRead{}, fmt.Errorf("read baseline of %s: no regions named: %w", app, ErrInvalid)
	}
	out := rings.BaselineRead{Targets: make(map[string][]rings.TargetValue, len(regions))}
	if !head.IsZero() {
		out.Commit = head.String()
	}
	files := map[string][]byte{} // read once per file: an ApplicationSet serves every region
	for _, region := range regions {
		values := make([]rings.TargetValue, 0, len(a.Targets))
		for _, t := range a.Targets {
			file := renderFile(t.File, a.Name, region)
			if file == "" || strings.Contains(file, "{{") {
				return rings.BaselineRead{}, fmt.Errorf("read baseline: target file %q of app %s does not render to a path: %w", t.File, a.Name, ErrTarget)
			}
			tv := rings.TargetValue{File: file, Target: t.Describe()}
			content, seen := files[file]
			if !seen {
				c, found, err := tree.read(file)
				if err != nil {
					return rings.BaselineRead{}, fmt.Errorf("read baseline of %s: %w", app, err)
				}
				if found {
					content = c
				}
				files[file] = content
			}
			if content == nil {
				tv.Absent = true
			} else {
				v, found, err := memo.of(top, content, t, region)
				if err != nil {
					return rings.BaselineRead{}, fmt.Errorf("read baseline: file %s (region %s, %s): %w: %w", file, region, tv.Target, ErrTarget, err)
				}
				tv.Value, tv.Absent = v, !found
			}
			values = append(values, tv)
		}
		out.Targets[region] = values
	}
	return out, nil
}

// valueMemo answers targetValue once per file content, target and (for an
// ApplicationSet element, whose key depends on the region) region: the
// regions of an app often hold the very same values file, and parsing it
// was most of the time a train's baseline read took.
type valueMemo map[valueKey]valueAnswer

type valueKey struct{ content, target, region string }

type valueAnswer struct {
	value string
	found bool
	err   error
}

func (m valueMemo) of(top *topology.Topology, content []byte, t topology.Target, region string) (string, bool, error) {
	k := valueKey{content: string(content), target: t.Describe()}
	if t.ApplicationSetElement != nil {
		k.region = region
	}
	a, ok := m[k]
	if !ok {
		a.value, a.found, a.err = targetValue(top, content, t, region)
		m[k] = a
	}
	return a.value, a.found, a.err
}

// targetValue reads the value one target holds in a file's content: found
// is false when the field (or the kustomize image's newTag, the
// ApplicationSet's element or its field, the workload, its container or
// its image's tag) does not exist.
func targetValue(top *topology.Topology, content []byte, t topology.Target, region string) (string, bool, error) {
	doc, err := yamledit.Parse(content)
	if err != nil {
		return "", false, err
	}
	var n *yaml.Node
	switch {
	case t.YAMLPath != "":
		n, err = yamledit.Lookup(doc, t.YAMLPath)
		if errors.Is(err, yamledit.ErrNotFound) {
			return "", false, nil
		}
		if err != nil {
			return "", false, err
		}
	case t.KustomizeImage != "":
		images := yamledit.MapValue(doc.Content[0], "images")
		if images == nil || images.Kind != yaml.SequenceNode {
			return "", false, nil
		}
		for _, entry := range images.Content {
			if name := yamledit.MapValue(entry, "name"); name != nil && name.Value == t.KustomizeImage {
				n = yamledit.MapValue(entry, "newTag")
				break
			}
		}
		if n == nil {
			return "", false, nil
		}
	case t.ApplicationSetElement != nil:
		key, keyValue, err := ElementKey(top, *t.ApplicationSetElement, region)
		if err != nil {
			return "", false, err
		}
		el, _, _, err := ApplicationSetElement(doc, key, keyValue)
		if err != nil {
			return "", false, err
		}
		if n = yamledit.MapValue(el, t.ApplicationSetElement.Field); n == nil {
			return "", false, nil
		}
	case t.ContainerImage != nil:
		return ContainerImageTag(content, *t.ContainerImage)
	default:
		return "", false, fmt.Errorf("the target names no yamlPath, kustomizeImage, applicationSetElement or containerImage: %w", yamledit.ErrUnsupported)
	}
	if n.Kind != yaml.ScalarNode {
		return "", false, fmt.Errorf("the value at line %d is not a scalar: %w", n.Line, yamledit.ErrUnsupported)
	}
	if n.Value == "" {
		return "", false, nil // a placeholder: no version was written yet
	}
	if strings.ContainsAny(n.Value, "\n\r") {
		return "", false, fmt.Errorf("the value at line %d spans lines, not a version: %w", n.Line, yamledit.ErrUnsupported)
	}
	return n.Value, true, nil
}
