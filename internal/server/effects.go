package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/metrics"

	"github.com/ringleader-dev/ringleader/coordinator/leader"
	"github.com/ringleader-dev/ringleader/internal/gitops"
	"github.com/ringleader-dev/ringleader/internal/gitops/appset"
	"github.com/ringleader-dev/ringleader/internal/redact"
	"github.com/ringleader-dev/ringleader/rings"
	ringtopology "github.com/ringleader-dev/ringleader/rings/topology"
)

// Effect modes (--effects).
const (
	// EffectsGit writes promotions and the halt fence to the GitOps
	// repository and judges regions from Argo CD, Prometheus and webhooks.
	EffectsGit = "git"
	// EffectsMemory writes nothing anywhere and reports every region
	// healthy: for tests and experiments that need no Git.
	EffectsMemory = "memory"
)

// GitPasswordEnv is read for the Git password or token when no
// --git-password-file is given.
const GitPasswordEnv = "RINGLEADER_GIT_PASSWORD"

// EffectsConfig is everything the real effects need, as plain values.
// ringd's flags fill it (effectsFlags); `ringd demo` builds one directly and
// calls newGitEffects.
type EffectsConfig struct {
	// Mode is EffectsGit (default) or EffectsMemory.
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
	// PromotionBatchMax bounds the promotions of one batch commit
	// (--promotion-batch-max; 0: the writer's default, 500).
	PromotionBatchMax int

	// health configures Argo CD, Prometheus and the webhooks
	// (effects_health.go).
	Health HealthConfig
}

// validate normalises the config; dataDir is the node's --data-dir.
func (c *EffectsConfig) validate(dataDir string) []error {
	var errs []error
	switch c.Mode {
	case "":
		c.Mode = EffectsGit
	case EffectsGit, EffectsMemory:
	default:
		errs = append(errs, fmt.Errorf("--effects %q: want git or memory", c.Mode))
	}
	if c.GitOpsDir == "" && dataDir != "" {
		c.GitOpsDir = filepath.Join(dataDir, "gitops")
	}
	if c.PromotionBatchMax < 0 {
		errs = append(errs, fmt.Errorf("--promotion-batch-max %d: want at least 1 (0: the default, %d)", c.PromotionBatchMax, gitops.DefaultBatchMax))
	}
	if c.GitPasswordFile != "" && c.GitSSHKeyFile != "" {
		errs = append(errs, errors.New("--git-password-file and --git-ssh-key-file exclude each other: HTTPS or SSH, not both"))
	}
	return append(errs, c.Health.validate()...)
}

// auth turns the credential settings into gitops.Auth (secrets are read
// by the writer, never here). Without a password file or SSH key the
// password comes from RINGLEADER_GIT_PASSWORD when it is set.
func (c EffectsConfig) auth() gitops.Auth {
	a := gitops.Auth{Username: c.GitUsername, PasswordFile: c.GitPasswordFile, SSHKeyFile: c.GitSSHKeyFile}
	if a.SSHKeyFile == "" && a.PasswordFile == "" {
		if v, ok := os.LookupEnv(GitPasswordEnv); ok && v != "" {
			a.PasswordEnv = GitPasswordEnv
		}
	}
	return a
}

// newEffectsFor builds the effects --effects asks for. topology returns
// the topology in force (the node's last adopted one).
func newEffectsFor(cfg EffectsConfig, topology func() *ringtopology.Topology, rec *metrics.Metrics, logger *slog.Logger) (effects, error) {
	if cfg.Mode == EffectsMemory {
		fx := newEffects(logger)
		fx.promoter = metrics.InstrumentPromoter(fx.promoter, rec)
		return fx, nil
	}
	return newGitEffects(cfg, topology, rec, logger)
}

// newGitEffects builds the real effects: the Git writer as promoter and
// halt fence (opened lazily, once the repository is known), and the region
// health source, webhooks and error-budget source (effects_health.go).
func newGitEffects(cfg EffectsConfig, topology func() *ringtopology.Topology, rec *metrics.Metrics, logger *slog.Logger) (effects, error) {
	if cfg.GitOpsDir == "" {
		return effects{}, errors.New("gitops: no working copy directory: set --gitops-dir or --data-dir")
	}
	if topology == nil {
		return effects{}, errors.New("gitops: no topology source")
	}
	w := &gitWriters{cfg: cfg, topology: topology, logger: logger}
	gp := &gitPromoter{w: w, metrics: rec, fp: failpointsFromEnv()}
	fx := effects{promoter: gp, fence: &gitFence{w: w}, writers: w}
	if err := addHealth(&fx, cfg.Health, topology, w, logger); err != nil {
		return effects{}, err
	}
	return fx, nil
}

// gitWriters opens the gitops.Writer for the repository in force: the
// --gitops-url, or the topology's spec.gitops. A new topology naming
// another repository or branch gets a writer of its own (and a working
// copy of its own under GitOpsDir).
type gitWriters struct {
	cfg      EffectsConfig
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
		BatchMax:           g.cfg.PromotionBatchMax,
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

// gitPromoter adapts the writer to leader.Promoter and records every
// write in the push metrics with the writer's real attempt count.
type gitPromoter struct {
	w       *gitWriters
	metrics *metrics.Metrics
	fp      failpoints // test only (failpoints.go)
}

// Promote implements leader.Promoter: promotions through
// Writer.Promote, rollbacks through Writer.Rollback (which passes the halt
// fence but not Check). Errors are mapped by promoterError.
func (p *gitPromoter) Promote(ctx context.Context, cp rings.Promotion) (rings.PromotionResult, error) {
	start := time.Now()
	res, err := p.promote(ctx, cp)
	err = promoterError(err)
	p.metrics.ObservePush(time.Since(start), max(res.Attempts-1, 0), metrics.PushOutcome(res.PromotionResult, err))
	if err == nil && !res.AlreadyLanded {
		p.metrics.ObserveCommit(1)
	}
	return res.PromotionResult, err
}

// PromoteBatch implements leader.BatchPromoter through
// Writer.PromoteBatch (as few commits as --promotion-batch-max and the
// writer's byte bound allow), each outcome's error mapped by
// promoterError.
func (p *gitPromoter) PromoteBatch(ctx context.Context, ps []rings.Promotion, check func(context.Context) error) []leader.PromotionOutcome {
	start := time.Now()
	outs := make([]leader.PromotionOutcome, len(ps))
	w, err := p.w.writer()
	if err != nil {
		for i := range outs {
			outs[i].Err = fmt.Errorf("promotion %s: %w", ps[i].PromotionID, err)
		}
		return outs
	}
	retries := make([]int, len(ps))
	pushed := 0
	for i, r := range w.PromoteBatch(ctx, ps, p.fp.holdBefore(check, len(ps))) {
		outs[i] = leader.PromotionOutcome{PromotionResult: r.PromotionResult, Err: promoterError(r.Err)}
		retries[i] = max(r.Attempts-1, 0)
		if r.Err == nil && !r.AlreadyLanded {
			pushed++
		}
	}
	p.metrics.ObserveBatch(time.Since(start), outs, retries)
	p.fp.hangAfter(ctx, pushed)
	return outs
}

// promoterError maps the writer's errors for the loop: a halt in the
// repository's fence or a refused Check becomes rings.ErrFenced; a
// permanent error (gitops.ErrPermanent: bad target, push refused by the
// server) becomes rings.ErrNeedsHuman; anything else stays transient.
func promoterError(err error) error {
	switch {
	case errors.Is(err, gitops.ErrHalted) || errors.Is(err, gitops.ErrCheckFailed):
		return fmt.Errorf("%w: %w", rings.ErrFenced, err)
	case gitops.IsPermanent(err):
		// A missing file or field, a YAML that does not parse, a push the
		// server refused: the loop fails the ring with this text (file,
		// path and cause) instead of retrying.
		return fmt.Errorf("%w: %w", rings.ErrNeedsHuman, err)
	}
	return err
}

func (p *gitPromoter) promote(ctx context.Context, cp rings.Promotion) (gitops.Result, error) {
	w, err := p.w.writer()
	if err != nil {
		return gitops.Result{}, fmt.Errorf("promotion %s: %w", cp.PromotionID, err)
	}
	if cp.Rollback {
		return w.Rollback(ctx, cp)
	}
	return w.Promote(ctx, cp)
}

// FindLanded implements leader.LandedFinder from the writer's
// trailer index (one fetch for every ID).
func (p *gitPromoter) FindLanded(ctx context.Context, promotionIDs []string) (map[string]string, error) {
	w, err := p.w.writer()
	if err != nil {
		return nil, err
	}
	return w.FindLandedAll(ctx, promotionIDs)
}

var _ leader.LandedFinder = (*gitPromoter)(nil)

// ReadBaselines implements leader.BaselineReader: what every target of
// each app holds now on the branch head, per region (one fetch for all).
func (p *gitPromoter) ReadBaselines(ctx context.Context, qs []rings.BaselineQuery) []rings.BaselineAnswer {
	w, err := p.w.writer()
	if err != nil {
		out := make([]rings.BaselineAnswer, len(qs))
		for i := range out {
			out[i].Err = err
		}
		return out
	}
	return w.ReadBaselines(ctx, qs)
}

var _ leader.BaselineReader = (*gitPromoter)(nil)

// gitFence adapts the writer to leader.HaltFence.
type gitFence struct{ w *gitWriters }

// WriteHalts implements leader.HaltFence.
func (f *gitFence) WriteHalts(ctx context.Context, active []rings.Halt) error {
	w, err := f.w.writer()
	if err != nil {
		return err
	}
	return w.WriteHalts(ctx, active)
}
