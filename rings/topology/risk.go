package topology

// AppRisk holds what an app's releases risk. FailureRate, in percent,
// overrides the share of the app's releases measured to fail or be rolled
// back, for the error-budget cost of a release (rings.ReleaseCost); DREAD
// is the risk score a release of the app gets when it is created without
// one (`ringctl release create --risk`), which picks its risk tier.
type AppRisk struct {
	FailureRate *float64 `yaml:"failureRate,omitempty" json:"failureRate,omitempty"`
	DREAD       *DREAD   `yaml:"dread,omitempty" json:"dread,omitempty"`
}

// DefaultRisk is the DREAD score a release of app gets when created
// without one (nil: none).
func (t *Topology) DefaultRisk(app string) *DREAD {
	if a, ok := t.AppByName(app); ok && a.Risk != nil && a.Risk.DREAD != nil {
		return new(*a.Risk.DREAD)
	}
	return nil
}
