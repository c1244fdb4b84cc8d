package demo

import (
	"fmt"
	"strings"
	"text/template"
	"time"

	"github.com/ringleader-dev/ringleader/rings/topology"
)

// TopologyOptions shape the demo topology: the example topology
// (manifests/examples/rings.yaml) with its soaks shortened to seconds, no
// release windows or freezes, every region's Argo CD pointing at the
// simulated regions and, when there is one, its Prometheus at the local
// Prometheus.
type TopologyOptions struct {
	// RepoURL and Branch are the GitOps repository.
	RepoURL, Branch string
	// ArgoCDServer is the simulated regions' Argo CD API base URL.
	ArgoCDServer string
	// PrometheusURL is the local Prometheus ("" for none: health comes from
	// Argo CD alone).
	PrometheusURL string
	// Soaks of the canary, early and global rings.
	CanarySoak, EarlySoak, GlobalSoak time.Duration
	// Approval keeps the manual approval of ring early.
	Approval bool
	// AnalysisInterval and FailureThreshold configure Prometheus analysis.
	AnalysisInterval time.Duration
	FailureThreshold int
	// SyncTimeout bounds how long a ring may wait for sync (default 2m).
	SyncTimeout time.Duration
	// RollbackTimeout is how long a rolled-back region may take to verify
	// before the rollback fails (default 30s).
	RollbackTimeout time.Duration
}

// DefaultSoaks are the demo's soaks at scale 1: long enough to watch in
// the dashboard, short enough to see a release through in about a minute.
var DefaultSoaks = [3]time.Duration{20 * time.Second, 30 * time.Second, 10 * time.Second}

// ScaledSoaks returns DefaultSoaks multiplied by scale, rounded to 100 ms.
func ScaledSoaks(scale float64) [3]time.Duration {
	var out [3]time.Duration
	for i, d := range DefaultSoaks {
		out[i] = time.Duration(float64(d) * scale).Round(100 * time.Millisecond)
	}
	return out
}

// The regions, rings and apps are those of manifests/examples/rings.yaml
// (a test keeps them in step).
var topologyTemplate = template.Must(template.New("rings.yaml").Parse(`# Ringleader demo topology: manifests/examples/rings.yaml with soaks in
# seconds, no release windows or freezes, and every region served by the
# simulated regions of ` + "`ringd demo`" + `.
apiVersion: ringleader.dev/v1alpha1
kind: Topology
metadata: {name: payments-demo}
spec:
  gitops: {repo: "{{.RepoURL}}", branch: {{.Branch}}}
  regions:
{{- range .Regions}}
    - name: {{.Name}}
      timezone: {{.Zone}}
      trafficShare: {{.Share}}
      argocd: {server: "{{$.ArgoCDServer}}", application: "{{"{{app}}-{{region}}"}}"}
{{- if $.PrometheusURL}}
      prometheus: {url: "{{$.PrometheusURL}}"}
{{- end}}
{{- end}}
  rings:
    - {name: canary, regions: [us-east-1], soak: {{.Canary}}, syncTimeout: {{.SyncTimeout}}}
    - {name: early, regions: [eu-west-1], soak: {{.Early}}, syncTimeout: {{.SyncTimeout}}{{if .Approval}}, approval: required{{end}}}
    - {name: global, regions: [ap-northeast-1, us-west-2], soak: {{.Global}}, syncTimeout: {{.SyncTimeout}}}
  policy:
    onFailure: halt-later-rings
    rollback: {mode: automatic, timeout: {{.RollbackTimeout}}}
    analysis:
      interval: {{.Interval}}
      failureThreshold: {{.Threshold}}
{{- if .PrometheusURL}}
      metrics:
        - {name: success-rate, query: 'sum(rate(http_requests_total{region="{{"{{region}}"}}",app="{{"{{app}}"}}",code!~"5.."}[10s])) / sum(rate(http_requests_total{region="{{"{{region}}"}}",app="{{"{{app}}"}}"}[10s])) * 100', min: 99}
    errorBudget: {slo: {{.SLO}}, window: {{.BudgetWindow}}}
{{- end}}
  apps:
    - name: checkout
      targets: [{file: "apps/checkout/{{"{{region}}"}}/values.yaml", yamlPath: image.tag}]
    - name: ledger
      targets: [{file: "apps/ledger/overlays/{{"{{region}}"}}/kustomization.yaml", kustomizeImage: registry.example.com/ledger}]
      trafficShare: {{.LedgerShares}}
      policy:
        soak: {canary: {{.LedgerCanary}}}
{{- if .PrometheusURL}}
        analysis:
          metrics:
            - {name: success-rate, min: {{.LedgerMinSuccess}}}
{{- end}}
`))

// TrafficShares are the percent of each app's traffic the demo regions
// serve: the rings expose 10 %, 30 % and 100 % of it.
var TrafficShares = map[string]int{"us-east-1": 10, "eu-west-1": 20, "ap-northeast-1": 30, "us-west-2": 40}

// The ledger app's own policy and traffic (spec.apps[].policy and
// trafficShare), so the two apps differ as the two-apps scenario shows:
// ledger's canary soaks LedgerSoakFactor times checkout's, its analysis
// wants LedgerMinSuccess % of requests answered without 5xx where
// checkout's wants 99 %, and its traffic is spread by LedgerTrafficShares
// (its rings expose 5 %, 20 % and 100 %). The bound is chosen so that
// ledger's policy matters only where a region serves more than 0.7 % 5xx:
// BurntRegion's BurntErrorRatio passes it, so no other scenario changes;
// TwoAppsErrorRatio fails it and passes checkout's.
const (
	LedgerApp         = "ledger"
	LedgerVersion     = "v2.4.0" // what the two-apps scenario releases
	LedgerSoakFactor  = 3
	LedgerMinSuccess  = 99.3
	TwoAppsErrorRatio = 0.008
)

// LedgerTrafficShares are the percent of ledger's traffic each demo
// region serves.
var LedgerTrafficShares = map[string]int{"us-east-1": 5, "eu-west-1": 15, "ap-northeast-1": 30, "us-west-2": 50}

// The demo's error budget (with Prometheus only: without it nothing
// measures a budget): a 99 % SLO over one hour, so a few seconds of errors
// move the figures on the dashboard. BurntRegion serves BurntErrorRatio of
// its requests with 5xx from the start (ringsim's control endpoint), so
// about 40 % of its budget remains: the approval band, and the first
// release waits there for an approval.
const (
	BudgetSLO       = 0.99
	BudgetWindow    = time.Hour
	BurntRegion     = "ap-northeast-1"
	BurntErrorRatio = 0.006
)

// InitialVersions are what the generated GitOps repository runs before the
// first release.
var InitialVersions = map[string]string{"checkout": "v1.4.1", "ledger": "v2.3.0"}

// Topology renders the demo topology and checks it parses.
func Topology(o TopologyOptions) ([]byte, *topology.Topology, error) {
	if o.Branch == "" {
		o.Branch = "main"
	}
	if o.AnalysisInterval <= 0 {
		o.AnalysisInterval = time.Second
	}
	if o.FailureThreshold <= 0 {
		o.FailureThreshold = 2
	}
	if o.SyncTimeout <= 0 {
		o.SyncTimeout = 2 * time.Minute
	}
	if o.RollbackTimeout <= 0 {
		o.RollbackTimeout = 30 * time.Second
	}
	if o.RepoURL == "" || o.ArgoCDServer == "" {
		return nil, nil, fmt.Errorf("demo topology: the GitOps repository URL and the Argo CD server are required")
	}
	type region struct {
		Name, Zone string
		Share      int
	}
	data := struct {
		TopologyOptions
		Regions                                                       []region
		Canary, Early, Global, Interval, SyncTimeout, RollbackTimeout string
		Threshold                                                     int
		SLO, LedgerMinSuccess                                         float64
		BudgetWindow, LedgerCanary, LedgerShares                      string
	}{
		TopologyOptions: o,
		Regions: []region{{"us-east-1", "America/New_York", TrafficShares["us-east-1"]}, {"eu-west-1", "Europe/Dublin", TrafficShares["eu-west-1"]},
			{"ap-northeast-1", "Asia/Tokyo", TrafficShares["ap-northeast-1"]}, {"us-west-2", "America/Los_Angeles", TrafficShares["us-west-2"]}},
		Canary: dur(o.CanarySoak), Early: dur(o.EarlySoak), Global: dur(o.GlobalSoak),
		Interval: dur(o.AnalysisInterval), SyncTimeout: dur(o.SyncTimeout), RollbackTimeout: dur(o.RollbackTimeout),
		Threshold: o.FailureThreshold, SLO: BudgetSLO, BudgetWindow: dur(BudgetWindow),
		LedgerCanary: dur(LedgerSoakFactor * o.CanarySoak), LedgerMinSuccess: LedgerMinSuccess,
		LedgerShares: fmt.Sprintf("{us-east-1: %d, eu-west-1: %d, ap-northeast-1: %d, us-west-2: %d}", LedgerTrafficShares["us-east-1"],
			LedgerTrafficShares["eu-west-1"], LedgerTrafficShares["ap-northeast-1"], LedgerTrafficShares["us-west-2"]),
	}
	var b strings.Builder
	if err := topologyTemplate.Execute(&b, data); err != nil {
		return nil, nil, fmt.Errorf("render demo topology: %w", err)
	}
	top, err := topology.Parse("rings.yaml", []byte(b.String()))
	if err != nil {
		return nil, nil, fmt.Errorf("demo topology does not validate (a bug in internal/demo): %w", err)
	}
	return []byte(b.String()), top, nil
}

// dur renders d in Go syntax, "0s" for zero.
func dur(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	return d.String()
}
