package gitops

import (
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/memory"
)

// One treeFiles answers every read of a tree like go-git's Tree.File:
// found, absent (missing file or directory, a path through a file, a
// directory read as a file), and each read the same after the directory
// was cached.
func TestTreeFilesReadsLikeTreeFile(t *testing.T) {
	s := memory.NewStorage()
	b := &objectBuilder{base: s, s: s}
	root, err := b.tree(plumbing.ZeroHash, map[string][]byte{
		"top.yaml":                       []byte("top"),
		"apps/a/us-east-1/values.yaml":   []byte("a-east"),
		"apps/a/eu-west-1/values.yaml":   []byte("a-west"),
		"apps/b/us-east-1/values.yaml":   []byte("b-east"),
		"apps/b/us-east-1/empty.yaml":    nil,
		".ringleader/halts.yaml":         []byte("halts"),
		"apps/b/us-east-1/nested/x.yaml": []byte("x"),
	})
	if err != nil {
		t.Fatal(err)
	}
	tree, err := object.GetTree(s, root)
	if err != nil {
		t.Fatal(err)
	}
	files := newTreeFiles(tree)
	cases := []struct {
		path, want string
		found      bool
	}{
		{"top.yaml", "top", true},
		{"apps/a/us-east-1/values.yaml", "a-east", true},
		{"apps/a/eu-west-1/values.yaml", "a-west", true},
		{"apps/a/us-east-1/values.yaml", "a-east", true}, // again, from the cached directory
		{"apps/b/us-east-1/values.yaml", "b-east", true},
		{"apps/b/us-east-1/empty.yaml", "", true},
		{"apps/b/us-east-1/nested/x.yaml", "x", true},
		{".ringleader/halts.yaml", "halts", true},
		{"apps/c/us-east-1/values.yaml", "", false},
		{"apps/a/us-east-1/missing.yaml", "", false},
		{"apps/a/us-east-1/values.yaml/inside", "", false},
		{"apps/a", "", false},
		{"missing.yaml", "", false},
	}
	for _, c := range cases {
		got, found, err := files.read(c.path)
		if err != nil || found != c.found || string(got) != c.want {
			t.Errorf("read(%s) = %q, %v, %v; want %q, %v", c.path, got, found, err, c.want, c.found)
		}
		if c.found != (func() bool { _, err := tree.File(c.path); return err == nil })() {
			t.Errorf("%s: go-git's Tree.File disagrees on whether it exists", c.path)
		}
	}
	if got, found, err := newTreeFiles(nil).read("top.yaml"); got != nil || found || err != nil {
		t.Errorf("no tree: read = %q, %v, %v; want nothing", got, found, err)
	}
}

// An edit of content it already made answers from the memo; another
// value, target or content is made anew, and no memo makes every edit.
func TestEditMemoMakesEachDistinctEditOnce(t *testing.T) {
	made := 0
	edit := func(value string) edit {
		return edit{what: "yamlPath image.tag", path: "image.tag", value: value,
			apply: func(c []byte) ([]byte, error) { made++; return append([]byte(value+":"), c...), nil }}
	}
	m := editMemo{}
	var got []string
	for _, c := range []struct{ value, content string }{{"v2", "a"}, {"v2", "a"}, {"v3", "a"}, {"v2", "b"}, {"v2", "a"}} {
		out, err := m.apply(edit(c.value), []byte(c.content))
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(out))
	}
	var none editMemo
	_, _ = none.apply(edit("v2"), []byte("a"))
	_, _ = none.apply(edit("v2"), []byte("a"))
	if want := "v2:a v2:a v3:a v2:b v2:a"; strings.Join(got, " ") != want || made != 5 {
		t.Errorf("results %q, edits made %d; want %q and 3 + 2 without a memo", strings.Join(got, " "), made, want)
	}
}

func TestRenderFile(t *testing.T) {
	cases := []struct{ tmpl, want string }{
		{"apps/{{app}}/{{region}}/values.yaml", "apps/checkout/eu-west-1/values.yaml"},
		{"/envs/{{ region }}/{{ app }}.yaml", "envs/eu-west-1/checkout.yaml"},
		{"appsets/checkout.yaml", "appsets/checkout.yaml"},
		{"{{region}}-{{region}}/{{cluster}}", "eu-west-1-eu-west-1/{{cluster}}"},
	}
	for _, c := range cases {
		if got := renderFile(c.tmpl, "checkout", "eu-west-1"); got != c.want {
			t.Errorf("renderFile(%q) = %q, want %q", c.tmpl, got, c.want)
		}
	}
}
