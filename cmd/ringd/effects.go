package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator"
	"github.com/ringleader-dev/ringleader/internal/gitops"
	"github.com/ringleader-dev/ringleader/internal/gitops/appset"
	"github.com/ringleader-dev/ringleader/internal/redact"
	"github.com/ringleader-dev/ringleader/rings"
	ringtopology "github.com/ringleader-dev/ringleader/rings/topology"
)

// Effect modes (--effects).
const (
	// effectsGit writes promotions and the halt fence to the GitOps
	// repository and judges regions from Argo CD, Prometheus and webhooks.
	effectsGit = "git"
	// effectsMemory writes nothing anywhere and reports every region
	// healthy: for tests and experiments that need no Git.
	effectsMemory = "memory"
)

// gitPasswordEnv is read for the Git password or token when no
// --git-password-file is given.
const gitPasswordEnv = "RINGLEADER_GIT_PASSWORD"

// effectsConfig is everything the real effects need, as plain values.
// ringd's flags fill it (effectsFlags); `ringd demo` builds one directly and
// calls newGitEffects.
type effectsConfig struct {
	// Mode is effectsGit (default) or effectsMemory.
	Mode string
	// GitOpsDir holds the node's working copies of the GitOps repository
	// (default DATA_DIR/gitops); each repository and branch gets its own
	// subdirectory.
	GitOpsDir string
	// GitOpsURL and GitOpsBranch override the topology's spec.gitops.repo
	// and spec.gitops.branch; empty follows the topology in force.
	GitOpsURL    string
	GitOpsBranch string
	// Git credentials: HTTPS basic auth (username + password file, or the
	// RINGLEADER_GIT_PASSWORD environment variable) or an SSH key file.
	GitUsername     string
	GitPasswordFile string
	GitSSHKeyFile   string
	// GitAuthorName and GitAuthorEmail sign the commits.
	GitAuthorName  string
	GitAuthorEmail string
	// GitBackoff is the base of the push retry backoff (0: the writer's
	// default).
	GitBackoff time.Duration

	// health configures Argo CD, Prometheus and the webhooks
	// (effects_health.go).
	health healthConfig
}

// effectsFlags registers the effect flags on fs.
func (c *effectsConfig) register(fs *flag.FlagSet) {
	fs.StringVar(&c.Mode, "effects", effectsGit, "what the leader acts through: git (promote through the GitOps repository, judge regions by Argo CD, Prometheus and webhooks) or memory (write nothing, every region healthy: tests only)")
	fs.StringVar(&c.GitOpsDir, "gitops-dir", "", "directory for this node's working copies of the GitOps repository (default DATA_DIR/gitops)")
	fs.StringVar(&c.GitOpsURL, "gitops-url", "", "GitOps repository URL (default: the topology's spec.gitops.repo)")
	fs.StringVar(&c.GitOpsBranch, "gitops-branch", "", "GitOps branch (default: the topology's spec.gitops.branch, else main)")
	fs.StringVar(&c.GitUsername, "git-username", "", "HTTPS user name for the GitOps repository (token auth: any name, e.g. x-access-token)")
	fs.StringVar(&c.GitPasswordFile, "git-password-file", "", "file holding the HTTPS password or token (default: environment variable "+gitPasswordEnv+")")
	fs.StringVar(&c.GitSSHKeyFile, "git-ssh-key-file", "", "file holding a PEM SSH private key for the GitOps repository")
	fs.StringVar(&c.GitAuthorName, "git-author-name", "Ringleader", "author name of promotion commits")
	fs.StringVar(&c.GitAuthorEmail, "git-author-email", "ringleader@localhost", "author email of promotion commits")
	c.health.register(fs)
}

// validate normalises the config; dataDir is the node's --data-dir.
func (c *effectsConfig) validate(dataDir string) []error {
	var errs []error
	switch c.Mode {
	case "":
		c.Mode = effectsGit
	case effectsGit, effectsMemory:
	default:
		errs = append(errs, fmt.Errorf("--effects %q: want git or memory", c.Mode))
	}
	if c.GitOpsDir == "" && dataDir != "" {
		c.GitOpsDir = filepath.Join(dataDir, "gitops")
	}
	if c.GitPasswordFile != "" && c.GitSSHKeyFile != "" {
		errs = append(errs, errors.New("--git-password-file and --git-ssh-key-file exclude each other: HTTPS or SSH, not both"))
	}
	return append(errs, c.health.validate()...)
}

// auth turns the credential settings into gitops.Auth (secrets are read
// by the writer, never here). Without a password file or SSH key the
// password comes from RINGLEADER_GIT_PASSWORD when it is set.
func (c effectsConfig) auth() gitops.Auth {
	a := gitops.Auth{Username: c.GitUsername, PasswordFile: c.GitPasswordFile, SSHKeyFile: c.GitSSHKeyFile}
	if a.SSHKeyFile == "" && a.PasswordFile == "" {
		if v, ok := os.LookupEnv(gitPasswordEnv); ok && v != "" {
			a.PasswordEnv = gitPasswordEnv
		}
	}
	return a
}

// newEffectsFor builds the effects --effects asks for. topology returns
// the topology in force (the node's last adopted one).
func newEffectsFor(cfg effectsConfig, topology func() *ringtopology.Topology, metrics *coordinator.Metrics, logger *slog.Logger) (effects, error) {
	if cfg.Mode == effectsMemory {
		fx := newEffects(logger)
		if br, ok := fx.promoter.(coordinator.BaselineReader); ok {
			fx.baseline = br // before the wrapper hides it
		}
		fx.promoter = coordinator.InstrumentPromoter(fx.promoter, metrics)
		return fx, nil
	}
	return newGitEffects(cfg, topology, metrics, logger)
}

// newGitEffects builds the real effects: the Git writer as promoter and
// halt fence (opened lazily, once the repository is known), and the region
// health source, webhooks and error-budget source (effects_health.go).
func newGitEffects(cfg effectsConfig, topology func() *ringtopology.Topology, metrics *coordinator.Metrics, logger *slog.Logger) (effects, error) {
	if cfg.GitOpsDir == "" {
		return effects{}, errors.New("gitops: no working copy directory: set --gitops-dir or --data-dir")
	}
	if topology == nil {
		return effects{}, errors.New("gitops: no topology source")
	}
	w := &gitWriters{cfg: cfg, topology: topology, logger: logger}
	gp := &gitPromoter{w: w, metrics: metrics}
	fx := effects{promoter: gp, baseline: gp, fence: &gitFence{w: w}, writers: w}
	if err := addHealth(&fx, cfg.health, topology, w, logger); err != nil {
		return effects{}, err
	}
	return fx, nil
}

// gitWriters opens the gitops.Writer for the repository in force: the
// --gitops-url, or the topology's spec.gitops. A new topology naming
// another repository or branch gets a writer of its own (and a working
// copy of its own under GitOpsDir).
type gitWriters struct {
	cfg      effectsConfig
	topology func() *ringtopology.Topology
	logger   *slog.Logger

	mu  sync.Mutex
	key string
	w   *gitops.Writer
}

// errNoRepository: nothing says where to write yet.
var errNoRepository = errors.New("no GitOps repository: adopt a topology with spec.gitops.repo or set --gitops-url (or run with --effects memory)")

// writer returns the writer of the repository in force.
func (g *gitWriters) writer() (*gitops.Writer, error) {
	url, branch := g.cfg.GitOpsURL, g.cfg.GitOpsBranch
	if url == "" || branch == "" {
		if top := g.topology(); top != nil {
			if url == "" {
				url = top.Spec.GitOps.Repo
			}
			if branch == "" {
				branch = top.Spec.GitOps.Branch
			}
		}
	}
	if url == "" {
		return nil, errNoRepository
	}
	if branch == "" {
		branch = "main"
	}
	key := url + "#" + branch
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.w != nil && g.key == key {
		return g.w, nil
	}
	sum := sha256.Sum256([]byte(key))
	w, err := gitops.New(gitops.Config{
		URL: url, Branch: branch, Dir: filepath.Join(g.cfg.GitOpsDir, hex.EncodeToString(sum[:6])),
		Auth:               g.cfg.auth(),
		Author:             gitops.Identity{Name: g.cfg.GitAuthorName, Email: g.cfg.GitAuthorEmail},
		Backoff:            g.cfg.GitBackoff,
		EditApplicationSet: appset.Edit,
	}, g.topology)
	if err != nil {
		return nil, fmt.Errorf("open the GitOps working copy: %w", err)
	}
	g.logger.Info("GitOps writer ready", "repo", redact.URL(url), "branch", branch)
	g.w, g.key = w, key
	return w, nil
}

// IsAncestor is regions/argocd's AncestorFunc, answered from the working
// copy (fetching when a commit is unknown).
func (g *gitWriters) IsAncestor(ctx context.Context, ancestor, descendant string) (bool, error) {
	w, err := g.writer()
	if err != nil {
		return false, err
	}
	return w.IsAncestor(ctx, ancestor, descendant)
}

// gitPromoter adapts the writer to coordinator.Promoter and records every
// write in the push metrics with the writer's real attempt count.
type gitPromoter struct {
	w       *gitWriters
	metrics *coordinator.Metrics
}

// Promote implements coordinator.Promoter: promotions through
// Writer.Promote, rollbacks through Writer.Rollback (which passes the halt
// fence but not Check). A halt in the repository's fence or a refused
// Check becomes coordinator.ErrFenced; a permanent error
// (gitops.ErrPermanent: bad target, push refused by the server) becomes
// coordinator.ErrNeedsHuman; anything else stays transient.
func (p *gitPromoter) Promote(ctx context.Context, cp coordinator.Promotion) (coordinator.PromotionResult, error) {
	start := time.Now()
	res, err := p.promote(ctx, cp)
	out := coordinator.PromotionResult{Commit: res.Commit, AlreadyLanded: res.AlreadyLanded}
	switch {
	case errors.Is(err, gitops.ErrHalted) || errors.Is(err, gitops.ErrCheckFailed):
		err = fmt.Errorf("%w: %w", coordinator.ErrFenced, err)
	case gitops.IsPermanent(err):
		// A missing file or field, a YAML that does not parse, a push the
		// server refused: the loop fails the ring with this text (file,
		// path and cause) instead of retrying.
		err = fmt.Errorf("%w: %w", coordinator.ErrNeedsHuman, err)
	}
	p.metrics.ObservePush(time.Since(start), max(res.Attempts-1, 0), coordinator.PushOutcome(out, err))
	return out, err
}

func (p *gitPromoter) promote(ctx context.Context, cp coordinator.Promotion) (gitops.Result, error) {
	w, err := p.w.writer()
	if err != nil {
		return gitops.Result{}, fmt.Errorf("promotion %s: %w", cp.PromotionID, err)
	}
	gp := toGitopsPromotion(cp)
	if cp.Rollback {
		return w.Rollback(ctx, gp)
	}
	return w.Promote(ctx, gp)
}

// FindLanded implements coordinator.LandedFinder from the writer's
// trailer index.
func (p *gitPromoter) FindLanded(ctx context.Context, promotionID string) (string, bool, error) {
	w, err := p.w.writer()
	if err != nil {
		return "", false, err
	}
	return w.FindLanded(ctx, promotionID)
}

var _ coordinator.LandedFinder = (*gitPromoter)(nil)

// ReadBaseline implements coordinator.BaselineReader: what every target of
// app holds now on the branch head, per region.
func (p *gitPromoter) ReadBaseline(ctx context.Context, app string, regions []string) (coordinator.BaselineRead, error) {
	w, err := p.w.writer()
	if err != nil {
		return coordinator.BaselineRead{}, err
	}
	b, err := w.ReadBaseline(ctx, app, regions)
	if err != nil {
		return coordinator.BaselineRead{}, err
	}
	out := coordinator.BaselineRead{Commit: b.Commit, Targets: make(map[string][]rings.TargetValue, len(b.Regions))}
	for _, r := range b.Regions {
		out.Targets[r.Region] = r.Targets
	}
	return out, nil
}

var _ coordinator.BaselineReader = (*gitPromoter)(nil)

// toGitopsPromotion copies a coordinator promotion field for field.
func toGitopsPromotion(p coordinator.Promotion) gitops.Promotion {
	return gitops.Promotion{
		ReleaseID: p.ReleaseID, App: p.App, Ring: p.Ring, Regions: p.Regions, Version: p.Version,
		PromotionID: p.PromotionID, Rollback: p.Rollback, Targets: p.Targets, Check: p.Check,
		PreviousRing: p.PreviousRing, PreviousRingSoakedAt: p.PreviousRingSoakedAt,
	}
}

// gitFence adapts the writer to coordinator.HaltFence.
type gitFence struct{ w *gitWriters }

// WriteHalts implements coordinator.HaltFence.
func (f *gitFence) WriteHalts(ctx context.Context, active []rings.Halt) error {
	w, err := f.w.writer()
	if err != nil {
		return err
	}
	return w.WriteHalts(ctx, active)
}
