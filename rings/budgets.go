package rings

// BudgetKey is the key of an app's budget in a region in State.Budgets:
// "app/region". Names are DNS labels, so the key is unambiguous. A budget
// recorded without an app (before budgets were kept per app) is keyed by
// its region alone; see State.RecordBudget.
func BudgetKey(app, region string) string {
	if app == "" {
		return region
	}
	return app + "/" + region
}

// Key is the budget's key in State.Budgets.
func (b Budget) Key() string { return BudgetKey(b.App, b.Region) }

// BudgetOf returns the recorded error budget of app in region. A figure
// recorded without an app (an old entry) is not the app's: it reports false.
func (s *State) BudgetOf(app, region string) (Budget, bool) {
	if app == "" {
		return Budget{}, false
	}
	b, ok := s.Budgets[BudgetKey(app, region)]
	return b, ok
}
