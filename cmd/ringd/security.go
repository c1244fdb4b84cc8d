package main

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

	"github.com/hashicorp/raft"

	"github.com/ringleader-dev/ringleader/coordinator"
	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/internal/auth"
)

// securityFlags are ringd's authentication, TLS, rate-limit and audit
// options. Without --tokens-file ringd refuses to start unless
// --insecure-no-auth says, explicitly, that anyone who reaches the port may
// do anything.
type securityFlags struct {
	tokensFile     string
	tokensReload   time.Duration
	oidcIssuer     string
	oidcAudience   string
	oidcRoleClaim  string
	oidcNameClaim  string
	insecureNoAuth bool
	openHealthz    bool
	openMetrics    bool
	joinTokenFile  string
	writeRate      float64
	writeBurst     int

	tlsCert, tlsKey, tlsClientCA, tlsCA string
	raftTLSCert, raftTLSKey, raftTLSCA  string

	auditMaxEntries  int
	auditMaxEvidence int
	auditMaxAge      time.Duration
}

// register adds the flags to fs.
func (s *securityFlags) register(fs interface {
	StringVar(*string, string, string, string)
	BoolVar(*bool, string, bool, string)
	DurationVar(*time.Duration, string, time.Duration, string)
	IntVar(*int, string, int, string)
	Float64Var(*float64, string, float64, string)
}) {
	fs.StringVar(&s.tokensFile, "tokens-file", "", "YAML file of API identities: tokens: [{name, role, sha256|argon2id}] (reloaded on change)")
	fs.DurationVar(&s.tokensReload, "tokens-reload-interval", 2*time.Second, "how often --tokens-file is checked for changes")
	fs.StringVar(&s.oidcIssuer, "oidc-issuer", "", "also accept OpenID Connect ID tokens (JWT, RS256/ES256) from this issuer URL")
	fs.StringVar(&s.oidcAudience, "oidc-audience", "", "audience (aud) the ID tokens must name (required with --oidc-issuer)")
	fs.StringVar(&s.oidcRoleClaim, "oidc-role-claim", "ringleader_role", "claim holding the role: a role name, or a list with exactly one")
	fs.StringVar(&s.oidcNameClaim, "oidc-name-claim", "email", "claim used as the identity's name (falls back to sub)")
	fs.BoolVar(&s.insecureNoAuth, "insecure-no-auth", false, "serve the API without authentication: every caller is admin (local tests and demos only)")
	fs.BoolVar(&s.openHealthz, "open-healthz", false, "serve /healthz and /readyz without a token (for probes)")
	fs.BoolVar(&s.openMetrics, "open-metrics", false, "serve /metrics without a token (for Prometheus)")
	fs.StringVar(&s.joinTokenFile, "join-token-file", "", "file holding an admin token used by --join (or env RINGLEADER_JOIN_TOKEN)")
	fs.Float64Var(&s.writeRate, "write-rate", coordinator.DefaultWriteRate, "writes per second each identity may send after its burst (negative: unlimited)")
	fs.IntVar(&s.writeBurst, "write-burst", coordinator.DefaultWriteBurst, "writes each identity may send at once")
	fs.StringVar(&s.tlsCert, "tls-cert", "", "PEM certificate of the HTTPS API (with --tls-key)")
	fs.StringVar(&s.tlsKey, "tls-key", "", "PEM key of --tls-cert")
	fs.StringVar(&s.tlsClientCA, "tls-client-ca", "", "PEM CA bundle: require API clients to present a certificate it signed")
	fs.StringVar(&s.tlsCA, "tls-ca", "", "PEM CA bundle that signed the other nodes' API certificates (forwarding, --join; default: system roots)")
	fs.StringVar(&s.raftTLSCert, "raft-tls-cert", "", "PEM certificate for mutual TLS between Raft nodes (with --raft-tls-key and --raft-tls-ca)")
	fs.StringVar(&s.raftTLSKey, "raft-tls-key", "", "PEM key of --raft-tls-cert")
	fs.StringVar(&s.raftTLSCA, "raft-tls-ca", "", "PEM cluster CA: only nodes with a certificate it signed may join, vote or replicate")
	fs.IntVar(&s.auditMaxEntries, "audit-max-entries", store.DefaultAuditMaxEntries, "audit trail: decisions kept (same on every node)")
	fs.IntVar(&s.auditMaxEvidence, "audit-max-evidence", store.DefaultAuditMaxEvidence, "audit trail: health observations kept (same on every node)")
	fs.DurationVar(&s.auditMaxAge, "audit-max-age", 0, "audit trail: drop entries older than this (0: keep by count only; same on every node)")
}

// validate names every missing or contradictory security flag.
func (s *securityFlags) validate() []error {
	var errs []error
	authOn := s.tokensFile != "" || s.oidcIssuer != ""
	switch {
	case !authOn && !s.insecureNoAuth:
		errs = append(errs, errors.New("--tokens-file is required: ringd does not serve an unauthenticated API; pass --tokens-file FILE (or --oidc-issuer), or --insecure-no-auth for a local test"))
	case authOn && s.insecureNoAuth:
		errs = append(errs, errors.New("--tokens-file/--oidc-issuer and --insecure-no-auth exclude each other"))
	}
	if (s.oidcIssuer == "") != (s.oidcAudience == "") {
		errs = append(errs, errors.New("--oidc-issuer and --oidc-audience go together: give both"))
	}
	if s.tokensReload <= 0 {
		errs = append(errs, errors.New("--tokens-reload-interval must be positive"))
	}
	if s.writeBurst < 1 {
		errs = append(errs, errors.New("--write-burst must be at least 1"))
	}
	errs = append(errs, needAll("API TLS", [][2]string{{"--tls-cert", s.tlsCert}, {"--tls-key", s.tlsKey}})...)
	if s.tlsClientCA != "" && s.tlsCert == "" {
		errs = append(errs, errors.New("--tls-client-ca needs --tls-cert and --tls-key: client certificates are only checked over HTTPS"))
	}
	errs = append(errs, needAll("Raft mutual TLS", [][2]string{{"--raft-tls-cert", s.raftTLSCert}, {"--raft-tls-key", s.raftTLSKey}, {"--raft-tls-ca", s.raftTLSCA}})...)
	if s.auditMaxEntries < 1 || s.auditMaxEvidence < 1 || s.auditMaxAge < 0 {
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
	api       coordinator.SecurityConfig
	serverTLS *tls.Config
	client    *http.Client
	joinToken string
	reloader  *auth.Reloader
}

// newSecurity loads tokens and certificates named by the flags.
func newSecurity(s securityFlags, logger *slog.Logger) (*security, error) {
	sec := &security{api: coordinator.SecurityConfig{
		OpenHealth: s.openHealthz, OpenMetrics: s.openMetrics, WriteRate: s.writeRate, WriteBurst: s.writeBurst,
	}}
	if s.tokensFile != "" {
		rl, err := auth.NewReloader(s.tokensFile, s.tokensReload, logger)
		if err != nil {
			return nil, err
		}
		sec.reloader, sec.api.Tokens = rl, rl
		logger.Info("api authentication on", "tokens_file", s.tokensFile, "identities", rl.Current().Len())
	}
	if s.oidcIssuer != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		o, err := auth.NewOIDC(ctx, auth.OIDCConfig{Issuer: s.oidcIssuer, Audience: s.oidcAudience, RoleClaim: s.oidcRoleClaim, NameClaim: s.oidcNameClaim})
		cancel()
		if err != nil {
			return nil, err
		}
		chain := auth.Chain{OIDC: o}
		if sec.reloader != nil {
			chain.Tokens = sec.reloader
		}
		sec.api.Tokens = chain
		logger.Info("api accepts OIDC ID tokens", "issuer", s.oidcIssuer, "audience", s.oidcAudience)
	}
	if sec.api.Tokens == nil {
		logger.Warn("api authentication is OFF (--insecure-no-auth): anyone who reaches the HTTP port may do anything")
	}
	sec.joinToken = os.Getenv("RINGLEADER_JOIN_TOKEN")
	if s.joinTokenFile != "" {
		b, err := os.ReadFile(s.joinTokenFile)
		if err != nil {
			return nil, fmt.Errorf("read --join-token-file: %w", err)
		}
		sec.joinToken = strings.TrimSpace(string(b))
	}
	clientTLS := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(s.tlsCert, s.tlsKey)
		if err != nil {
			return nil, fmt.Errorf("load --tls-cert and --tls-key: %w", err)
		}
		sec.serverTLS = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
		if s.tlsClientCA != "" {
			pool, err := store.LoadCAPool(s.tlsClientCA)
			if err != nil {
				return nil, fmt.Errorf("--tls-client-ca: %w", err)
			}
			sec.serverTLS.ClientAuth, sec.serverTLS.ClientCAs = tls.RequireAndVerifyClientCert, pool
			// Peers require a client certificate too: present ours.
			clientTLS.Certificates = []tls.Certificate{cert}
		}
	}
	if s.tlsCA != "" {
		pool, err := store.LoadCAPool(s.tlsCA)
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
func newRaftStream(cfg config) (raft.StreamLayer, error) {
	s := cfg.sec
	if s.raftTLSCert == "" {
		return nil, nil
	}
	m, err := store.LoadMutualTLS(s.raftTLSCert, s.raftTLSKey, s.raftTLSCA)
	if err != nil {
		return nil, fmt.Errorf("raft tls: %w", err)
	}
	sl, err := store.NewTLSStreamLayer(cfg.raftAddr, cfg.raftAdvertise, m)
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
