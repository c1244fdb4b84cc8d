package topology

import (
	"net/url"
	"strings"
)

// The topology is served to every viewer (GET /v1/topology) and committed
// to Git, so a URL in it must not carry credentials. An http(s) URL with
// user info ("user:token@" or a bare "user@") is refused; credentials go to
// ringd in files. An ssh:// URL may name its user (ssh://git@host/...) and
// an scp-style address (git@host:org/repo.git) is left alone: the SSH user
// is no secret and the key is given with --git-ssh-key-file. A password in
// any URL is refused.

// urlCredentials reports whether raw carries credentials that must not be
// in a topology: any user info in an http(s) URL, or a password in a URL
// of another scheme. A value that does not parse as a URL with a scheme
// (an scp-style Git address) carries none.
func urlCredentials(raw string) bool {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Scheme == "" || u.User == nil {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		return true
	}
	_, hasPassword := u.User.Password()
	return hasPassword
}

// checkNoCredentials reports a URL at path that carries credentials. The
// message never repeats the URL: it holds the secret.
func (p *topoParser) checkNoCredentials(path, raw, what, instead string) {
	if p.isBad(path) || !urlCredentials(raw) {
		return
	}
	p.errorAt(p.at(path), "%s must not carry user info (\"user:password@\" or \"user@\"): the topology is shown to every viewer; remove it and %s", what, instead)
}
