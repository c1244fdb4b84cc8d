package prometheus

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// ErrTemplate marks a query template that cannot be rendered safely: an
// unknown placeholder, a placeholder outside a quoted string, or a value the
// template needs but the request does not carry. Fix the topology.
var ErrTemplate = errors.New("invalid query template")

// Vars are the values a query template may refer to.
type Vars struct {
	Region          string
	App             string
	Version         string
	BaselineVersion string
	// Window is the error-budget window, rendered as a PromQL duration
	// (e.g. 720h) for {{window}}.
	Window string
}

var placeholder = regexp.MustCompile(`\{\{\s*([A-Za-z]+)\s*\}\}`)

// promDuration is what {{window}} may expand to: a PromQL duration.
var promDuration = regexp.MustCompile(`^([0-9]+(ms|s|m|h|d|w|y))+$`)

// Render expands {{region}}, {{app}}, {{version}}, {{baselineVersion}} and
// {{window}} in a PromQL template.
//
// Values are escaped for the string literal they stand in, so no value can
// end the literal and inject PromQL: inside "…" and '…' backslashes, quotes
// and control characters are escaped; inside a regular-expression matcher
// (=~ or !~) the value is also regexp-quoted so "eu.west" matches only
// itself. A placeholder outside a quoted string is refused, except {{window}},
// which must expand to a PromQL duration such as 720h and is meant for range
// selectors ([{{window}}]). Backquoted raw strings cannot escape anything and
// are refused too, as are placeholders in # comments.
func Render(tmpl string, v Vars) (string, error) {
	var out strings.Builder
	scan := scanner{}
	last := 0
	for _, m := range placeholder.FindAllStringSubmatchIndex(tmpl, -1) {
		start, end := m[0], m[1]
		name := tmpl[m[2]:m[3]]
		scan.feed(tmpl[last:start])
		out.WriteString(tmpl[last:start])
		last = end

		value, err := lookup(name, v)
		if err != nil {
			return "", err
		}
		if name == "window" {
			if scan.quote != 0 {
				return "", fmt.Errorf("%w: {{window}} at offset %d must stand outside quotes, as in [{{window}}]", ErrTemplate, start)
			}
			if !promDuration.MatchString(value) {
				return "", fmt.Errorf("%w: window %q is not a PromQL duration", ErrTemplate, value)
			}
			out.WriteString(value)
			continue
		}
		if scan.comment {
			return "", fmt.Errorf("%w: {{%s}} at offset %d stands in a # comment", ErrTemplate, name, start)
		}
		switch scan.quote {
		case '"', '\'':
			if scan.regex {
				value = regexp.QuoteMeta(value)
			}
			out.WriteString(escape(value, scan.quote))
		case '`':
			return "", fmt.Errorf("%w: {{%s}} at offset %d stands in a backquoted string, which cannot be escaped; use double quotes", ErrTemplate, name, start)
		default:
			return "", fmt.Errorf("%w: {{%s}} at offset %d stands outside a quoted string; write it as a label value, e.g. region=\"{{%s}}\"", ErrTemplate, name, start, name)
		}
	}
	out.WriteString(tmpl[last:])
	return out.String(), nil
}

// lookup returns the value of a placeholder; an empty value is refused so a
// missing baseline version cannot silently match every series.
func lookup(name string, v Vars) (string, error) {
	var value string
	switch name {
	case "region":
		value = v.Region
	case "app":
		value = v.App
	case "version":
		value = v.Version
	case "baselineVersion":
		value = v.BaselineVersion
	case "window":
		value = v.Window
	default:
		return "", fmt.Errorf("%w: unknown placeholder {{%s}}; use region, app, version, baselineVersion or window", ErrTemplate, name)
	}
	if value == "" {
		return "", fmt.Errorf("%w: {{%s}} is used but has no value here", ErrTemplate, name)
	}
	return value, nil
}

// escape writes s as the inside of a PromQL string literal delimited by q.
func escape(s string, q byte) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == rune(q):
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// scanner tracks whether the text fed so far leaves us inside a string
// literal, and whether that literal is the right side of a regex matcher.
type scanner struct {
	quote   byte // 0 outside a string, else the delimiter
	comment bool // inside a # comment (to the end of the line)
	escaped bool
	regex   bool
	prev    []byte // the last two non-space bytes outside strings
}

func (s *scanner) feed(text string) {
	for i := 0; i < len(text); i++ {
		c := text[i]
		if s.comment {
			s.comment = c != '\n'
			continue
		}
		if s.quote != 0 {
			switch {
			case s.escaped:
				s.escaped = false
			case c == '\\' && s.quote != '`':
				s.escaped = true
			case c == s.quote:
				s.quote = 0
			}
			continue
		}
		switch c {
		case '#':
			s.comment = true
		case '"', '\'', '`':
			s.quote = c
			s.regex = len(s.prev) == 2 && (s.prev[0] == '=' || s.prev[0] == '!') && s.prev[1] == '~'
		case ' ', '\t', '\n', '\r':
		default:
			s.prev = append(s.prev, c)
			if len(s.prev) > 2 {
				s.prev = s.prev[len(s.prev)-2:]
			}
		}
	}
}
