package readmetest

import (
	"strings"
	"testing"
)

// The Layout section is found from this package's directory, two levels
// below the module root, and ends before the next section.
func TestSection(t *testing.T) {
	t.Parallel()
	layout := Section(t, "Layout")
	if !strings.Contains(layout, "| `internal/readmetest` |") {
		t.Errorf("Layout section lacks this package's row:\n%s", layout)
	}
	if strings.Contains(layout, "\n## ") {
		t.Errorf("Layout section runs into the next one:\n%s", layout)
	}
}
