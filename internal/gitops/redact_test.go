package gitops

import (
	"errors"
	"strings"
	"testing"
)

// TestMessagesCarryNoCredentials checks that the errors about a repository
// URL name it without what authenticates to it: a password, a token given
// as the user name, a query.
func TestMessagesCarryNoCredentials(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		err  func() error
		want string
	}{
		{"unparsable url with a password", func() error {
			c := Config{URL: "https://ci:s3cret@git.example.com/%zz/deploy.git", Dir: t.TempDir()}
			return c.Validate()
		}, "git.example.com"},
		{"token as user name, no path", func() error {
			_, _, err := ParseTopologyURL("https://s3cret@git.example.com/deploy.git")
			return err
		}, "git.example.com/deploy.git"},
		{"token in the query, bad path", func() error {
			_, _, err := ParseTopologyURL("https://git.example.com/deploy.git?private_token=s3cret#../rings.yaml")
			return err
		}, "#../rings.yaml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.err()
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("got %v, want ErrInvalid", err)
			}
			if strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q: want it to name %q and not the secret", err, tc.want)
			}
		})
	}
}
