package argocd

import (
	"context"
	"fmt"
	"sync"

	"github.com/argoproj/argo-cd/v2/pkg/apis/application/v1alpha1"

	"github.com/ringleader-dev/ringleader/internal/redact"
	"github.com/ringleader-dev/ringleader/regions"
	"github.com/ringleader-dev/ringleader/rings"
	ringtopology "github.com/ringleader-dev/ringleader/rings/topology"
)

// DefaultConcurrency is how many Applications one observation reads at once.
const DefaultConcurrency = 8

// SourceConfig configures a Source. NewSource validates it.
type SourceConfig struct {
	// Servers holds one entry per Argo CD server, matched to the regions'
	// argocd.server by URL (a trailing slash does not matter).
	Servers []ClientConfig
	// Default, when set, is used for a server the topology names that has
	// no entry in Servers (its Server field must be empty): one token for
	// every Argo CD, as in the demo. Without it such a region fails closed.
	Default *ClientConfig
	// IsAncestor lets a region synced at a later commit that contains the
	// promoted one count as synced. Without it only the promoted commit
	// itself counts.
	IsAncestor AncestorFunc
	// Concurrency bounds the Applications read at once. Default
	// DefaultConcurrency.
	Concurrency int
}

// Source reports sync and health of promoted regions from their Argo CD
// Applications. It implements regions.SyncSource and is safe for concurrent
// use.
type Source struct {
	isAncestor  AncestorFunc
	concurrency int
	fallback    *ClientConfig

	mu      sync.Mutex
	clients map[string]*Client // by serverKey
	broken  map[string]error   // Default-built clients that failed, by serverKey
}

var _ regions.SyncSource = (*Source)(nil)

// NewSource validates cfg, builds a client per configured server and returns
// the Source. Nothing is contacted yet.
func NewSource(cfg SourceConfig) (*Source, error) {
	if cfg.Concurrency < 0 {
		return nil, fmt.Errorf("%w: concurrency %d is negative; use 0 for the default %d", ErrConfig, cfg.Concurrency, DefaultConcurrency)
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	s := &Source{isAncestor: cfg.IsAncestor, concurrency: cfg.Concurrency, clients: map[string]*Client{}, broken: map[string]error{}}
	for i, sc := range cfg.Servers {
		c, err := NewClient(sc)
		if err != nil {
			return nil, fmt.Errorf("argocd server %d: %w", i+1, err)
		}
		key := serverKey(sc.Server)
		if _, dup := s.clients[key]; dup {
			return nil, fmt.Errorf("%w: server %s is configured twice", ErrConfig, key)
		}
		s.clients[key] = c
	}
	if d := cfg.Default; d != nil {
		if d.Server != "" {
			return nil, fmt.Errorf("%w: the default argocd settings name server %s; leave it empty (they apply to every server not listed)", ErrConfig, redact.URL(d.Server))
		}
		probe := *d
		if err := probe.validate(); err != nil {
			return nil, fmt.Errorf("default argocd settings: %w", err)
		}
		if _, err := probe.tlsConfig(); err != nil {
			return nil, fmt.Errorf("default argocd settings: %w", err)
		}
		fb := *d
		s.fallback = &fb
	}
	return s, nil
}

// client returns the client for a server named in the topology.
func (s *Source) client(server string) (*Client, error) {
	key := serverKey(server)
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.clients[key]; ok {
		return c, nil
	}
	if err, ok := s.broken[key]; ok {
		return nil, err
	}
	if s.fallback == nil {
		return nil, fmt.Errorf("argocd server %s has no credentials: add it to ringd's argocd servers", redact.URL(server))
	}
	cfg := *s.fallback
	cfg.Server = server
	c, err := NewClient(cfg)
	if err != nil {
		s.broken[key] = err
		return nil, err
	}
	s.clients[key] = c
	return c, nil
}

// ObserveSync reads the Application of every promoted region of q and
// judges it with Evaluate against the commit that promoted the region. It
// returns one Health per region of q.Regions, in order; every problem
// (unknown region, bad template, unreachable server, 401, 404) is a region
// that is neither synced nor healthy, with the reason. A region without an
// argocd entry gets ReasonNoSource. It errs only without a topology.
func (s *Source) ObserveSync(ctx context.Context, topo *ringtopology.Topology, q rings.HealthQuery) ([]rings.RegionHealth, error) {
	if topo == nil {
		return nil, fmt.Errorf("argocd: observe ring %q of release %q: %w", q.Ring, q.ReleaseID, regions.ErrNoTopology)
	}
	out := make([]rings.RegionHealth, len(q.Regions))
	// An app promoted through an ApplicationSet element is judged by the
	// value its generated Applications run (EvaluateValue).
	app, _ := topo.AppByName(q.App)
	byValue := app.HasApplicationSetElement()
	sem := make(chan struct{}, s.concurrency)
	var wg sync.WaitGroup
	for i, t := range q.Regions {
		out[i].Region = t.Region
		r, ok := topo.RegionByName(t.Region)
		switch {
		case !ok:
			out[i].Reason = fmt.Sprintf("region %q is not in topology %q", t.Region, topo.Metadata.Name)
			continue
		case r.ArgoCD == nil:
			out[i].Reason = ReasonNoSource + ": the region has no argocd entry"
			continue
		}
		wg.Add(1)
		go func(h *rings.RegionHealth, src ringtopology.ArgoCDSource, commit string) {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
				h.Reason = "argocd: not asked: " + ctx.Err().Error()
				return
			}
			want := judgeCommit(commit)
			if byValue {
				want = judgeValue(q.Version)
			}
			v := s.observe(ctx, src, q.App, h.Region, want)
			h.Synced, h.Healthy, h.Reason, h.InProgress = v.Synced, v.Healthy, v.Reason, v.InProgress
		}(&out[i], *r.ArgoCD, t.Commit)
	}
	wg.Wait()
	return out, nil
}

// judgement judges a read Application: against the commit that promoted
// its region (judgeCommit) or the value promoted (judgeValue).
type judgement func(ctx context.Context, a *v1alpha1.Application, isAncestor AncestorFunc) Verdict

func judgeCommit(commit string) judgement {
	return func(ctx context.Context, a *v1alpha1.Application, isAncestor AncestorFunc) Verdict {
		return Evaluate(ctx, a, commit, isAncestor)
	}
}

func judgeValue(value string) judgement {
	return func(ctx context.Context, a *v1alpha1.Application, _ AncestorFunc) Verdict {
		return EvaluateValue(ctx, a, value)
	}
}

// observe reads and judges one region's Application.
func (s *Source) observe(ctx context.Context, src ringtopology.ArgoCDSource, app, region string, judge judgement) Verdict {
	name, err := ApplicationName(src.Application, app, region)
	if err != nil {
		return Verdict{Reason: err.Error()}
	}
	c, err := s.client(src.Server)
	if err != nil {
		return Verdict{Reason: err.Error()}
	}
	a, err := c.Application(ctx, name)
	if err != nil {
		return Verdict{Reason: err.Error()}
	}
	return judge(ctx, a, s.isAncestor)
}
