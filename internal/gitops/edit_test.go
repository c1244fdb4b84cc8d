package gitops_test

import (
	"errors"
	"testing"

	"github.com/ringleader-dev/ringleader/internal/gitops"
	"github.com/ringleader-dev/ringleader/internal/gitops/yamledit"
)

func TestSetKustomizeImageTag(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, in, want string
	}{
		{"replace newTag", "images:\n  - name: app\n    newTag: v1 # pinned\n", "images:\n  - name: app\n    newTag: v2 # pinned\n"},
		{"add newTag to block entry", "images:\n- name: app\n  newName: reg/app\nresources: []\n", "images:\n- name: app\n  newName: reg/app\n  newTag: v2\nresources: []\n"},
		{"add newTag to flow entry", "images:\n  - {name: app, newName: reg/app}\n", "images:\n  - {name: app, newName: reg/app, newTag: v2}\n"},
		{"other images untouched", "images:\n  - name: other\n    newTag: v1\n  - name: app\n    newTag: \"v1\"\n", "images:\n  - name: other\n    newTag: v1\n  - name: app\n    newTag: \"v2\"\n"},
	}
	for _, c := range cases {
		got, err := gitops.SetKustomizeImageTag([]byte(c.in), "app", "v2")
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if string(got) != c.want {
			t.Errorf("%s: got\n%s\nwant\n%s", c.name, got, c.want)
		}
	}
}

func TestSetKustomizeImageTagErrors(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, in string }{
		{"no images", "resources: []\n"},
		{"no such image", "images:\n  - name: other\n    newTag: v1\n"},
	}
	for _, c := range cases {
		if _, err := gitops.SetKustomizeImageTag([]byte(c.in), "app", "v2"); !errors.Is(err, yamledit.ErrNotFound) {
			t.Errorf("%s: err = %v, want ErrNotFound", c.name, err)
		}
	}
}
