package yamledit

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// ErrNotFound is returned (wrapped) when a path names a key or index that
// the document does not have.
var ErrNotFound = errors.New("not found")

// ErrUnsupported is returned (wrapped) when the value at the path cannot be
// replaced in place (a block scalar, a mapping where a scalar is expected).
var ErrUnsupported = errors.New("unsupported value")

// Parse decodes content into a yaml.v3 document node.
func Parse(content []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(content, &doc); err != nil {
		return nil, fmt.Errorf("parse yaml: %w", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, fmt.Errorf("parse yaml: document is empty: %w", ErrNotFound)
	}
	return &doc, nil
}

// Segment is one step of a dotted path: a mapping key, or a sequence index
// when Index >= 0.
type Segment struct {
	Key   string
	Index int
}

// SplitPath splits "spec.template.containers[0].image" into segments.
func SplitPath(path string) ([]Segment, error) {
	if strings.TrimSpace(path) == "" {
		return nil, fmt.Errorf("empty path")
	}
	var out []Segment
	for _, part := range strings.Split(path, ".") {
		key := part
		var idx []int
		for strings.HasSuffix(key, "]") {
			open := strings.LastIndexByte(key, '[')
			if open < 0 {
				return nil, fmt.Errorf("path %q: unbalanced bracket in %q", path, part)
			}
			n, err := strconv.Atoi(key[open+1 : len(key)-1])
			if err != nil || n < 0 {
				return nil, fmt.Errorf("path %q: bad index in %q", path, part)
			}
			idx = append([]int{n}, idx...)
			key = key[:open]
		}
		if key == "" && len(idx) == 0 {
			return nil, fmt.Errorf("path %q: empty segment", path)
		}
		if key != "" {
			out = append(out, Segment{Key: key, Index: -1})
		}
		for _, n := range idx {
			out = append(out, Segment{Index: n})
		}
	}
	return out, nil
}

// Lookup follows path from node (a document or any node) and returns the
// node it names.
func Lookup(node *yaml.Node, path string) (*yaml.Node, error) {
	segs, err := SplitPath(path)
	if err != nil {
		return nil, err
	}
	cur := node
	if cur.Kind == yaml.DocumentNode {
		cur = cur.Content[0]
	}
	walked := ""
	for _, s := range segs {
		cur = resolveAlias(cur)
		if s.Index >= 0 {
			if cur.Kind != yaml.SequenceNode {
				return nil, fmt.Errorf("path %s: %q is not a list: %w", path, orRoot(walked), ErrNotFound)
			}
			if s.Index >= len(cur.Content) {
				return nil, fmt.Errorf("path %s: %s has no index %d: %w", path, orRoot(walked), s.Index, ErrNotFound)
			}
			cur = cur.Content[s.Index]
			walked += fmt.Sprintf("[%d]", s.Index)
			continue
		}
		if cur.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("path %s: %s is not a mapping: %w", path, orRoot(walked), ErrNotFound)
		}
		v := MapValue(cur, s.Key)
		if v == nil {
			return nil, fmt.Errorf("path %s: key %q not found under %s: %w", path, s.Key, orRoot(walked), ErrNotFound)
		}
		cur = v
		if walked != "" {
			walked += "."
		}
		walked += s.Key
	}
	return resolveAlias(cur), nil
}

func orRoot(s string) string {
	if s == "" {
		return "the document root"
	}
	return s
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// MapValue returns the value node of key in mapping m, or nil.
func MapValue(m *yaml.Node, key string) *yaml.Node {
	if i, r := keyIndex(m, key); i >= 0 {
		return r.Content[i+1]
	}
	return nil
}

// MapKey returns the key node of key in mapping m, or nil.
func MapKey(m *yaml.Node, key string) *yaml.Node {
	if i, r := keyIndex(m, key); i >= 0 {
		return r.Content[i]
	}
	return nil
}

// keyIndex returns where key stands in mapping m's content, and m with
// its alias resolved; -1 when m is no mapping or has no such key.
func keyIndex(m *yaml.Node, key string) (int, *yaml.Node) {
	m = resolveAlias(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return -1, m
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return i, m
		}
	}
	return -1, m
}

// SetPath sets the scalar at path in the first document of content to value
// and returns the edited bytes. Only the bytes of that scalar change.
func SetPath(content []byte, path, value string) ([]byte, error) {
	doc, err := Parse(content)
	if err != nil {
		return nil, err
	}
	n, err := Lookup(doc, path)
	if err != nil {
		return nil, err
	}
	out, err := ReplaceScalar(content, n, value)
	if err != nil {
		return nil, fmt.Errorf("path %s: %w", path, err)
	}
	return out, nil
}

// offset turns a 1-based line and character column into a byte offset.
func offset(content []byte, line, column int) (int, error) {
	pos := 0
	for l := 1; l < line; l++ {
		i := bytes.IndexByte(content[pos:], '\n')
		if i < 0 {
			return 0, fmt.Errorf("line %d is past the end of the file", line)
		}
		pos += i + 1
	}
	for c := 1; c < column; c++ {
		if pos >= len(content) || content[pos] == '\n' {
			return 0, fmt.Errorf("column %d is past the end of line %d", column, line)
		}
		_, w := utf8.DecodeRune(content[pos:])
		pos += w
	}
	return pos, nil
}

// ScalarRange returns the byte range [start, end) of scalar node n in
// content, including its quotes.
func ScalarRange(content []byte, n *yaml.Node) (int, int, error) {
	if n.Kind != yaml.ScalarNode {
		return 0, 0, fmt.Errorf("value at line %d is not a scalar: %w", n.Line, ErrUnsupported)
	}
	start, err := offset(content, n.Line, n.Column)
	if err != nil {
		return 0, 0, err
	}
	// Skip a tag or anchor written before the value ("!!str v1", "&a v1").
	for start < len(content) && (content[start] == '!' || content[start] == '&') {
		sp := bytes.IndexAny(content[start:], " \t\n")
		if sp < 0 || content[start+sp] == '\n' {
			break
		}
		start += sp
		for start < len(content) && (content[start] == ' ' || content[start] == '\t') {
			start++
		}
	}
	switch {
	case n.Style&yaml.DoubleQuotedStyle != 0:
		if start >= len(content) || content[start] != '"' {
			return 0, 0, fmt.Errorf("value at line %d: expected a double quote: %w", n.Line, ErrUnsupported)
		}
		for i := start + 1; i < len(content); i++ {
			switch content[i] {
			case '\\':
				i++
			case '"':
				return start, i + 1, nil
			}
		}
		return 0, 0, fmt.Errorf("value at line %d: unterminated double-quoted string: %w", n.Line, ErrUnsupported)
	case n.Style&yaml.SingleQuotedStyle != 0:
		if start >= len(content) || content[start] != '\'' {
			return 0, 0, fmt.Errorf("value at line %d: expected a single quote: %w", n.Line, ErrUnsupported)
		}
		for i := start + 1; i < len(content); i++ {
			if content[i] == '\'' {
				if i+1 < len(content) && content[i+1] == '\'' {
					i++
					continue
				}
				return start, i + 1, nil
			}
		}
		return 0, 0, fmt.Errorf("value at line %d: unterminated single-quoted string: %w", n.Line, ErrUnsupported)
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		return 0, 0, fmt.Errorf("value at line %d is a block scalar: %w", n.Line, ErrUnsupported)
	}
	// A plain scalar: it ends at the end of the line, a comment, or (in flow
	// collections) a flow indicator.
	end := start
	for end < len(content) {
		c := content[end]
		if c == '\n' || c == '\r' {
			break
		}
		if c == '#' && end > start && (content[end-1] == ' ' || content[end-1] == '\t') {
			break
		}
		if (c == ',' || c == '}' || c == ']') && inFlow(content, start) {
			break
		}
		end++
	}
	for end > start && (content[end-1] == ' ' || content[end-1] == '\t') {
		end--
	}
	if string(content[start:end]) != n.Value {
		return 0, 0, fmt.Errorf("value at line %d spans several lines: %w", n.Line, ErrUnsupported)
	}
	return start, end, nil
}

// inFlow reports whether the line holding pos opens a flow collection before
// pos (a heuristic good enough for one-line flow mappings and sequences).
func inFlow(content []byte, pos int) bool {
	lineStart := bytes.LastIndexByte(content[:pos], '\n') + 1
	depth := 0
	for _, c := range content[lineStart:pos] {
		switch c {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		}
	}
	return depth > 0
}

// ReplaceScalar replaces scalar n in content with value, keeping the node's
// quoting style where it can and quoting a plain value that would otherwise
// read back as something other than the same string.
func ReplaceScalar(content []byte, n *yaml.Node, value string) ([]byte, error) {
	start, end, err := ScalarRange(content, n)
	if err != nil {
		return nil, err
	}
	rendered := render(value, n.Style, inFlow(content, start))
	out := make([]byte, 0, len(content)+len(rendered))
	out = append(out, content[:start]...)
	out = append(out, rendered...)
	out = append(out, content[end:]...)
	return out, nil
}

// Plain renders value as a plain scalar when it reads back as the same
// string, and double-quoted otherwise.
func Plain(value string, flow bool) string {
	if strings.Contains(value, ":") || !plainSafe(value, flow) {
		return strconv.Quote(value)
	}
	return value
}

// plainSafe reports whether value, written as a plain scalar (in a flow
// collection when flow is set), reads back as the same string. A colon is
// allowed where YAML allows it: not followed by a space, not at the end.
func plainSafe(value string, flow bool) bool {
	if value == "" || strings.ContainsAny(value, "\n\r\t\"'#") || strings.TrimSpace(value) != value || strings.Contains(value, ": ") || strings.HasSuffix(value, ":") ||
		(flow && strings.ContainsAny(value, ",[]{}")) || strings.ContainsAny(value[:1], "!&*-?|>%@`[]{},:") {
		return false
	}
	var n yaml.Node
	if err := yaml.Unmarshal([]byte("v: "+value), &n); err != nil {
		return false
	}
	v := MapValue(n.Content[0], "v")
	return v != nil && v.Kind == yaml.ScalarNode && v.Tag == "!!str" && v.Value == value
}

// EndOfLine returns the offset of the newline ending the line that holds
// pos (or len(content)).
func EndOfLine(content []byte, pos int) int {
	i := bytes.IndexByte(content[pos:], '\n')
	if i < 0 {
		return len(content)
	}
	if i > 0 && content[pos+i-1] == '\r' {
		return pos + i - 1
	}
	return pos + i
}

// Offset is offset exported for callers that insert text next to a node.
func Offset(content []byte, line, column int) (int, error) { return offset(content, line, column) }
