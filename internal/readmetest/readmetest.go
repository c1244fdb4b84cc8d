// Package readmetest is how tests hold README.md to the code: its text, or
// the text of one of its sections, read from the module root wherever the
// test's package sits.
package readmetest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ringleader-dev/ringleader/internal/golden"
)

// Text is README.md at the module root.
func Text(tb testing.TB) string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(golden.ModuleRoot(tb), "README.md"))
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// Section is the text under README.md's "## heading" up to the next "## "
// heading; it fails tb when there is no such section.
func Section(tb testing.TB, heading string) string {
	tb.Helper()
	_, section, ok := strings.Cut(Text(tb), "\n## "+heading+"\n")
	if !ok {
		tb.Fatalf("README.md has no %q section", heading)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	return section
}
