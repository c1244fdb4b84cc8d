package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/e2e/harness"
	"github.com/ringleader-dev/ringleader/rings"
)

// promotions returns the ring.promoted audit entries node n holds.
func (e *env) promotions(n *harness.Node) ([]apiclient.AuditEntry, error) {
	c, cancel := ctx()
	defer cancel()
	l, err := n.Client(e.c.AdminToken).Audit(c, apiclient.AuditQuery{Type: command.CmdPromoted, Limit: apiclient.MaxAuditLimit})
	return l.Entries, err
}

// checkExactlyOnce fails when any node's log holds two promotions of the
// same region of the same release, or two with the same promotion ID.
func (e *env) checkExactlyOnce(t errorfer) {
	t.Helper()
	for _, n := range e.c.Alive() {
		entries, err := e.promotions(n)
		if err != nil {
			t.Errorf("read the audit trail of %s: %v", n.ID, err)
			continue
		}
		seenRegion, seenID := map[string]uint64{}, map[string]uint64{}
		for _, a := range entries {
			id := a.Details["promotion"]
			if prev, dup := seenID[id]; dup && id != "" {
				t.Errorf("%s: promotion %s recorded twice (log index %d and %d)", n.ID, id, prev, a.Index)
			}
			seenID[id] = a.Index
			for _, reg := range strings.Split(a.Details["regions"], ",") {
				k := a.Details["release"] + "/" + reg
				if prev, dup := seenRegion[k]; dup {
					t.Errorf("%s: region %s of release %s promoted twice (log index %d and %d)", n.ID, reg, a.Details["release"], prev, a.Index)
				}
				seenRegion[k] = a.Index
			}
		}
	}
}

// promotedBeyond reports the first ring after first that has a promoted
// region, or "" when none has.
func promotedBeyond(r *rings.Release, first string) string {
	past := false
	for _, p := range r.Rings {
		if past {
			for _, reg := range p.Regions {
				if reg.Promoted() {
					return p.Name
				}
			}
		}
		if p.Name == first {
			past = true
		}
	}
	return ""
}

// haltID parses `ringctl -o json halt …`.
func haltID(t *testing.T, out string) string {
	t.Helper()
	var h struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &h); err != nil || h.ID == "" {
		t.Fatalf("ringctl halt printed no halt ID: %v\n%s", err, out)
	}
	return h.ID
}

// ringctlRetry runs ringctl on any live node until it succeeds.
func (e *env) ringctlRetry(token string, args ...string) string {
	e.t.Helper()
	var out string
	harness.Eventually(e.t, 30*time.Second, "ringctl "+strings.Join(args, " "), func() error {
		var lastErr error = fmt.Errorf("no live node")
		for _, n := range e.c.Alive() {
			o, err := e.c.Ringctl(n, token, args...)
			if err == nil {
				out = o
				return nil
			}
			lastErr = err
		}
		return lastErr
	})
	return out
}

// splitList splits a comma-separated trailer value.
func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// never fails the test if bad returns a non-empty description at any
// sample during d.
func (e *env) never(d time.Duration, what string, bad func() string) {
	e.t.Helper()
	harness.Never(e.t, d, "unexpected: "+what, func() error {
		if s := bad(); s != "" {
			return fmt.Errorf("%s", s)
		}
		return nil
	})
}

// eventually polls until cond returns "" (its last answer says why not).
func (e *env) eventually(d time.Duration, what string, cond func() string) {
	e.t.Helper()
	harness.Eventually(e.t, d, what, func() error {
		if s := cond(); s != "" {
			return fmt.Errorf("%s", s)
		}
		return nil
	})
}

// errorfer is what the checks report violations to: a *testing.T, or the
// chaos run's counter.
type errorfer interface {
	Helper()
	Errorf(format string, args ...any)
}
