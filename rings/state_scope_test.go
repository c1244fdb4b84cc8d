package rings_test

import (
	"strings"
	"testing"

	"github.com/ringleader-dev/ringleader/rings"
)

// TestHaltScopeCovers checks combined scopes: every dimension a scope names
// must match (AND across dimensions, OR within one), Global covers all and
// an empty scope covers nothing.
func TestHaltScopeCovers(t *testing.T) {
	t.Parallel()
	type promo struct {
		release, app, ring string
		regions            []string
	}
	checkoutEU := promo{"r1", "checkout", "main", []string{"eu-west-1"}}
	ledgerEU := promo{"r1", "ledger", "main", []string{"eu-west-1"}}
	checkoutUS := promo{"r1", "checkout", "main", []string{"us-east-1"}}
	appRegion := rings.HaltScope{Apps: []string{"checkout"}, Regions: []string{"eu-west-1"}}
	ringApp := rings.HaltScope{Rings: []string{"global"}, Apps: []string{"ledger"}}
	releaseRing := rings.HaltScope{Releases: []string{"r1"}, Rings: []string{"early"}}
	cases := []struct {
		name  string
		scope rings.HaltScope
		p     promo
		want  bool
	}{
		{"app+region: checkout to eu-west-1", appRegion, checkoutEU, true},
		{"app+region: ledger to eu-west-1", appRegion, ledgerEU, false},
		{"app+region: checkout to us-east-1", appRegion, checkoutUS, false},
		{"app+region: one covered region of several", appRegion, promo{"r1", "checkout", "main", []string{"us-east-1", "eu-west-1"}}, true},
		{"ring+app: ledger in global", ringApp, promo{"r2", "ledger", "global", []string{"us-east-1"}}, true},
		{"ring+app: checkout in global", ringApp, promo{"r2", "checkout", "global", []string{"us-east-1"}}, false},
		{"ring+app: ledger in early", ringApp, promo{"r2", "ledger", "early", []string{"us-east-1"}}, false},
		{"release+ring: r1 in early", releaseRing, promo{"r1", "web", "early", []string{"eu-west-1"}}, true},
		{"release+ring: r2 in early", releaseRing, promo{"r2", "web", "early", []string{"eu-west-1"}}, false},
		{"release+ring: r1 in global", releaseRing, promo{"r1", "web", "global", []string{"eu-west-1"}}, false},
		{"global covers anything", rings.HaltScope{Global: true}, ledgerEU, true},
		{"global wins over narrower fields", rings.HaltScope{Global: true, Apps: []string{"checkout"}}, ledgerEU, true},
		{"empty scope covers nothing", rings.HaltScope{}, checkoutEU, false},
		{"empty lists cover nothing", rings.HaltScope{Apps: []string{}, Regions: []string{}}, checkoutEU, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tc.scope.Covers(tc.p.release, tc.p.app, tc.p.ring, tc.p.regions); got != tc.want {
				t.Errorf("%+v covers %+v = %v, want %v", tc.scope, tc.p, got, tc.want)
			}
		})
	}
}

// TestHaltScopeDescribe checks the text people read for a scope, keyed by
// that text, and the order of the lists it is built from.
func TestHaltScopeDescribe(t *testing.T) {
	t.Parallel()
	every := rings.HaltScope{Regions: []string{"eu-west-1"}, Rings: []string{"early"}, Apps: []string{"checkout"}, Releases: []string{"r1"}}
	for want, scope := range map[string]rings.HaltScope{
		"everything":                   {Global: true, Regions: []string{"x"}},
		"regions eu-west-1, us-east-1": {Regions: []string{"eu-west-1", "us-east-1"}},
		"releases r1; apps checkout; rings early; regions eu-west-1": every,
		"rings early": {Apps: []string{}, Rings: []string{"early"}},
		"nothing":     {},
	} {
		if got := scope.Describe(); got != want {
			t.Errorf("%+v.Describe() = %q, want %q", scope, got, want)
		}
	}
	var kinds []string
	for _, l := range every.Lists() {
		kinds = append(kinds, l.Kind)
	}
	if got := strings.Join(kinds, " "); got != "release app ring region" {
		t.Errorf("Lists() kinds = %q, want releases, apps, rings, regions in that order", got)
	}
}
