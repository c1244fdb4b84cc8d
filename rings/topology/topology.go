package topology

import (
	"slices"
	"time"
)

// APIVersion and Kind identify a topology document.
const (
	APIVersion   = "ringleader.dev/v1alpha1"
	KindTopology = "Topology"
)

// Topology is a parsed, validated ring topology: which regions exist, how they
// are grouped into ordered rings, when promotions may happen and what is
// released. It is immutable once returned by Parse; callers share it freely.
type Topology struct {
	APIVersion string       `yaml:"apiVersion" json:"apiVersion"`
	Kind       string       `yaml:"kind" json:"kind"`
	Metadata   Metadata     `yaml:"metadata" json:"metadata"`
	Spec       TopologySpec `yaml:"spec" json:"spec"`

	effective map[string]EffectivePolicy // every app's, computed by Parse (effective.go)
	index     *index                     // name lookups and traffic shares, computed by Parse (index.go)
}

// Metadata names a topology.
type Metadata struct {
	Name string `yaml:"name" json:"name"`
}

// TopologySpec is the body of a topology.
type TopologySpec struct {
	GitOps  GitOps   `yaml:"gitops" json:"gitops"`
	Regions []Region `yaml:"regions" json:"regions"`
	Rings   []Ring   `yaml:"rings" json:"rings"`
	Windows []Window `yaml:"windows,omitempty" json:"windows,omitempty"`
	Freezes []Freeze `yaml:"freezes,omitempty" json:"freezes,omitempty"`
	Policy  Policy   `yaml:"policy" json:"policy"`
	Apps    []App    `yaml:"apps" json:"apps"`
	Trains  []Train  `yaml:"trains,omitempty" json:"trains,omitempty"`
}

// GitOps says where promotions are committed.
type GitOps struct {
	Repo   string `yaml:"repo" json:"repo"`
	Branch string `yaml:"branch" json:"branch"`
}

// Region is one deployment target.
type Region struct {
	Name       string            `yaml:"name" json:"name"`
	Timezone   string            `yaml:"timezone" json:"timezone"`
	ArgoCD     *ArgoCDSource     `yaml:"argocd,omitempty" json:"argocd,omitempty"`
	Prometheus *PrometheusSource `yaml:"prometheus,omitempty" json:"prometheus,omitempty"`
	Labels     map[string]string `yaml:"labels,omitempty" json:"labels,omitempty"`

	// TrafficShare is the percent of each app's global traffic the region
	// serves (exposure.go); nil when not given.
	TrafficShare *float64 `yaml:"trafficShare,omitempty" json:"trafficShare,omitempty"`

	// Location is the region's time zone, loaded by Parse.
	Location *time.Location `yaml:"-" json:"-"`
}

// ArgoCDSource names the Argo CD server and Application(s) of a region.
// Application is a template over {{app}} and {{region}}.
type ArgoCDSource struct {
	Server      string `yaml:"server" json:"server"`
	Application string `yaml:"application" json:"application"`
}

// PrometheusSource is the Prometheus a region's SLIs are read from.
type PrometheusSource struct {
	URL string `yaml:"url" json:"url"`
}

// HasHealthSources reports whether the region has any configured evidence
// source. A region without one advances on soak time alone.
func (r Region) HasHealthSources() bool { return r.ArgoCD != nil || r.Prometheus != nil }

// Ring is an ordered group of regions. Ring 0 goes first.
type Ring struct {
	Name        string   `yaml:"name" json:"name"`
	Regions     []string `yaml:"regions" json:"regions"`
	Soak        Duration `yaml:"soak" json:"soak"`
	Approval    string   `yaml:"approval,omitempty" json:"approval,omitempty"` // "" / "none" or "required"
	Windows     []string `yaml:"windows,omitempty" json:"windows,omitempty"`
	SyncTimeout Duration `yaml:"syncTimeout,omitempty" json:"syncTimeout,omitempty"`
	MaxExposure *float64 `yaml:"maxExposure,omitempty" json:"maxExposure,omitempty"` // percent a release may reach without an approval (exposure.go)
}

// ApprovalRequired reports whether a person must approve the ring.
func (r Ring) ApprovalRequired() bool { return r.Approval == "required" }

// Window is a recurring release window: it opens each time Schedule fires and
// stays open for Duration. Timezone is an IANA zone, or "region" to evaluate
// the window in each region's own zone.
type Window struct {
	Name     string   `yaml:"name" json:"name"`
	Schedule string   `yaml:"schedule" json:"schedule"`
	Duration Duration `yaml:"duration" json:"duration"`
	Timezone string   `yaml:"timezone" json:"timezone"`
}

// Freeze is a recurring period in which no promotion happens, except for
// releases whose priority is in Allow.
type Freeze struct {
	Name     string   `yaml:"name" json:"name"`
	Schedule string   `yaml:"schedule" json:"schedule"`
	Duration Duration `yaml:"duration" json:"duration"`
	Timezone string   `yaml:"timezone" json:"timezone"`
	Allow    []string `yaml:"allow,omitempty" json:"allow,omitempty"`
}

// TimezoneRegion is the Window/Freeze timezone that means "each region's own".
const TimezoneRegion = "region"

// Policy holds the rollout policy.
type Policy struct {
	OnFailure   string            `yaml:"onFailure" json:"onFailure"` // halt-later-rings | halt-region
	Rollback    RollbackPolicy    `yaml:"rollback" json:"rollback"`
	Analysis    Analysis          `yaml:"analysis" json:"analysis"`
	ErrorBudget ErrorBudgetPolicy `yaml:"errorBudget" json:"errorBudget"`
	RiskTiers   []RiskTier        `yaml:"riskTiers,omitempty" json:"riskTiers,omitempty"`
}

// Policy values.
const (
	OnFailureHaltLaterRings = "halt-later-rings"
	OnFailureHaltRegion     = "halt-region"
	RollbackAutomatic       = "automatic"
	RollbackManual          = "manual"
)

// RollbackPolicy says whether a failed ring is rolled back without a person
// and when a rollback counts as done. In YAML it is a mapping, or just the
// mode as a scalar (`rollback: automatic`).
//
// A rollback is verified, not assumed: after its commit lands, each region
// must report synced and healthy at a revision containing it, then pass the
// analysis checks for Verify (0s skips the checks); a region that has not
// done so within Timeout of its rollback commit fails the rollback
// (ReleaseRollbackFailed) and places a halt on it.
type RollbackPolicy struct {
	Mode    string   `yaml:"mode" json:"mode"`       // automatic | manual
	Verify  Duration `yaml:"verify" json:"verify"`   // default 2 × analysis interval
	Timeout Duration `yaml:"timeout" json:"timeout"` // default 15m
}

// Automatic reports whether failed rings are rolled back without a person.
func (r RollbackPolicy) Automatic() bool { return r.Mode == RollbackAutomatic }

// Analysis says how soaking rings are checked.
type Analysis struct {
	Interval         Duration `yaml:"interval" json:"interval"`
	FailureThreshold int      `yaml:"failureThreshold" json:"failureThreshold"`
	Metrics          []Metric `yaml:"metrics,omitempty" json:"metrics,omitempty"`
}

// Metric is one PromQL check. Query is a template over {{region}}, {{app}},
// {{version}} and {{baselineVersion}}. Min and Max bound the value;
// MaxDegradation, when set, bounds how much worse (in the query's units) the
// promoted regions may be than the regions still on the old version.
type Metric struct {
	Name           string   `yaml:"name" json:"name"`
	Query          string   `yaml:"query" json:"query"`
	Min            *float64 `yaml:"min,omitempty" json:"min,omitempty"`
	Max            *float64 `yaml:"max,omitempty" json:"max,omitempty"`
	MaxDegradation *float64 `yaml:"maxDegradation,omitempty" json:"maxDegradation,omitempty"`
}

// ErrorBudgetPolicy maps remaining error budget to a gate decision: above
// AutoApproveAbove percent promotions go ahead, above ApprovalAbove they need
// an approval, at or below it they are frozen except for the priorities in
// AllowWhenExhausted. The budget is measured per app and region, with the
// SLI queries of SLI (nil: the adapter's default, non-5xx over all
// http_requests_total), and a release is gated by its own app's budget.
type ErrorBudgetPolicy struct {
	SLO                float64    `yaml:"slo" json:"slo"`
	Window             Duration   `yaml:"window" json:"window"`
	AutoApproveAbove   float64    `yaml:"autoApproveAbove" json:"autoApproveAbove"`
	ApprovalAbove      float64    `yaml:"approvalAbove" json:"approvalAbove"`
	AllowWhenExhausted []string   `yaml:"allowWhenExhausted,omitempty" json:"allowWhenExhausted,omitempty"`
	SLI                *BudgetSLI `yaml:"sli,omitempty" json:"sli,omitempty"`
}

// App is something released. Its targets say where in the GitOps repository a
// version is written for a region.
type App struct {
	Name    string   `yaml:"name" json:"name"`
	Targets []Target `yaml:"targets" json:"targets"`

	// TrafficShare overrides the regions' trafficShare for this app,
	// region → percent (exposure.go); Risk holds its risk inputs (risk.go).
	TrafficShare map[string]float64 `yaml:"trafficShare,omitempty" json:"trafficShare,omitempty"`
	Risk         *AppRisk           `yaml:"risk,omitempty" json:"risk,omitempty"`
	Policy       *AppPolicy         `yaml:"policy,omitempty" json:"policy,omitempty"` // overrides spec.policy and ring soak/approval for this app (app_policy.go)
}

// Target is one place a version is written. File is a template over
// {{region}} and {{app}}. Exactly one of YAMLPath, KustomizeImage,
// ApplicationSetElement and ContainerImage is set (target.go).
type Target struct {
	File                  string                 `yaml:"file" json:"file"`
	YAMLPath              string                 `yaml:"yamlPath,omitempty" json:"yamlPath,omitempty"`
	KustomizeImage        string                 `yaml:"kustomizeImage,omitempty" json:"kustomizeImage,omitempty"`
	ApplicationSetElement *ApplicationSetElement `yaml:"applicationSetElement,omitempty" json:"applicationSetElement,omitempty"` // the element field to set, e.g. targetRevision
	ContainerImage        *ContainerImage        `yaml:"containerImage,omitempty" json:"containerImage,omitempty"`
}

// Train is a scheduled departure: releases queued for a train start when its
// cron schedule fires.
type Train struct {
	Name     string   `yaml:"name" json:"name"`
	Apps     []string `yaml:"apps" json:"apps"`
	Schedule string   `yaml:"schedule" json:"schedule"`
	Timezone string   `yaml:"timezone" json:"timezone"`
}

// Priorities a release may carry. Freezes and the error-budget policy allow
// some of them through.
const (
	PriorityNormal      = "normal"
	PriorityP0          = "P0"
	PrioritySecurity    = "security"
	PriorityReliability = "reliability"
)

// RegionByName returns the region with the given name.
func (t *Topology) RegionByName(name string) (Region, bool) {
	if ix := t.indexFor(); ix != nil {
		return entryAt(ix.regionAt, t.Spec.Regions, name)
	}
	return byName(t.Spec.Regions, name, regionName)
}

// RingIndex returns the position of the named ring, or -1.
func (t *Topology) RingIndex(name string) int {
	if ix := t.indexFor(); ix != nil {
		if i, ok := ix.ringAt[name]; ok {
			return i
		}
		return -1
	}
	return slices.IndexFunc(t.Spec.Rings, func(r Ring) bool { return r.Name == name })
}

// AppByName returns the app with the given name.
func (t *Topology) AppByName(name string) (App, bool) {
	if ix := t.indexFor(); ix != nil {
		return entryAt(ix.appAt, t.Spec.Apps, name)
	}
	return byName(t.Spec.Apps, name, appName)
}

// WindowByName returns the window with the given name.
func (t *Topology) WindowByName(name string) (Window, bool) {
	return byName(t.Spec.Windows, name, func(w Window) string { return w.Name })
}

// TrainByName returns the train with the given name.
func (t *Topology) TrainByName(name string) (Train, bool) {
	return byName(t.Spec.Trains, name, func(tr Train) string { return tr.Name })
}

// byName returns the first entry of list that nameOf names name.
func byName[T any](list []T, name string, nameOf func(T) string) (T, bool) {
	if i := slices.IndexFunc(list, func(v T) bool { return nameOf(v) == name }); i >= 0 {
		return list[i], true
	}
	var zero T
	return zero, false
}

// Describe names a target within its file, the way errors, commit bodies
// and recorded baselines name it: "yamlPath image.tag", "kustomizeImage
// registry.example.com/ledger", "applicationSetElement targetRevision",
// "applicationSetElement targetRevision key cluster", "containerImage
// Deployment/cartservice container server". Recorded baselines compare
// these strings, so an existing form's text never changes.
func (t Target) Describe() string {
	switch {
	case t.YAMLPath != "":
		return "yamlPath " + t.YAMLPath
	case t.KustomizeImage != "":
		return "kustomizeImage " + t.KustomizeImage
	case t.ApplicationSetElement != nil:
		return "applicationSetElement " + t.ApplicationSetElement.describe()
	case t.ContainerImage != nil:
		return "containerImage " + t.ContainerImage.describe()
	}
	return "no target"
}
