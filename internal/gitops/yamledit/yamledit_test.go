package yamledit

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ringleader-dev/ringleader/internal/golden"
)

// readInput is testdata/input.yaml, the document every edit starts from.
func readInput(t *testing.T) []byte {
	t.Helper()
	input, err := os.ReadFile(filepath.Join("testdata", "input.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return input
}

func TestSetPathPreservesTheRestOfTheFile(t *testing.T) {
	t.Parallel()
	input := readInput(t)
	cases := []struct {
		name, path, value string
	}{
		{"plain", "image.tag", "v1.4.2"},
		{"double-quoted", "image.digest", "sha256:def"},
		{"flow-single-quoted", "sidecar.tag", "v1.31.0"},
		{"flow-plain", "sidecar.image", "envoy-distroless"},
		{"sequence-index", "containers[1].image", "ghcr.io/acme/worker:v2"},
		{"plain-needs-quotes", "chart.version", "1.10"},
		{"plain-stays-plain", "chart.version", "1.4.2"},
		{"after-unicode", "unicode", "hello"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			out, err := SetPath(input, c.path, c.value)
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", "golden", c.name+".yaml"), out)
			doc, err := Parse(out)
			if err != nil {
				t.Fatal(err)
			}
			n, err := Lookup(doc, c.path)
			if err != nil {
				t.Fatal(err)
			}
			if n.Value != c.value || n.Tag != "!!str" {
				t.Errorf("reads back as %s %q, want !!str %q", n.Tag, n.Value, c.value)
			}
		})
	}
}

func TestSetPathErrors(t *testing.T) {
	t.Parallel()
	input := readInput(t)
	cases := []struct {
		name, path string
		is         error
		mentions   string
	}{
		{"missing key", "image.nope", ErrNotFound, `key "nope" not found under image`},
		{"missing parent", "nope.tag", ErrNotFound, `key "nope" not found under the document root`},
		{"index out of range", "containers[5].image", ErrNotFound, "containers has no index 5"},
		{"not a mapping", "kind.x", ErrNotFound, "kind is not a mapping"},
		{"mapping not scalar", "image", ErrUnsupported, "not a scalar"},
		{"block scalar", "notes", ErrUnsupported, "block scalar"},
	}
	for _, c := range cases {
		_, err := SetPath(input, c.path, "v")
		if !errors.Is(err, c.is) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.is)
			continue
		}
		if !strings.Contains(err.Error(), c.mentions) {
			t.Errorf("%s: error %q does not mention %q", c.name, err, c.mentions)
		}
	}
}

func TestPlain(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{"v1.4.2", "v1.4.2"},
		{"1.4.2", "1.4.2"},
		{"1.10", `"1.10"`},
		{"true", `"true"`},
		{"", `""`},
		{"a: b", `"a: b"`},
		{"# x", `"# x"`},
		{"null", `"null"`},
		{"sha256:abc", `"sha256:abc"`},
	}
	for _, c := range cases {
		if got := Plain(c.in, false); got != c.want {
			t.Errorf("Plain(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}
