package yamledit

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// render writes value as a scalar in style (double- or single-quoted, else
// plain when that reads back as the same string), for a flow collection
// when flow is set.
func render(value string, style yaml.Style, flow bool) string {
	switch {
	case style&yaml.DoubleQuotedStyle != 0:
		return strconv.Quote(value)
	case style&yaml.SingleQuotedStyle != 0:
		return "'" + strings.ReplaceAll(value, "'", "''") + "'"
	}
	return Plain(value, flow)
}

// StyleFor picks the quoting of a new entry key of mapping m: the style of
// key's value in another mapping of peers (the other elements of the list
// m is in), else the style of m's last scalar value, else plain. Only the
// quote styles are kept.
func StyleFor(m *yaml.Node, peers []*yaml.Node, key string) yaml.Style {
	const quotes = yaml.DoubleQuotedStyle | yaml.SingleQuotedStyle
	for _, p := range peers {
		if v := MapValue(p, key); v != nil && v.Kind == yaml.ScalarNode && p != m {
			return v.Style & quotes
		}
	}
	m = resolveAlias(m)
	if m == nil {
		return 0
	}
	for i := len(m.Content) - 1; i >= 1; i -= 2 {
		if v := m.Content[i]; v.Kind == yaml.ScalarNode {
			return v.Style & quotes
		}
	}
	return 0
}

// InsertEntry adds "key: value" to mapping m, its value quoted as style,
// and changes no other byte. In a flow mapping ({a: 1, b: 2}) the entry
// goes after the last scalar value, as ", key: value". In a block mapping
// it goes on a line of its own after the line of the last entry whose
// value is a one-line scalar, indented like the mapping's first key, with
// the line ending (LF or CRLF) of that line; a comment at the end of that
// line stays where it is.
func InsertEntry(content []byte, m *yaml.Node, key, value string, style yaml.Style) ([]byte, error) {
	m = resolveAlias(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("cannot add %s: not a mapping: %w", key, ErrUnsupported)
	}
	var last *yaml.Node
	for i := len(m.Content) - 1; i >= 1; i -= 2 {
		if v := m.Content[i]; v.Kind == yaml.ScalarNode && v.Style&(yaml.LiteralStyle|yaml.FoldedStyle) == 0 {
			last = v
			break
		}
	}
	if last == nil {
		return nil, fmt.Errorf("cannot add %s to the mapping at line %d: it has no scalar entry to place it after: %w", key, m.Line, ErrUnsupported)
	}
	_, end, err := ScalarRange(content, last)
	if err != nil {
		return nil, fmt.Errorf("cannot add %s after line %d: %w", key, last.Line, err)
	}
	var insert string
	at := end
	if m.Style&yaml.FlowStyle != 0 {
		insert = ", " + key + ": " + render(value, style, true)
	} else {
		at = EndOfLine(content, end)
		eol := "\n"
		if (at < len(content) && content[at] == '\r') || (at == len(content) && bytes.Contains(content, []byte("\r\n"))) {
			eol = "\r\n"
		}
		insert = eol + strings.Repeat(" ", m.Content[0].Column-1) + key + ": " + render(value, style, false)
	}
	out := make([]byte, 0, len(content)+len(insert))
	out = append(out, content[:at]...)
	out = append(out, insert...)
	out = append(out, content[at:]...)
	return out, nil
}

// SetEntry sets key of mapping m to value: the scalar is replaced when the
// key exists, else the entry is added (InsertEntry) quoted like its peers
// (StyleFor).
func SetEntry(content []byte, m *yaml.Node, peers []*yaml.Node, key, value string) ([]byte, error) {
	if v := MapValue(m, key); v != nil {
		return ReplaceScalar(content, v, value)
	}
	return InsertEntry(content, m, key, value, StyleFor(m, peers, key))
}

// ReplaceImage is ReplaceScalar for an image reference: a plain scalar
// stays plain whenever the value reads back as the same string, its colons
// included ("registry.local:5000/shop/cart:v2"), where ReplaceScalar would
// quote any value with a colon.
func ReplaceImage(content []byte, n *yaml.Node, value string) ([]byte, error) {
	start, end, err := ScalarRange(content, n)
	if err != nil {
		return nil, err
	}
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 || !plainSafe(value, inFlow(content, start)) {
		return ReplaceScalar(content, n, value)
	}
	out := make([]byte, 0, len(content)+len(value))
	out = append(out, content[:start]...)
	out = append(out, value...)
	out = append(out, content[end:]...)
	return out, nil
}
