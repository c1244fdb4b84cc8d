package coordinator

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/coordinator/command"
)

// audit answers GET /v1/audit[?actor=][&type=][&since=][&until=][&limit=].
// since and until are RFC 3339 times; limit keeps the most recent entries.
func (a *API) audit(w http.ResponseWriter, r *http.Request) {
	q, err := parseAuditQuery(r.URL.Query())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, apiclient.AuditList{Entries: a.cfg.Store.Audit(q)})
}

// parseAuditQuery validates the filters of GET /v1/audit.
func parseAuditQuery(v url.Values) (apiclient.AuditQuery, error) {
	var q apiclient.AuditQuery
	if s := v.Get("actor"); s != "" {
		if err := checkName("actor", s); err != nil {
			return q, err
		}
		q.Actor = s
	}
	if s := v.Get("type"); s != "" {
		if err := checkName("type", s); err != nil {
			return q, err
		}
		q.Type = command.Type(s)
	}
	for _, f := range []struct {
		name string
		out  *time.Time
	}{{"since", &q.Since}, {"until", &q.Until}} {
		if s := v.Get(f.name); s != "" {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				return q, badRequestf("%s %q is not an RFC 3339 time such as 2026-11-24T10:00:00Z", f.name, clip(s, 40))
			}
			*f.out = t
		}
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > apiclient.MaxAuditLimit {
			return q, badRequestf("limit %q must be a number from 1 to %d", clip(s, 20), apiclient.MaxAuditLimit)
		}
		q.Limit = n
	}
	return q, nil
}

// clip cuts s to at most n bytes, for quoting a caller's value in an error.
func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
