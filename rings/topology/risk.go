package topology

// AppRisk holds what an app's releases risk, for the error-budget cost of
// a release (rings.ReleaseCost). FailureRate, in percent, overrides the
// share of the app's releases measured to fail or be rolled back.
type AppRisk struct {
	FailureRate *float64 `yaml:"failureRate,omitempty" json:"failureRate,omitempty"`
}
