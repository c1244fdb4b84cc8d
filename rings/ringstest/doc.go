// Package ringstest holds what the domain's tests share: the example
// topology as a literal, a fixed clock and transitions as table-test steps.
package ringstest
