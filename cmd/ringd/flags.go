package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/httpapi"
	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/internal/addrfile"
	"github.com/ringleader-dev/ringleader/internal/gitops"
	"github.com/ringleader-dev/ringleader/internal/server"
	"github.com/ringleader-dev/ringleader/regions/argocd"
	"github.com/ringleader-dev/ringleader/regions/prometheus"
	"github.com/ringleader-dev/ringleader/regions/webhook"
)

// options is ringd's command line: the node's configuration and where to
// write the address file.
type options struct {
	server.Config
	// addrFile is where the bound addresses are written once the node
	// listens (default DATA_DIR/addr.json).
	addrFile string
}

// parseFlags reads the command line and validates it.
func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	c := &o.Config
	fs := flag.NewFlagSet("ringd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.NodeID, "node-id", "", "stable Raft server ID of this node, e.g. n1 (required)")
	fs.StringVar(&c.DataDir, "data-dir", "", "directory for the Raft log, snapshots and addr.json (required)")
	fs.StringVar(&c.RaftAddr, "raft-addr", "127.0.0.1:7000", "host:port the Raft transport binds (port 0 picks one)")
	fs.StringVar(&c.RaftAdvertise, "raft-advertise", "", "Raft address other nodes dial (default: the bound address)")
	fs.StringVar(&c.HTTPAddr, "http-addr", "127.0.0.1:7070", "host:port the HTTP API binds (port 0 picks one)")
	fs.BoolVar(&c.HTTPAddrFallback, "http-addr-fallback", false, "when the --http-addr port is taken, bind a free port of the same host instead (the address file names it; ringd demo uses this)")
	fs.StringVar(&c.HTTPAdvertise, "http-advertise", "", "HTTP address other nodes and clients use (default: the bound address)")
	fs.BoolVar(&c.Bootstrap, "bootstrap", false, "form a new cluster of one when the data dir is empty")
	fs.StringVar(&c.Join, "join", "", "URL of any cluster member to join through, e.g. http://10.0.0.1:7070")
	fs.StringVar(&c.BootstrapID, "bootstrap-id", "", "node ID that forms a new cluster; that node bootstraps unless --join already answers, every other node joins through --join (one command line for every replica)")
	fs.DurationVar(&c.TopologyInterval, "topology-interval", 30*time.Second, "how often a --topology in Git (<git url>#<path>) is fetched")
	fs.DurationVar(&c.JoinTimeout, "join-timeout", 2*time.Minute, "how long to keep retrying --join")
	fs.StringVar(&c.Topology, "topology", "", "topology: a local file, or <git url>#<path> watched in Git; the leader adopts it through the log when it differs from the one in force")
	fs.StringVar(&c.LogStore, "log-store", string(store.DefaultLogStore), "Raft log store: bolt or wal")
	fs.StringVar(&c.LogLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&c.DebugAddr, "debug-addr", "", "host:port serving Go profiles at /debug/pprof/ (off when empty; unauthenticated, keep it on loopback)")
	fs.DurationVar(&c.HeartbeatTimeout, "heartbeat-timeout", store.DefaultHeartbeatTimeout, "Raft heartbeat timeout (LAN default)")
	fs.DurationVar(&c.ElectionTimeout, "election-timeout", store.DefaultElectionTimeout, "Raft election timeout")
	fs.DurationVar(&c.LeaderLeaseTimeout, "leader-lease-timeout", store.DefaultLeaderLeaseTimeout, "Raft leader lease timeout")
	fs.DurationVar(&c.CommitTimeout, "commit-timeout", store.DefaultCommitTimeout, "Raft commit timeout")
	fs.DurationVar(&c.ReconcileInterval, "reconcile-interval", 5*time.Second, "longest pause between two leader reconcile passes")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 10*time.Second, "how long in-flight HTTP requests get on shutdown")
	fs.StringVar(&o.addrFile, "addr-file", "", "file the bound HTTP and Raft addresses are written to once ringd listens, as JSON (default DATA_DIR/addr.json)")
	registerNotify(fs, &c.Notify)
	registerSecurity(fs, &c.Security)
	registerEffects(fs, &c.Effects)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q: ringd takes flags only", fs.Args())
	}
	if o.addrFile == "" && c.DataDir != "" {
		o.addrFile = filepath.Join(c.DataDir, addrfile.Name)
	}
	return o, c.Validate()
}

// registerNotify adds the --notify-* flags.
func registerNotify(fs *flag.FlagSet, n *server.NotifyConfig) {
	fs.StringVar(&n.SlackURL, "notify-slack-url", "", "Slack-compatible incoming-webhook URL for notifications (or env RINGD_NOTIFY_SLACK_URL)")
	fs.StringVar(&n.WebhookURL, "notify-webhook-url", "", "URL that receives every notification as JSON signed with HMAC-SHA256 (X-Ringleader-Signature)")
	fs.StringVar(&n.SecretFile, "notify-webhook-secret-file", "", "file holding the webhook signing secret (required with --notify-webhook-url)")
}

// registerSecurity adds the token, TLS, rate-limit and audit flags.
func registerSecurity(fs *flag.FlagSet, s *server.SecurityConfig) {
	fs.StringVar(&s.TokensFile, "tokens-file", "", "YAML file of API identities: tokens: [{name, role, sha256|argon2id}] (reloaded on change)")
	fs.DurationVar(&s.TokensReload, "tokens-reload-interval", 2*time.Second, "how often --tokens-file is checked for changes")
	fs.StringVar(&s.OIDCIssuer, "oidc-issuer", "", "also accept OpenID Connect ID tokens (JWT, RS256/ES256) from this issuer URL")
	fs.StringVar(&s.OIDCAudience, "oidc-audience", "", "audience (aud) the ID tokens must name (required with --oidc-issuer)")
	fs.StringVar(&s.OIDCRoleClaim, "oidc-role-claim", "ringleader_role", "claim holding the role: a role name, or a list with exactly one")
	fs.StringVar(&s.OIDCNameClaim, "oidc-name-claim", "email", "claim used as the identity's name (falls back to sub)")
	fs.BoolVar(&s.InsecureNoAuth, "insecure-no-auth", false, "serve the API without authentication: every caller is admin (local tests and demos only)")
	fs.BoolVar(&s.OpenHealthz, "open-healthz", false, "serve /healthz and /readyz without a token (for probes)")
	fs.BoolVar(&s.OpenMetrics, "open-metrics", false, "serve /metrics without a token (for Prometheus)")
	fs.StringVar(&s.JoinTokenFile, "join-token-file", "", "file holding an admin token used by --join (or env RINGLEADER_JOIN_TOKEN)")
	fs.Float64Var(&s.WriteRate, "write-rate", httpapi.DefaultWriteRate, "writes per second each identity may send after its burst (negative: unlimited)")
	fs.IntVar(&s.WriteBurst, "write-burst", httpapi.DefaultWriteBurst, "writes each identity may send at once")
	fs.StringVar(&s.TLSCert, "tls-cert", "", "PEM certificate of the HTTPS API (with --tls-key)")
	fs.StringVar(&s.TLSKey, "tls-key", "", "PEM key of --tls-cert")
	fs.StringVar(&s.TLSClientCA, "tls-client-ca", "", "PEM CA bundle: require API clients to present a certificate it signed")
	fs.StringVar(&s.TLSCA, "tls-ca", "", "PEM CA bundle that signed the other nodes' API certificates (forwarding, --join; default: system roots)")
	fs.StringVar(&s.RaftTLSCert, "raft-tls-cert", "", "PEM certificate for mutual TLS between Raft nodes (with --raft-tls-key and --raft-tls-ca)")
	fs.StringVar(&s.RaftTLSKey, "raft-tls-key", "", "PEM key of --raft-tls-cert")
	fs.StringVar(&s.RaftTLSCA, "raft-tls-ca", "", "PEM cluster CA: only nodes with a certificate it signed may join, vote or replicate")
	fs.IntVar(&s.AuditMaxEntries, "audit-max-entries", store.DefaultAuditMaxEntries, "audit trail: decisions kept (same on every node)")
	fs.IntVar(&s.AuditMaxEvidence, "audit-max-evidence", store.DefaultAuditMaxEvidence, "audit trail: health observations kept (same on every node)")
	fs.DurationVar(&s.AuditMaxAge, "audit-max-age", 0, "audit trail: drop entries older than this (0: keep by count only; same on every node)")
}

// registerEffects adds the Git, Argo CD, Prometheus and webhook flags.
func registerEffects(fs *flag.FlagSet, c *server.EffectsConfig) {
	fs.StringVar(&c.Mode, "effects", server.EffectsGit, "what the leader acts through: git (promote through the GitOps repository, judge regions by Argo CD, Prometheus and webhooks) or memory (write nothing, every region healthy: tests only)")
	fs.StringVar(&c.GitOpsDir, "gitops-dir", "", "directory for this node's working copies of the GitOps repository (default DATA_DIR/gitops)")
	fs.StringVar(&c.GitOpsURL, "gitops-url", "", "GitOps repository URL (default: the topology's spec.gitops.repo)")
	fs.StringVar(&c.GitOpsBranch, "gitops-branch", "", "GitOps branch (default: the topology's spec.gitops.branch, else main)")
	fs.StringVar(&c.GitUsername, "git-username", "", "HTTPS user name for the GitOps repository (token auth: any name, e.g. x-access-token)")
	fs.StringVar(&c.GitPasswordFile, "git-password-file", "", "file holding the HTTPS password or token (default: environment variable "+server.GitPasswordEnv+")")
	fs.StringVar(&c.GitSSHKeyFile, "git-ssh-key-file", "", "file holding a PEM SSH private key for the GitOps repository")
	fs.StringVar(&c.GitAuthorName, "git-author-name", "Ringleader", "author name of promotion commits")
	fs.StringVar(&c.GitAuthorEmail, "git-author-email", "ringleader@localhost", "author email of promotion commits")
	fs.IntVar(&c.PromotionBatchMax, "promotion-batch-max", gitops.DefaultBatchMax, "most promotions one Git commit carries: promotions due in the same pass go out together, up to this many (and about 4 MiB of edited files) per commit; 1 writes a commit per promotion")
	fs.StringVar(&c.Health.ArgoCDTokenFile, "argocd-token-file", "", "file holding the Argo CD API token (applications get), re-read on every request; without it regions with an argocd source fail closed")
	fs.StringVar(&c.Health.ArgoCDCAFile, "argocd-ca-file", "", "PEM CA bundle the Argo CD servers' certificates must chain to (default: system roots)")
	fs.BoolVar(&c.Health.ArgoCDInsecureSkipVerify, "argocd-insecure-skip-verify", false, "accept any Argo CD server certificate (throwaway test installations only)")
	fs.DurationVar(&c.Health.ArgoCDTimeout, "argocd-timeout", argocd.DefaultTimeout, "bound on one request to Argo CD")
	fs.DurationVar(&c.Health.PrometheusTimeout, "prometheus-timeout", prometheus.DefaultQueryTimeout, "bound on one query to a region's Prometheus")
	fs.StringVar(&c.Health.WebhookPrePromotion, "webhook-pre-promotion", "", "URL that must answer 2xx before a ring is promoted (a refusal makes the release wait)")
	fs.StringVar(&c.Health.WebhookDuringSoak, "webhook-during-soak", "", "URL called at every analysis of a soaking ring; a failure fails the ring")
	fs.StringVar(&c.Health.WebhookPostRing, "webhook-post-ring", "", "URL told, best effort, when a ring is done")
	fs.StringVar(&c.Health.WebhookSecretFile, "webhook-secret-file", "", "file holding the HMAC secret that signs every webhook (required with a webhook URL)")
	fs.StringVar(&c.Health.WebhookSecretDir, "webhook-secret-dir", "", "directory holding the secret files an app's own webhooks name (spec.apps[].policy.webhooks.*.secretFile, a plain file name); without it such webhooks fail closed")
	fs.DurationVar(&c.Health.WebhookTimeout, "webhook-timeout", webhook.DefaultTimeout, "bound on one webhook attempt")
	fs.BoolVar(&c.Health.WebhookLegacySignature, "webhook-legacy-signature", false, "DEPRECATED, removed in the next release: sign gate webhooks with the old X-Ringleader-Timestamp + \"X-Ringleader-Signature: sha256=<hex>\" pair instead of \"t=…,v1=…\"")
	fs.IntVar(&c.Health.WebhookRetries, "webhook-retries", 2, fmt.Sprintf("retries of a failed webhook attempt (0 to %d)", webhook.MaxRetries))
	fs.DurationVar(&c.Health.BudgetInterval, "budget-interval", time.Minute, "how often the leader measures the regions' error budgets in Prometheus")
}
