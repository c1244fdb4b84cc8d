package planner

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/topology"

	"github.com/robfig/cron/v3"
)

// Windows, freezes and trains are recurring periods: a period opens each time
// its five-field cron schedule fires, evaluated on the wall clock of its time
// zone, and stays open for its duration of elapsed time (a 7h window that
// opens at 09:00 on the morning clocks go forward closes at 17:00 wall time,
// seven real hours later). Back-to-back or overlapping openings merge into one
// open span. A schedule that does not fire within a year counts as never.

// ScheduleHorizon bounds every forward search for a schedule's next firing.
const ScheduleHorizon = 366 * 24 * time.Hour

// maxFirings bounds the firings walked to merge overlapping openings, so a
// pathological schedule ("* * * * *" open for a week) costs a bounded amount.
const maxFirings = 4096

// Opening is the state of a recurring period at one instant.
type Opening struct {
	// Open reports whether the period is open at the instant.
	Open bool
	// Until is when an open period closes (zero: never, e.g. a ring without
	// windows).
	Until time.Time
	// Next is when a closed period next opens (zero: not within ScheduleHorizon).
	Next time.Time
}

// caches keep the parsed schedules and loaded zones: loading a zone reads the
// zone database and parsing a schedule allocates, and the planner asks for
// the same few on every pass. Both are pure functions of their key, so the
// cache does not affect results.
var (
	scheduleCache sync.Map // string → cron.Schedule
	zoneCache     sync.Map // string → *time.Location
)

func cachedSchedule(spec string) (cron.Schedule, error) {
	if v, ok := scheduleCache.Load(spec); ok {
		return v.(cron.Schedule), nil
	}
	s, err := topology.ParseSchedule(spec)
	if err != nil {
		return nil, err
	}
	scheduleCache.Store(spec, s)
	return s, nil
}

// LoadZone returns the named IANA time zone ("" and "UTC" are UTC), cached.
func LoadZone(name string) (*time.Location, error) {
	if name == "" || name == "UTC" {
		return time.UTC, nil
	}
	if v, ok := zoneCache.Load(name); ok {
		return v.(*time.Location), nil
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q; use an IANA name such as Europe/Dublin: %w", name, err)
	}
	zoneCache.Store(name, l)
	return l, nil
}

// regionZone returns the region's zone: Location as loaded by Parse, else
// its Timezone.
func regionZone(r topology.Region) (*time.Location, error) {
	if r.Location != nil {
		return r.Location, nil
	}
	return LoadZone(r.Timezone)
}

// periodZone resolves a window or freeze time zone for a region.
func periodZone(tz string, r topology.Region) (*time.Location, error) {
	if tz == topology.TimezoneRegion {
		return regionZone(r)
	}
	return LoadZone(tz)
}

// OpeningAt tells whether the period that opens each time schedule fires (on
// the wall clock of loc) and stays open for d is open at now, until when,
// and, if closed, when it next opens.
func OpeningAt(schedule string, d time.Duration, loc *time.Location, now time.Time) (Opening, error) {
	s, err := cachedSchedule(schedule)
	if err != nil {
		return Opening{}, err
	}
	if loc == nil {
		loc = time.UTC
	}
	return openingAt(s, d, loc, now), nil
}

func openingAt(s cron.Schedule, d time.Duration, loc *time.Location, now time.Time) Opening {
	now = now.In(loc)
	limit := now.Add(ScheduleHorizon)
	if d <= 0 {
		return Opening{Next: withinHorizon(s.Next(now), limit)}
	}
	// A firing in (now-d, now] means the period is open now. Next returns the
	// first firing strictly after its argument.
	f := s.Next(now.Add(-d))
	if f.IsZero() || f.After(now) {
		return Opening{Next: withinHorizon(f, limit)}
	}
	until := f.Add(d)
	for i := 0; i < maxFirings; i++ {
		f = s.Next(f)
		if f.IsZero() || f.After(until) {
			break
		}
		if e := f.Add(d); e.After(until) {
			until = e
		}
	}
	return Opening{Open: true, Until: until.UTC()}
}

// withinHorizon returns t in UTC, or zero when it is zero or after limit.
func withinHorizon(t, limit time.Time) time.Time {
	if t.IsZero() || t.After(limit) {
		return time.Time{}
	}
	return t.UTC()
}

// NextAtOrAfter returns the first firing of schedule at or after t on the
// wall clock of loc (zero if none within ScheduleHorizon).
func NextAtOrAfter(schedule string, loc *time.Location, t time.Time) (time.Time, error) {
	s, err := cachedSchedule(schedule)
	if err != nil {
		return time.Time{}, err
	}
	if loc == nil {
		loc = time.UTC
	}
	return withinHorizon(s.Next(t.In(loc).Add(-time.Nanosecond)), t.Add(ScheduleHorizon)), nil
}

// WindowAt tells whether window w is open for region r at now.
func WindowAt(w topology.Window, r topology.Region, now time.Time) (Opening, error) {
	loc, err := periodZone(w.Timezone, r)
	if err != nil {
		return Opening{}, fmt.Errorf("window %q for region %q: %w", w.Name, r.Name, err)
	}
	o, err := OpeningAt(w.Schedule, w.Duration.D(), loc, now)
	if err != nil {
		return Opening{}, fmt.Errorf("window %q: %w", w.Name, err)
	}
	return o, nil
}

// FreezeAt tells whether freeze f is in force for region r at now (whatever
// the release's priority; see FreezeAllows).
func FreezeAt(f topology.Freeze, r topology.Region, now time.Time) (Opening, error) {
	loc, err := periodZone(f.Timezone, r)
	if err != nil {
		return Opening{}, fmt.Errorf("freeze %q for region %q: %w", f.Name, r.Name, err)
	}
	o, err := OpeningAt(f.Schedule, f.Duration.D(), loc, now)
	if err != nil {
		return Opening{}, fmt.Errorf("freeze %q: %w", f.Name, err)
	}
	return o, nil
}

// FreezeAllows reports whether a release of the given priority may promote
// during freeze f.
func FreezeAllows(f topology.Freeze, priority string) bool { return slices.Contains(f.Allow, priority) }

// RingWindowAt tells whether region r of ring may be promoted at now as far
// as the ring's release windows go: open if any of the ring's windows is open
// in the region (until the latest of their closings), otherwise closed until
// the earliest next opening. A ring without windows is always open (zero
// Until). A window the topology does not define is an error.
func RingWindowAt(t *topology.Topology, ring topology.Ring, r topology.Region, now time.Time) (Opening, error) {
	if len(ring.Windows) == 0 {
		return Opening{Open: true}, nil
	}
	var out Opening
	for _, name := range ring.Windows {
		w, ok := t.WindowByName(name)
		if !ok {
			return Opening{}, fmt.Errorf("ring %q names window %q, which the topology does not define: %w", ring.Name, name, rings.ErrNotFound)
		}
		o, err := WindowAt(w, r, now)
		if err != nil {
			return Opening{}, err
		}
		switch {
		case o.Open:
			out.Open, out.Next = true, time.Time{}
			if o.Until.After(out.Until) {
				out.Until = o.Until
			}
		case !out.Open && !o.Next.IsZero() && (out.Next.IsZero() || o.Next.Before(out.Next)):
			out.Next = o.Next
		}
	}
	return out, nil
}

// FreezeHit is a freeze in force for a region.
type FreezeHit struct {
	Freeze topology.Freeze
	Until  time.Time
}

// BlockingFreezes returns the freezes in force for region r at now that do
// not allow priority, in topology order.
func BlockingFreezes(t *topology.Topology, r topology.Region, priority string, now time.Time) ([]FreezeHit, error) {
	var out []FreezeHit
	for _, f := range t.Spec.Freezes {
		if FreezeAllows(f, priority) {
			continue
		}
		o, err := FreezeAt(f, r, now)
		if err != nil {
			return nil, err
		}
		if o.Open {
			out = append(out, FreezeHit{Freeze: f, Until: o.Until})
		}
	}
	return out, nil
}

// TrainDeparture returns the first departure of the named train at or after
// t (zero if none within ScheduleHorizon).
func TrainDeparture(t *topology.Topology, train string, after time.Time) (time.Time, error) {
	tr, ok := t.TrainByName(train)
	if !ok {
		return time.Time{}, fmt.Errorf("train %q is not in the topology: %w", train, rings.ErrNotFound)
	}
	loc, err := LoadZone(tr.Timezone)
	if err != nil {
		return time.Time{}, fmt.Errorf("train %q: %w", train, err)
	}
	next, err := NextAtOrAfter(tr.Schedule, loc, after)
	if err != nil {
		return time.Time{}, fmt.Errorf("train %q: %w", train, err)
	}
	return next, nil
}
