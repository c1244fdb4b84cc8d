package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/httpapi"
	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/internal/auth"
)

// SecurityConfig are ringd's authentication, TLS, rate-limit and audit
// options. Without --tokens-file ringd refuses to start unless
// --insecure-no-auth says, explicitly, that anyone who reaches the port may
// do anything.
type SecurityConfig struct {
	TokensFile     string
	TokensReload   time.Duration
	OIDCIssuer     string
	OIDCAudience   string
	OIDCRoleClaim  string
	OIDCNameClaim  string
	InsecureNoAuth bool
	OpenHealthz    bool
	OpenMetrics    bool
	JoinTokenFile  string
	WriteRate      float64
	WriteBurst     int

	TLSCert, TLSKey, TLSClientCA, TLSCA string
	RaftTLSCert, RaftTLSKey, RaftTLSCA  string

	AuditMaxEntries  int
	AuditMaxEvidence int
	AuditMaxAge      time.Duration
}

// validate names every missing or contradictory security flag.
func (s *SecurityConfig) validate() []error {
	var errs []error
	authOn := s.TokensFile != "" || s.OIDCIssuer != ""
	switch {
	case !authOn && !s.InsecureNoAuth:
		errs = append(errs, errors.New("--tokens-file is required: ringd does not serve an unauthenticated API; pass --tokens-file FILE (or --oidc-issuer), or --insecure-no-auth for a local test"))
	case authOn && s.InsecureNoAuth:
		errs = append(errs, errors.New("--tokens-file/--oidc-issuer and --insecure-no-auth exclude each other"))
	}
	if (s.OIDCIssuer == "") != (s.OIDCAudience == "") {
		errs = append(errs, errors.New("--oidc-issuer and --oidc-audience go together: give both"))
	}
	if s.TokensReload <= 0 {
		errs = append(errs, errors.New("--tokens-reload-interval must be positive"))
	}
	if s.WriteBurst < 1 {
		errs = append(errs, errors.New("--write-burst must be at least 1"))
	}
	errs = append(errs, needAll("API TLS", [][2]string{{"--tls-cert", s.TLSCert}, {"--tls-key", s.TLSKey}})...)
	if s.TLSClientCA != "" && s.TLSCert == "" {
		errs = append(errs, errors.New("--tls-client-ca needs --tls-cert and --tls-key: client certificates are only checked over HTTPS"))
	}
	errs = append(errs, needAll("Raft mutual TLS", [][2]string{{"--raft-tls-cert", s.RaftTLSCert}, {"--raft-tls-key", s.RaftTLSKey}, {"--raft-tls-ca", s.RaftTLSCA}})...)
	if s.AuditMaxEntries < 1 || s.AuditMaxEvidence < 1 || s.AuditMaxAge < 0 {
		errs = append(errs, errors.New("--audit-max-entries and --audit-max-evidence must be at least 1, --audit-max-age not negative"))
	}
	return errs
}

// needAll reports the missing flags of a group where one set means all.
func needAll(what string, flags [][2]string) []error {
	var set, missing []string
	for _, f := range flags {
		if f[1] != "" {
			set = append(set, f[0])
		} else {
			missing = append(missing, f[0])
		}
	}
	if len(set) == 0 || len(missing) == 0 {
		return nil
	}
	return []error{fmt.Errorf("%s is half configured: %s given but %s missing", what, strings.Join(set, ", "), strings.Join(missing, ", "))}
}

// security is what the flags build: the API's security config, the TLS
// listener config, the HTTP client for forwarding and joining, and the
// token reloader to run.
type security struct {
	api       httpapi.SecurityConfig
	serverTLS *tls.Config
	client    *http.Client
	joinToken string
	reloader  *auth.Reloader
}

// newSecurity loads tokens and certificates named by the flags.
func newSecurity(s SecurityConfig, logger *slog.Logger) (*security, error) {
	sec := &security{api: httpapi.SecurityConfig{
		OpenHealth: s.OpenHealthz, OpenMetrics: s.OpenMetrics, WriteRate: s.WriteRate, WriteBurst: s.WriteBurst,
	}}
	if s.TokensFile != "" {
		rl, err := auth.NewReloader(s.TokensFile, s.TokensReload, logger)
		if err != nil {
			return nil, err
		}
		sec.reloader, sec.api.Tokens = rl, rl
		logger.Info("api authentication on", "tokens_file", s.TokensFile, "identities", rl.Current().Len())
	}
	if s.OIDCIssuer != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		o, err := auth.NewOIDC(ctx, auth.OIDCConfig{Issuer: s.OIDCIssuer, Audience: s.OIDCAudience, RoleClaim: s.OIDCRoleClaim, NameClaim: s.OIDCNameClaim})
		cancel()
		if err != nil {
			return nil, err
		}
		chain := auth.Chain{OIDC: o}
		if sec.reloader != nil {
			chain.Tokens = sec.reloader
		}
		sec.api.Tokens = chain
		logger.Info("api accepts OIDC ID tokens", "issuer", s.OIDCIssuer, "audience", s.OIDCAudience)
	}
	if sec.api.Tokens == nil {
		logger.Warn("api authentication is OFF (--insecure-no-auth): anyone who reaches the HTTP port may do anything")
	}
	sec.joinToken = os.Getenv("RINGLEADER_JOIN_TOKEN")
	if s.JoinTokenFile != "" {
		b, err := os.ReadFile(s.JoinTokenFile)
		if err != nil {
			return nil, fmt.Errorf("read --join-token-file: %w", err)
		}
		sec.joinToken = strings.TrimSpace(string(b))
	}
	clientTLS := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(s.TLSCert, s.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("load --tls-cert and --tls-key: %w", err)
		}
		sec.serverTLS = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
		if s.TLSClientCA != "" {
			pool, err := store.LoadCAPool(s.TLSClientCA)
			if err != nil {
				return nil, fmt.Errorf("--tls-client-ca: %w", err)
			}
			sec.serverTLS.ClientAuth, sec.serverTLS.ClientCAs = tls.RequireAndVerifyClientCert, pool
			// Peers require a client certificate too: present ours.
			clientTLS.Certificates = []tls.Certificate{cert}
		}
	}
	if s.TLSCA != "" {
		pool, err := store.LoadCAPool(s.TLSCA)
		if err != nil {
			return nil, fmt.Errorf("--tls-ca: %w", err)
		}
		clientTLS.RootCAs = pool
	}
	sec.client = &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{TLSClientConfig: clientTLS, Proxy: http.ProxyFromEnvironment}}
	return sec, nil
}

// scheme is the API's URL scheme.
func (s *security) scheme() string {
	if s.serverTLS != nil {
		return "https"
	}
	return "http"
}

// listen wraps the HTTP listener in TLS when the API is HTTPS.
func (s *security) listen(ln net.Listener) net.Listener {
	if s.serverTLS == nil {
		return ln
	}
	return tls.NewListener(ln, s.serverTLS)
}

// advertise is the HTTP address recorded in the replicated state: with
// TLS it carries the https scheme so forwarding and clients use it.
func (s *security) advertise(addr string) string {
	if s.serverTLS != nil && !strings.Contains(addr, "://") {
		return "https://" + addr
	}
	return addr
}

// run reloads the tokens file until ctx ends.
func (s *security) run(ctx context.Context) {
	if s.reloader != nil {
		s.reloader.Run(ctx)
	}
}

// newRaftStream returns the mutual-TLS Raft stream layer, or nil for plain
// TCP when no --raft-tls-* flag is set.
func newRaftStream(cfg Config) (store.StreamLayer, error) {
	s := cfg.Security
	if s.RaftTLSCert == "" {
		return nil, nil
	}
	m, err := store.LoadMutualTLS(s.RaftTLSCert, s.RaftTLSKey, s.RaftTLSCA)
	if err != nil {
		return nil, fmt.Errorf("raft tls: %w", err)
	}
	sl, err := store.NewTLSStreamLayer(cfg.RaftAddr, cfg.RaftAdvertise, m)
	if err != nil {
		return nil, err
	}
	return sl, nil
}

// probeClient is the client that asks --join whether a cluster answers
// (bootstrap.go): the forwarding client plus the join token, so a probe of
// an authenticated cluster is not mistaken for "nobody there". It is never
// used for forwarding, which carries only the caller's own token.
func (s *security) probeClient() *http.Client {
	c := *s.client
	c.Transport = bearerTransport{next: s.client.Transport, token: s.joinToken}
	return &c
}

// bearerTransport adds a bearer token to requests that carry none.
type bearerTransport struct {
	next  http.RoundTripper
	token string
}

func (b bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if b.token != "" && r.Header.Get("Authorization") == "" {
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", "Bearer "+b.token)
	}
	return b.next.RoundTrip(r)
}
