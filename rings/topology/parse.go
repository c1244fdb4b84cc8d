package topology

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"

	// Embed the IANA zone database so region, window, freeze and train
	// time zones resolve on a machine without /usr/share/zoneinfo. It is
	// a fallback: time.LoadLocation prefers $ZONEINFO and the host's
	// zoneinfo, so identical zone data needs the same tzdata on every node.
	_ "time/tzdata"

	"gopkg.in/yaml.v3"
)

// ErrInvalidTopology matches (with errors.Is) every error Parse returns: the
// document was rejected and nothing built from it should be used. Keep the
// last good topology and show the user the ValidationErrors.
var ErrInvalidTopology = errors.New("invalid topology")

// ValidationError is one problem in a topology document, located at the key
// or value it concerns. Line and Col are 1-based. Problems that concern the
// whole document (it is empty, or YAML reported no line) sit at 1:1.
type ValidationError struct {
	File      string
	Line, Col int
	Msg       string
}

// Error renders "FILE:LINE:COL: message", the form editors jump to.
func (e ValidationError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

// ValidationErrors is every problem Parse found, in document order.
type ValidationErrors []ValidationError

// Error renders one problem per line.
func (e ValidationErrors) Error() string {
	var b strings.Builder
	for i, v := range e {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(v.Error())
	}
	return b.String()
}

// Is makes errors.Is(err, ErrInvalidTopology) true for any ValidationErrors.
func (e ValidationErrors) Is(target error) bool { return target == ErrInvalidTopology }

// Parse decodes and validates a topology document. filename is used only in
// messages. On success it returns the topology with defaults filled in (the
// table at the top of validate.go) and every Region.Location loaded. On any
// problem it returns a nil topology and a ValidationErrors listing every
// problem found, in document order, each pointing at the offending key or
// value. Parse reads nothing but data (and the embedded zone database) and
// never looks at the clock.
func Parse(filename string, data []byte) (*Topology, error) {
	p := newTopoParser(filename)
	root := p.readDocument(data)
	if root == nil {
		return nil, p.result()
	}
	var t Topology
	p.decodeTopology(root, &t)
	p.validate(&t)
	if len(p.errs) > 0 {
		return nil, p.result()
	}
	t.index = buildIndex(&t)
	t.effective = effectiveAll(&t, p.given)
	return &t, nil
}

// srcPos is a 1-based line and column in the document.
type srcPos struct{ line, col int }

func nodePos(n *yaml.Node) srcPos {
	if n == nil || n.Line < 1 {
		return srcPos{1, 1}
	}
	c := n.Column
	if c < 1 {
		c = 1
	}
	return srcPos{n.Line, c}
}

// maxNodes bounds the work of walking a document whose aliases fan out
// (a list of aliases to lists of aliases). Real topologies are far smaller.
const maxNodes = 50_000

// topoParser holds what one Parse call learns: the errors so far and where each
// field of the document sits, keyed by its path ("spec.rings[1].soak").
type topoParser struct {
	file string
	errs ValidationErrors
	// keys and vals locate each field's key and value by path; sequence
	// elements have only a vals entry.
	keys map[string]srcPos
	vals map[string]srcPos
	// given holds the paths whose value was present and not null: defaults
	// apply to the others.
	given map[string]bool
	// bad holds the paths whose value could not be decoded; validation stays
	// silent about them (and what is below them) so one mistake gives one error.
	bad map[string]bool
	// budget counts down the nodes the walker may still visit.
	budget   int
	overflow bool
}

func newTopoParser(file string) *topoParser {
	return &topoParser{
		file:   file,
		keys:   map[string]srcPos{},
		vals:   map[string]srcPos{},
		given:  map[string]bool{},
		bad:    map[string]bool{},
		budget: maxNodes,
	}
}

func (p *topoParser) errorAt(at srcPos, format string, args ...any) {
	p.errs = append(p.errs, ValidationError{File: p.file, Line: at.line, Col: at.col, Msg: fmt.Sprintf(format, args...)})
}

// result returns the errors sorted by position (stable, so problems at the
// same spot keep the order they were found in).
func (p *topoParser) result() ValidationErrors {
	sort.SliceStable(p.errs, func(i, j int) bool {
		a, b := p.errs[i], p.errs[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	return p.errs
}

// yamlLine finds the line number yaml.v3 puts in its syntax errors.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxError turns a yaml.v3 error into a located error. yaml.v3 reports a
// line but no column, and for a few errors (unknown anchor, control
// characters) not even a line: those sit at 1:1.
func (p *topoParser) syntaxError(err error) {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, convErr := strconv.Atoi(m[1])
		if convErr == nil && line >= 1 {
			p.errorAt(srcPos{line, 1}, "invalid YAML: %s", m[2])
			return
		}
	}
	p.errorAt(srcPos{1, 1}, "invalid YAML: %s", strings.TrimPrefix(msg, "yaml: "))
}

// readDocument parses the YAML and returns the root mapping, or nil after
// recording why there is none.
func (p *topoParser) readDocument(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.errorAt(srcPos{1, 1}, "empty document: a topology needs apiVersion, kind, metadata and spec")
		} else {
			p.syntaxError(err)
		}
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		p.errorAt(nodePos(&extra), "a second YAML document starts here; a topology file holds exactly one")
	case !errors.Is(err, io.EOF):
		p.syntaxError(err)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	root = p.follow(root)
	switch {
	case root == nil:
		return nil
	case isNullNode(root):
		p.errorAt(nodePos(root), "empty document: a topology needs apiVersion, kind, metadata and spec")
		return nil
	case root.Kind != yaml.MappingNode:
		p.errorAt(nodePos(root), "a topology must be a mapping with apiVersion, kind, metadata and spec, not %s", describeNode(root))
		return nil
	}
	// A second document or a syntax error after the first was recorded
	// above; the first is still checked so every problem is reported.
	return root
}

// follow resolves aliases and charges the node budget. It returns nil once
// the budget is spent (the error is recorded once).
func (p *topoParser) follow(n *yaml.Node) *yaml.Node {
	for hops := 0; n != nil && n.Kind == yaml.AliasNode; hops++ {
		if hops > 100 {
			p.errorAt(nodePos(n), "alias chain is too long")
			return nil
		}
		n = n.Alias
	}
	if n == nil {
		return nil
	}
	p.budget--
	if p.budget < 0 {
		if !p.overflow {
			p.overflow = true
			p.errorAt(nodePos(n), "document expands to more than %d nodes through aliases; write it out or split it", maxNodes)
		}
		return nil
	}
	return n
}

func isNullNode(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// describeNode names a node's kind for messages: `"five"`, "a list", "a mapping".
func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.ScalarNode:
		if isNullNode(n) {
			return "null"
		}
		return quoteShort(n.Value)
	default:
		return "an unexpected YAML node"
	}
}

// quoteShort quotes s for a message, eliding the middle of long values so
// that one pasted blob does not flood the output.
func quoteShort(s string) string {
	const limit = 64
	if len(s) <= limit {
		return strconv.Quote(s)
	}
	return strconv.Quote(s[:limit/2]) + "…" + strconv.Quote(s[len(s)-limit/2:])
}

// yamlPair is one key and value of a mapping.
type yamlPair struct{ key, val *yaml.Node }

// pairs lists a mapping's entries, rejecting non-string and duplicate keys
// and expanding YAML merge keys ("<<: *base"); explicit keys win over merged
// ones.
func (p *topoParser) pairs(n *yaml.Node, where string) []yamlPair { return p.mergedPairs(n, where, 0) }

// maxMergeDepth bounds merge keys inside merged mappings (and merge cycles).
const maxMergeDepth = 8

func (p *topoParser) mergedPairs(n *yaml.Node, where string, depth int) []yamlPair {
	seen := map[string]*yaml.Node{}
	var out, merged []yamlPair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			if depth >= maxMergeDepth {
				p.errorAt(nodePos(k), "merge keys (<<) in %s nest too deeply", where)
				continue
			}
			merged = append(merged, p.mergePairs(v, where, depth+1, false)...)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			p.errorAt(nodePos(k), "keys in %s must be plain names, not %s", where, describeNode(k))
			continue
		}
		if first, ok := seen[k.Value]; ok {
			p.errorAt(nodePos(k), "duplicate key %s in %s (first at line %d); remove one", quoteShort(k.Value), where, first.Line)
			continue
		}
		seen[k.Value] = k
		out = append(out, yamlPair{k, v})
	}
	for _, m := range merged {
		if _, ok := seen[m.key.Value]; ok {
			continue
		}
		seen[m.key.Value] = m.key
		out = append(out, m)
	}
	return out
}

// mergePairs returns the entries a merge key brings in: those of one mapping
// or of each mapping of a list, the first mapping winning.
func (p *topoParser) mergePairs(v *yaml.Node, where string, depth int, inList bool) []yamlPair {
	v = p.follow(v)
	if v == nil {
		return nil
	}
	switch {
	case v.Kind == yaml.MappingNode:
		return p.mergedPairs(v, where, depth)
	case v.Kind == yaml.SequenceNode && !inList:
		var out []yamlPair
		for _, c := range v.Content {
			out = append(out, p.mergePairs(c, where, depth, true)...)
		}
		return out
	default:
		p.errorAt(nodePos(v), "a merge key (<<) in %s needs a mapping or a list of mappings, not %s", where, describeNode(v))
		return nil
	}
}
