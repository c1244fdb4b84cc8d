// Package redact removes secrets from URLs before they reach a log line, an
// error or an event. It is the one place that decides what of a URL may be
// shown; every package that prints a configured URL calls URL.
package redact

import (
	"net/url"
	"strings"
)

// Marker stands where a credential was removed, so a reader sees that the
// URL carried one.
const Marker = "REDACTED"

// URL returns raw fit for a message: the user info (user name and
// password: a token often stands in either) is replaced by Marker, and the
// query and fragment (tokens and signatures live there) are dropped. The
// scheme, host, port and path stay, so the message still says which
// endpoint it was about. A string that does not parse as a URL is cleaned
// as text by the same rules, never returned as it came; an scp-like Git
// address (git@host:org/repo.git) keeps its SSH login name, which is not a
// secret.
func URL(raw string) string {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" {
		return text(raw)
	}
	if u.User != nil {
		u.User = url.User(Marker)
	}
	u.RawQuery, u.ForceQuery = "", false
	u.Fragment, u.RawFragment = "", ""
	return u.String()
}

// text applies URL's rules to a string url.Parse refuses (or reads as an
// opaque URL, as it does "user:pass@host").
func text(s string) string {
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	if i := strings.Index(s, "://"); i >= 0 {
		scheme, rest := s[:i+3], s[i+3:]
		authority := rest
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			authority = rest[:j]
		}
		if at := strings.LastIndexByte(authority, '@'); at >= 0 {
			return scheme + Marker + rest[at:]
		}
		return s
	}
	if at := strings.LastIndexByte(s, '@'); at >= 0 {
		if user := s[:at]; strings.ContainsAny(user, ":/") {
			return Marker + s[at:]
		}
	}
	return s
}
