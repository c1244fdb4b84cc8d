package topology

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// BudgetSLI is the service level indicator an error budget is measured
// with: two PromQL templates over {{region}}, {{app}} and {{window}} (the
// policy window as a PromQL range such as 720h). Good counts the good
// events over the window, Total all of them; availability is Good ÷ Total.
type BudgetSLI struct {
	Good  string `yaml:"good" json:"good"`
	Total string `yaml:"total" json:"total"`
}

// AllowsExhausted reports whether a release of the given priority is
// promoted whatever its budget says, including a budget never measured.
func (p ErrorBudgetPolicy) AllowsExhausted(priority string) bool {
	return priority != "" && slices.Contains(p.AllowWhenExhausted, priority)
}

// sliPlaceholder matches what prometheus.Render expands: {{name}}, with
// optional spaces inside the braces.
var sliPlaceholder = regexp.MustCompile(`\{\{\s*([A-Za-z]+)\s*\}\}`)

// checkSLITemplate checks an SLI query template the way the Prometheus
// adapter renders it, so a mistake is reported at the topology's line
// rather than at every measurement: only {{region}}, {{app}} and
// {{window}}; {{region}} and {{app}} inside a '…' or "…" string (they are
// inserted escaped), {{window}} outside any string (a range, [{{window}}]);
// no placeholder in a backquoted string or a # comment; no "{{" that does
// not close.
func checkSLITemplate(q string) error {
	if strings.TrimSpace(q) == "" {
		return errors.New("is empty; write a PromQL query")
	}
	var quote byte // the open string's delimiter, 0 outside strings
	comment, escaped := false, false
	last := 0
	scan := func(text string) {
		for i := 0; i < len(text); i++ {
			c := text[i]
			switch {
			case comment:
				comment = c != '\n'
			case quote != 0 && escaped:
				escaped = false
			case quote != 0 && c == '\\' && quote != '`':
				escaped = true
			case quote != 0 && c == quote:
				quote = 0
			case quote != 0:
			case c == '#':
				comment = true
			case c == '"' || c == '\'' || c == '`':
				quote = c
			}
		}
	}
	for _, m := range sliPlaceholder.FindAllStringSubmatchIndex(q, -1) {
		if strings.Contains(q[last:m[0]], "{{") {
			break // reported below as an unclosed placeholder
		}
		scan(q[last:m[0]])
		last = m[1]
		name := q[m[2]:m[3]]
		switch {
		case name != "region" && name != "app" && name != "window":
			return fmt.Errorf("has an unknown placeholder {{%s}}; use {{region}}, {{app}} or {{window}}", name)
		case comment:
			return fmt.Errorf("has {{%s}} in a # comment", name)
		case quote == '`':
			return fmt.Errorf("has {{%s}} in a backquoted string, which cannot be escaped; use double quotes", name)
		case name == "window" && quote != 0:
			return errors.New("has {{window}} inside quotes; it is a range: write [{{window}}]")
		case name != "window" && quote == 0:
			return fmt.Errorf("has {{%s}} outside a quoted string; write it as a label value, e.g. %s=\"{{%s}}\"", name, name, name)
		}
	}
	if i := strings.Index(q[last:], "{{"); i >= 0 {
		return fmt.Errorf("has a placeholder it cannot read at %q (unclosed or not a name); write {{region}}, {{app}} or {{window}}", clip(q[last+i:], 20))
	}
	return nil
}

// clip shortens s to n bytes for a message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
