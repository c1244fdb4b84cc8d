package rings

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/ringleader-dev/ringleader/rings/topology"
)

// Answers derived from the state and the topology, shared by the API, the
// leader loop, the metrics and the dashboard: pure functions, time is an
// argument.

// ActiveHalts returns the halts still in force.
func ActiveHalts(s State) []Halt {
	out := []Halt{}
	for _, h := range s.Halts {
		if h.Active() {
			out = append(out, h)
		}
	}
	return out
}

// AutoHaltID names the halt placed when ring of release failed.
func AutoHaltID(releaseID, ring string) string {
	if ring == "" {
		return "halt-auto-" + releaseID
	}
	return "halt-auto-" + releaseID + "-" + ring
}

// SoakRemaining is how long ring rp of release r still has to soak, under
// r's risk tier (0 when its window is over, or when the ring is not in the
// topology).
func SoakRemaining(t *topology.Topology, r *Release, rp RingProgress, now time.Time) time.Duration {
	if t == nil || rp.SoakStartedAt.IsZero() {
		return 0
	}
	i := t.RingIndex(rp.Name)
	if i < 0 {
		return 0
	}
	left := rp.SoakStartedAt.Add(RingSoak(t, r, i)).Sub(now)
	return max(left, 0)
}

// TopologyRevision names a topology document by its content: the first 12
// hex digits of its SHA-256.
func TopologyRevision(src []byte) string {
	sum := sha256.Sum256(src)
	return hex.EncodeToString(sum[:6])
}
