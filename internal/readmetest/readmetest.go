// Package readmetest is how tests hold README.md to the code: its text, or
// the text of one of its sections, read from the module root wherever the
// test's package sits.
package readmetest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Text is README.md at the module root: the first directory above the
// test's working directory (its package directory) that holds go.mod.
func Text(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatalf("find README.md: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("find README.md: no go.mod above the test's directory")
		}
		dir = parent
	}
	b, err := os.ReadFile(filepath.Join(dir, "README.md"))
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
