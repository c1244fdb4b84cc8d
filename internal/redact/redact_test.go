package redact

import (
	"strings"
	"testing"
)

func TestURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in, want string
	}{
		{"plain", "https://argocd.example.com/api", "https://argocd.example.com/api"},
		{"port and path kept", "http://127.0.0.1:9090/prom", "http://127.0.0.1:9090/prom"},
		{"password", "https://ci:s3cret@git.example.com/deploy.git", "https://REDACTED@git.example.com/deploy.git"},
		{"token as user name", "https://ghp_t0ken@git.example.com/deploy.git", "https://REDACTED@git.example.com/deploy.git"},
		{"query", "https://hooks.example.com/gate?token=s3cret&x=1", "https://hooks.example.com/gate"},
		{"fragment", "https://hooks.example.com/gate#access_token=s3cret", "https://hooks.example.com/gate"},
		{"empty query", "https://hooks.example.com/gate?", "https://hooks.example.com/gate"},
		{"everything", " https://u:s3cret@hooks.example.com:8443/a/b?sig=s3cret#s3cret\n", "https://REDACTED@hooks.example.com:8443/a/b"},
		{"git daemon", "git://127.0.0.1:9418/deploy.git", "git://127.0.0.1:9418/deploy.git"},
		{"ssh url", "ssh://git:s3cret@git.example.com/deploy.git", "ssh://REDACTED@git.example.com/deploy.git"},
		{"scp-like keeps the login", "git@git.example.com:platform/deploy.git", "git@git.example.com:platform/deploy.git"},
		{"opaque user:pass", "ci:s3cret@git.example.com/deploy.git", "REDACTED@git.example.com/deploy.git"},
		{"unparsable escape", "https://ci:s3cret@git.example.com/%zz?token=s3cret", "https://REDACTED@git.example.com/%zz"},
		{"unparsable host", "http://ci:s3cret@[::1/x", "http://REDACTED@[::1/x"},
		{"at sign in the path only", "https://git.example.com/team@x/deploy.git", "https://git.example.com/team@x/deploy.git"},
		{"local path", "/var/lib/ringd/gitops", "/var/lib/ringd/gitops"},
		{"empty", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := URL(tc.in)
			if got != tc.want {
				t.Errorf("URL(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if strings.Contains(got, "s3cret") || strings.Contains(got, "t0ken") {
				t.Errorf("URL(%q) = %q still holds the secret", tc.in, got)
			}
		})
	}
}

// FuzzURL checks that no password, user name or query value of a URL with
// a host survives.
func FuzzURL(f *testing.F) {
	f.Add("https", "user", "pass", "host.example.com", "/p", "q")
	f.Fuzz(func(t *testing.T, scheme, user, pass, host, path, query string) {
		const secret = "SECRETxyzSECRET"
		for _, in := range []string{
			scheme + "://" + user + ":" + secret + "@" + host + path,
			scheme + "://" + secret + "@" + host + path,
			scheme + "://" + host + path + "?" + query + "=" + secret,
			scheme + "://" + host + path + "#" + secret,
		} {
			// Only inputs where the secret really is the user info, a
			// query value or the fragment.
			if strings.ContainsAny(scheme+user+host, "/?#@\\") || strings.ContainsAny(scheme, ":") ||
				strings.ContainsAny(path+query, "?#") || strings.Contains(scheme+user+pass+host+path+query, secret) {
				return
			}
			if got := URL(in); strings.Contains(got, secret) {
				t.Errorf("URL(%q) = %q still holds the secret", in, got)
			}
		}
	})
}
