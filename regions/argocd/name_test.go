package argocd

import (
	"errors"
	"strings"
	"testing"
)

func TestApplicationName(t *testing.T) {
	t.Parallel()
	cases := []struct {
		tmpl, want string // want "" means an ErrTemplate error
	}{
		{"{{app}}-{{region}}", "checkout-us-east-1"},
		{"{{ region }}.{{ app }}", "us-east-1.checkout"},
		{"{{region}}", "us-east-1"},
		{"fixed-name", "fixed-name"},
		{"{{app}}-{{region}}-{{app}}", "checkout-us-east-1-checkout"},
		{"{{cluster}}-{{app}}", ""},
		{"{{app}}-{{region}", ""},
		{"{{app}}_{{region}}", ""},
		{"{{App}}-{{region}}", ""},
		{"", ""},
		{"{{app}}/{{region}}", ""},
		{strings.Repeat("a", 250) + "{{region}}", ""},
	}
	for _, tc := range cases {
		t.Run(tc.tmpl, func(t *testing.T) {
			t.Parallel()
			got, err := ApplicationName(tc.tmpl, "checkout", "us-east-1")
			if tc.want == "" {
				if !errors.Is(err, ErrTemplate) {
					t.Errorf("got %q, %v; want ErrTemplate", got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}
