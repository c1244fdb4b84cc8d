// Package ringstest holds what the domain's tests share: the example
// topology as a literal, a fixed clock, transitions as table-test steps and
// the check that a refused transition changes nothing, and ParseFile for
// tests that read a topology file.
package ringstest
