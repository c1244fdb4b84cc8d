package argocd

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/ringleader-dev/ringleader/internal/redact"
)

// DefaultTimeout bounds one request to an Argo CD server (connect, TLS,
// headers and body) when ClientConfig.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// ErrConfig marks a client configuration that cannot work. Fix ringd's
// argocd settings; nothing was contacted.
var ErrConfig = errors.New("invalid argocd client configuration")

// ClientConfig says how to reach one Argo CD server. Its String method never
// prints the token, so a config may be logged with %v.
type ClientConfig struct {
	// Server is the base URL of the Argo CD API server, as written in the
	// regions' argocd.server (https://argocd.example.com, optionally with a
	// path prefix). In SourceConfig.Default it is left empty.
	Server string
	// Token is the bearer token (an Argo CD account or project token with
	// "applications, get" permission). Exactly one of Token and TokenFile.
	Token string
	// TokenFile holds the token; it is read again on every request, so a
	// rotated Kubernetes secret takes effect without a restart. Surrounding
	// white space is ignored.
	TokenFile string
	// CAFile and CAPEM are PEM certificate bundles. When either is set the
	// server's certificate must chain to them (and only them); otherwise the
	// system roots apply. RootCAs, when set, is used instead of both.
	CAFile  string
	CAPEM   []byte
	RootCAs *x509.CertPool
	// InsecureSkipVerify accepts any server certificate. Off by default;
	// only for throwaway test installations.
	InsecureSkipVerify bool
	// Timeout bounds each request. Default DefaultTimeout.
	Timeout time.Duration
}

// String describes the config without the token.
func (c ClientConfig) String() string {
	tok := "none"
	switch {
	case c.Token != "":
		tok = "set"
	case c.TokenFile != "":
		tok = "file " + c.TokenFile
	}
	return fmt.Sprintf("argocd{server=%s token=%s ca=%t insecure=%t timeout=%s}",
		redact.URL(c.Server), tok, c.CAFile != "" || len(c.CAPEM) > 0 || c.RootCAs != nil, c.InsecureSkipVerify, c.Timeout)
}

// GoString is String, so %#v does not print the token either.
func (c ClientConfig) GoString() string { return c.String() }

// validate fills defaults and checks everything but Server.
func (c *ClientConfig) validate() error {
	if c.Timeout < 0 {
		return fmt.Errorf("%w: timeout %s is negative; use 0 for the default %s", ErrConfig, c.Timeout, DefaultTimeout)
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	switch {
	case c.Token != "" && c.TokenFile != "":
		return fmt.Errorf("%w: both a token and a token file are set for %s; keep one", ErrConfig, redact.URL(c.Server))
	case c.Token == "" && c.TokenFile == "":
		return fmt.Errorf("%w: no token for %s; set a token or a token file (an Argo CD account token with applications get)", ErrConfig, redact.URL(c.Server))
	case c.TokenFile != "":
		if _, err := readToken(c.TokenFile); err != nil {
			return fmt.Errorf("%w: %w", ErrConfig, err)
		}
	case strings.TrimSpace(c.Token) == "":
		return fmt.Errorf("%w: the token for %s is blank", ErrConfig, redact.URL(c.Server))
	}
	if c.InsecureSkipVerify && (c.CAFile != "" || len(c.CAPEM) > 0 || c.RootCAs != nil) {
		return fmt.Errorf("%w: a CA bundle and insecure-skip-verify are both set for %s; keep the CA bundle", ErrConfig, redact.URL(c.Server))
	}
	return nil
}

// parseServer checks an Argo CD base URL and returns it without a trailing
// slash.
func parseServer(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: server %q is not an http(s) URL; fix the region's argocd.server", ErrConfig, redact.URL(raw))
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%w: server %q must not carry credentials, a query or a fragment; give the token in ringd's argocd settings", ErrConfig, redact.URL(raw))
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// serverKey is how servers are matched between the topology and the config.
func serverKey(raw string) string {
	u, err := parseServer(raw)
	if err != nil {
		return strings.TrimSpace(raw)
	}
	return u.String()
}

// tlsConfig builds the TLS settings of a client.
func (c *ClientConfig) tlsConfig() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: c.InsecureSkipVerify} //nolint:gosec // off unless asked for explicitly
	switch {
	case c.RootCAs != nil:
		cfg.RootCAs = c.RootCAs
	case c.CAFile != "" || len(c.CAPEM) > 0:
		pool := x509.NewCertPool()
		pem := c.CAPEM
		if c.CAFile != "" {
			b, err := os.ReadFile(c.CAFile)
			if err != nil {
				return nil, fmt.Errorf("%w: read CA bundle for %s: %w", ErrConfig, redact.URL(c.Server), err)
			}
			pem = append(append([]byte{}, pem...), b...)
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%w: the CA bundle for %s holds no PEM certificate", ErrConfig, redact.URL(c.Server))
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

// httpClient builds the HTTP client of one server. Redirects are not
// followed: the token must only ever go to the configured server.
func (c *ClientConfig) httpClient() (*http.Client, error) {
	tc, err := c.tlsConfig()
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tc
	tr.ResponseHeaderTimeout = c.Timeout
	return &http.Client{
		Transport: tr,
		Timeout:   c.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}, nil
}

// readToken reads a token file.
func readToken(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read argocd token file: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", fmt.Errorf("argocd token file %s is empty", path)
	}
	return tok, nil
}
