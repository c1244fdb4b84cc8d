package topology

// AppPolicy is spec.apps[].policy: what one app does differently from
// spec.policy and the rings. Every field is optional; a nil pointer, an
// empty string or a missing map key inherits. EffectivePolicy (effective.go)
// merges it with spec.policy and the rings; read that, never this.
type AppPolicy struct {
	Analysis    *AnalysisOverride    `yaml:"analysis,omitempty" json:"analysis,omitempty"`
	Soak        map[string]Duration  `yaml:"soak,omitempty" json:"soak,omitempty"`         // ring name → soak
	Approval    map[string]string    `yaml:"approval,omitempty" json:"approval,omitempty"` // ring name → "required" | "none"
	ErrorBudget *ErrorBudgetOverride `yaml:"errorBudget,omitempty" json:"errorBudget,omitempty"`
	OnFailure   string               `yaml:"onFailure,omitempty" json:"onFailure,omitempty"`
	Rollback    *RollbackOverride    `yaml:"rollback,omitempty" json:"rollback,omitempty"`
	Webhooks    *AppWebhooks         `yaml:"webhooks,omitempty" json:"webhooks,omitempty"`
}

// AnalysisOverride overrides spec.policy.analysis. Metrics merge by name: an
// entry named like a spec.policy metric replaces the parts it gives (query,
// min, max, maxDegradation) of that metric; an entry with a new name adds a
// metric and needs a query and a bound like any other.
type AnalysisOverride struct {
	Interval         *Duration `yaml:"interval,omitempty" json:"interval,omitempty"`
	FailureThreshold *int      `yaml:"failureThreshold,omitempty" json:"failureThreshold,omitempty"`
	Metrics          []Metric  `yaml:"metrics,omitempty" json:"metrics,omitempty"`
}

// ErrorBudgetOverride overrides spec.policy.errorBudget field by field. An
// app may have a budget gate when spec.policy has none: it then needs an slo.
type ErrorBudgetOverride struct {
	SLO                *float64   `yaml:"slo,omitempty" json:"slo,omitempty"`
	Window             *Duration  `yaml:"window,omitempty" json:"window,omitempty"`
	AutoApproveAbove   *float64   `yaml:"autoApproveAbove,omitempty" json:"autoApproveAbove,omitempty"`
	ApprovalAbove      *float64   `yaml:"approvalAbove,omitempty" json:"approvalAbove,omitempty"`
	AllowWhenExhausted []string   `yaml:"allowWhenExhausted,omitempty" json:"allowWhenExhausted,omitempty"`
	SLI                *BudgetSLI `yaml:"sli,omitempty" json:"sli,omitempty"`
}

// RollbackOverride overrides spec.policy.rollback; like it, it may be
// written as the mode alone (`rollback: manual`).
type RollbackOverride struct {
	Mode    string    `yaml:"mode,omitempty" json:"mode,omitempty"`
	Verify  *Duration `yaml:"verify,omitempty" json:"verify,omitempty"`
	Timeout *Duration `yaml:"timeout,omitempty" json:"timeout,omitempty"`
}

// AppWebhooks are an app's own release webhooks, called in addition to the
// ones ringd is started with (--webhook-pre-promotion and friends), with the
// same payloads and the same meaning: a pre-promotion refusal makes the
// release wait, a during-soak failure fails the ring, post-ring is told.
type AppWebhooks struct {
	PrePromotion *AppWebhook `yaml:"prePromotion,omitempty" json:"prePromotion,omitempty"`
	DuringSoak   *AppWebhook `yaml:"duringSoak,omitempty" json:"duringSoak,omitempty"`
	PostRing     *AppWebhook `yaml:"postRing,omitempty" json:"postRing,omitempty"`
}

// AppWebhook is one receiver. SecretFile is a file name, never a path or a
// secret: ringd reads it from its --webhook-secret-dir, so the topology,
// which every viewer sees, names the secret without holding it.
type AppWebhook struct {
	URL        string `yaml:"url" json:"url"`
	SecretFile string `yaml:"secretFile" json:"secretFile"`
}

// Webhook events, named as regions/webhook names them.
const (
	WebhookPrePromotion = "pre-promotion"
	WebhookDuringSoak   = "during-soak"
	WebhookPostRing     = "post-ring"
)

// NamedWebhook is one of an app's webhooks with its event.
type NamedWebhook struct {
	Event string      `json:"event"`
	Hook  *AppWebhook `json:"hook"`
}

// Each lists the webhooks w sets, in event order (pre-promotion,
// during-soak, post-ring); nil w has none.
func (w *AppWebhooks) Each() []NamedWebhook {
	if w == nil {
		return nil
	}
	var out []NamedWebhook
	for _, e := range []NamedWebhook{{WebhookPrePromotion, w.PrePromotion}, {WebhookDuringSoak, w.DuringSoak}, {WebhookPostRing, w.PostRing}} {
		if e.Hook != nil {
			out = append(out, e)
		}
	}
	return out
}

// Hook returns the app's webhook for event, or nil.
func (w *AppWebhooks) Hook(event string) *AppWebhook {
	for _, e := range w.Each() {
		if e.Event == event {
			return e.Hook
		}
	}
	return nil
}
