package prometheus

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/ringleader-dev/ringleader/regions"
	"github.com/ringleader-dev/ringleader/rings"
	ringtopology "github.com/ringleader-dev/ringleader/rings/topology"
)

// BaselineSuffix is appended to a metric's name for its canary-vs-baseline
// check ("error-rate" → "error-rate/vs-baseline").
const BaselineSuffix = "/vs-baseline"

// ReasonNoPrometheus is the RegionAnalysis reason of a region without a
// Prometheus source: it gets no metric evidence.
const ReasonNoPrometheus = "region has no prometheus source: no metric evidence"

// Analyzer evaluates a topology's analysis metrics against each region's own
// Prometheus. It is stateless apart from its HTTP clients and safe for
// concurrent use; counting consecutive failures is the caller's business.
type Analyzer struct {
	cfg     Config
	servers *servers
}

// NewAnalyzer validates cfg and returns an Analyzer.
func NewAnalyzer(cfg Config) (*Analyzer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Analyzer{cfg: cfg, servers: &servers{rt: cfg.RoundTripper}}, nil
}

// Analyze evaluates every metric of the analysis of q.App (its
// topology.EffectivePolicy: spec.policy's, with the app's overrides) for each
// promoted region of q at time at, and returns one RegionAnalysis per
// promoted region, in query order.
//
// Per metric and region there is one observation named after the metric,
// comparing the value with min/max. A metric with maxDegradation adds a
// second observation, "<name>/vs-baseline", comparing the region with the
// mean of the baseline regions (q.Baseline, evaluated at
// q.BaselineVersion): with a min, lower is worse, so it fails when
// baseline − canary > maxDegradation; with only a max, higher is worse, so it
// fails when canary − baseline > maxDegradation. With no baseline regions the
// comparison passes and says it was skipped (the last ring has nobody left
// to compare with); baseline regions that all fail to answer make it fail.
//
// Every error becomes a failing observation with its reason, so Analyze only
// returns an error for a request it cannot interpret at all (an unknown
// region). Regions without a Prometheus get no observations and
// ReasonNoPrometheus.
func (a *Analyzer) Analyze(ctx context.Context, topo *ringtopology.Topology, q rings.HealthQuery, at time.Time) ([]regions.RegionAnalysis, error) {
	if topo == nil {
		return nil, errors.New("analyze: no topology: load one before observing")
	}
	promoted := make([]ringtopology.Region, 0, len(q.Regions))
	for _, t := range q.Regions {
		r, ok := topo.RegionByName(t.Region)
		if !ok {
			return nil, fmt.Errorf("analyze ring %q: region %q is not in topology %q: %w", q.Ring, t.Region, topo.Metadata.Name, rings.ErrNotFound)
		}
		promoted = append(promoted, r)
	}
	metrics := topo.EffectivePolicy(q.App).Analysis.Metrics

	// Plan every query first, run them concurrently, then judge.
	var jobs []*job
	canary := make([][]*job, len(promoted)) // [region][metric]
	for ri, r := range promoted {
		if !hasPrometheus(r) {
			continue
		}
		canary[ri] = make([]*job, len(metrics))
		for mi, m := range metrics {
			j := &job{server: r.Prometheus.URL, tmpl: m.Query,
				vars: Vars{Region: r.Name, App: q.App, Version: q.Version, BaselineVersion: q.BaselineVersion}}
			canary[ri][mi] = j
			jobs = append(jobs, j)
		}
	}
	base := make([][]*job, len(metrics)) // [metric][baseline region]
	var baseErrs []error                 // baseline regions that cannot be asked
	for _, name := range q.Baseline {
		r, ok := topo.RegionByName(name)
		switch {
		case !ok:
			baseErrs = append(baseErrs, errors.New(name+": not in the topology"))
			continue
		case !hasPrometheus(r):
			baseErrs = append(baseErrs, errors.New(name+": no prometheus source"))
			continue
		}
		for mi, m := range metrics {
			if m.MaxDegradation == nil {
				continue
			}
			j := &job{server: r.Prometheus.URL, tmpl: m.Query, region: name,
				vars: Vars{Region: name, App: q.App, Version: q.BaselineVersion, BaselineVersion: q.BaselineVersion}}
			base[mi] = append(base[mi], j)
			jobs = append(jobs, j)
		}
	}
	a.run(ctx, jobs, at)

	baselines := make([]baseline, len(metrics))
	for mi, m := range metrics {
		if m.MaxDegradation != nil {
			baselines[mi] = summarize(q.Baseline, base[mi], baseErrs)
		}
	}
	out := make([]regions.RegionAnalysis, 0, len(promoted))
	for ri, r := range promoted {
		ra := regions.RegionAnalysis{Region: r.Name}
		if !hasPrometheus(r) {
			ra.Reason = ReasonNoPrometheus
			out = append(out, ra)
			continue
		}
		for mi, m := range metrics {
			j := canary[ri][mi]
			ra.Checks = append(ra.Checks, thresholdCheck(r.Name, m, j.value, j.err, at))
			if m.MaxDegradation != nil {
				ra.Checks = append(ra.Checks, degradationCheck(r.Name, m, j.value, j.err, baselines[mi], at))
			}
		}
		out = append(out, ra)
	}
	return out, nil
}

func hasPrometheus(r ringtopology.Region) bool { return r.Prometheus != nil && r.Prometheus.URL != "" }

// job is one query to run and, after run, its outcome.
type job struct {
	server string
	tmpl   string
	vars   Vars
	region string // baseline jobs: the region, for messages

	value float64
	err   error
}

// run executes the jobs, at most Config.Concurrency at a time.
func (a *Analyzer) run(ctx context.Context, jobs []*job, at time.Time) {
	sem := make(chan struct{}, a.cfg.Concurrency)
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			j.value, j.err = a.eval(ctx, j.server, j.tmpl, j.vars, at)
		}()
	}
	wg.Wait()
}

// eval renders a template and runs it as an instant query.
func (a *Analyzer) eval(ctx context.Context, server, tmpl string, v Vars, at time.Time) (float64, error) {
	query, err := Render(tmpl, v)
	if err != nil {
		return 0, err
	}
	return a.servers.scalar(ctx, server, query, at, a.cfg.QueryTimeout)
}

// baseline is the evaluated baseline of one metric.
type baseline struct {
	mean    float64
	regions int    // regions that answered
	skipped string // why no comparison is made (no baseline regions)
	err     error  // why the comparison cannot be made (none answered)
}

// summarize averages the baseline regions that answered. With no baseline
// regions at all the comparison is skipped; with regions none of which
// answered it cannot be made; its error joins every region's, so errors.Is
// sees through it (ErrUnreachable, ErrTemplate...).
func summarize(names []string, jobs []*job, unasked []error) baseline {
	if len(names) == 0 {
		return baseline{skipped: "no baseline regions: every region runs the new version"}
	}
	var b baseline
	var sum float64
	errs := slices.Clone(unasked)
	for _, j := range jobs {
		if j.err != nil {
			if errors.Is(j.err, ErrTemplate) && j.vars.Version == "" {
				errs = append(errs, fmt.Errorf("%s: the release has no previous version to compare with (%w)", j.region, j.err))
			} else {
				errs = append(errs, fmt.Errorf("%s: %w", j.region, j.err))
			}
			continue
		}
		sum += j.value
		b.regions++
	}
	if b.regions == 0 {
		b.err = fmt.Errorf("no baseline region answered: %w", errors.Join(errs...))
		return b
	}
	b.mean = sum / float64(b.regions)
	return b
}
