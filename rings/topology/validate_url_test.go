package topology

import (
	"strings"
	"testing"
)

// TestParseURLCredentials parses ptMinimal with each repo, argocd server or
// prometheus url: the SSH forms of a Git address are accepted, any user
// info in an http(s) URL and any password are refused, and the refusal
// never repeats the secret.
func TestParseURLCredentials(t *testing.T) {
	t.Parallel()
	const repo = "https://git.example.com/deploy.git"
	const region = "{name: r1, timezone: UTC}"
	cases := []struct {
		name     string
		old, new string
		wantErr  bool
	}{
		{"https repo", "", "", false},
		{"ssh repo with git user", repo, "ssh://git@git.example.com/org/deploy.git", false},
		{"scp-style repo", repo, "git@git.example.com:org/deploy.git", false},
		{"ssh repo with password", repo, "ssh://git:s3cret@git.example.com/org/deploy.git", true},
		{"https repo with token", repo, "https://x:s3cret@git.example.com/deploy.git", true},
		{"https repo with bare user", repo, "https://s3cret@git.example.com/deploy.git", true},
		{"HTTPS scheme in capitals", repo, "HTTPS://x:s3cret@git.example.com/deploy.git", true},
		{"argocd server clean", region, "{name: r1, timezone: UTC, argocd: {server: 'https://argocd.example.com', application: web}}", false},
		{"argocd server with token", region, "{name: r1, timezone: UTC, argocd: {server: 'https://admin:s3cret@argocd.example.com', application: web}}", true},
		{"prometheus url clean", region, "{name: r1, timezone: UTC, prometheus: {url: 'http://prom:9090'}}", false},
		{"prometheus url with user", region, "{name: r1, timezone: UTC, prometheus: {url: 'http://s3cret@prom:9090'}}", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc := ptMinimal
			if tc.old != "" {
				doc = strings.Replace(doc, tc.old, tc.new, 1)
			}
			_, errs := ptParseString(t, doc)
			joined := strings.Join(errs, "\n")
			switch {
			case tc.wantErr && !strings.Contains(joined, "must not carry user info"):
				t.Errorf("errors %q, want a user-info refusal", errs)
			case !tc.wantErr && errs != nil:
				t.Errorf("errors %q, want none", errs)
			case strings.Contains(joined, "s3cret"):
				t.Errorf("error repeats the secret: %q", errs)
			}
		})
	}
}
