package rings

import (
	"maps"
	"slices"
)

// Copy-on-write views.
//
// The coordinator's leader loop reads the whole state on every pass, and a
// pass follows every write. A deep copy per pass (Clone) made each pass,
// and so each write, cost time and garbage in proportion to every release
// and halt the state holds. View instead lends the parts of the state as
// they are, and the transitions copy a part before they first change it
// after a view was taken:
//
//   - a release: cloned by the first transition that changes it after a
//     view, then changed in place until the next view (own);
//   - the halts: the slice is copied before a halt in it is changed or
//     removed (appending never touches what a view holds: a view's slice
//     ends where the state's slice ended when it was taken);
//   - the budgets: the map is copied before the next RecordBudget.
//
// A view is read-only. Its fields point at memory the state it came from
// still uses, so writing a field through it would change that state too;
// the transitions are safe on a view (it copies before changing, like the
// state does), anything else wants Clone.

// cow is a State's copy-on-write bookkeeping; the zero value means no view
// was ever taken, so everything may be changed in place.
type cow struct {
	// epoch counts views taken; ownedAt records, for a release this state
	// created or copied, the epoch it did so in. A release is the state's
	// own (changeable in place) when that epoch is the current one.
	epoch   uint64
	ownedAt map[*Release]uint64
	// halts and budgets report that a view shares the slice or the map.
	halts, budgets bool
}

// View returns a read-only view of s that shares memory with it, at the
// cost of copying the list of release pointers. Later transitions on s do
// not show through the view. Callers that hold a lock over s for reading
// must hold it for writing: View updates s's bookkeeping.
func (s *State) View() *State {
	if s == nil {
		return nil
	}
	s.cow.epoch++
	s.cow.halts, s.cow.budgets = true, true
	n := len(s.Halts)
	v := &State{
		Releases: slices.Clone(s.Releases),
		Halts:    s.Halts[:n:n],
		Budgets:  s.Budgets,
	}
	// Nothing in the view is its own: a transition on it copies first.
	v.cow = cow{epoch: 1, halts: true, budgets: true}
	return v
}

// ownRelease returns the release at index i, copied first when a view may
// share it.
func (s *State) ownRelease(i int) *Release {
	r := s.Releases[i]
	if s.cow.epoch == 0 || s.cow.ownedAt[r] == s.cow.epoch {
		return r
	}
	c := r.clone()
	if s.cow.ownedAt == nil {
		s.cow.ownedAt = map[*Release]uint64{}
	}
	delete(s.cow.ownedAt, r)
	s.cow.ownedAt[c] = s.cow.epoch
	s.Releases[i] = c
	return c
}

// adoptRelease records a release this state just created as its own.
func (s *State) adoptRelease(r *Release) {
	if s.cow.epoch == 0 {
		return
	}
	if s.cow.ownedAt == nil {
		s.cow.ownedAt = map[*Release]uint64{}
	}
	s.cow.ownedAt[r] = s.cow.epoch
}

// ownHalts copies the halts slice when a view may share it, before a halt
// in it is changed or removed.
func (s *State) ownHalts() {
	if s.cow.halts {
		s.Halts = slices.Clone(s.Halts)
		s.cow.halts = false
	}
}

// ownBudgets copies the budgets map when a view may share it.
func (s *State) ownBudgets() {
	if s.cow.budgets {
		s.Budgets = maps.Clone(s.Budgets)
		s.cow.budgets = false
	}
}
