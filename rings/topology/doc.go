// Package topology owns the topology schema: the YAML document's types,
// parsing with line numbers, validation and defaults, and the arithmetic of
// its policies (durations, cron schedules, the error budget).
//
// A *Topology returned by Parse is complete and immutable. Like the rest of
// the domain the package is pure: no I/O beyond loading time zones, no
// goroutines, no clock.
package topology
