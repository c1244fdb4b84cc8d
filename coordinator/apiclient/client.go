package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// Client is a small typed client for the HTTP API, used by ringctl and the
// end-to-end tests. Any node will do as BaseURL: writes are forwarded to
// the leader.
type Client struct {
	// BaseURL is a node's HTTP address ("http://host:port" or "host:port").
	BaseURL string
	// Token, when set, is sent as "Authorization: Bearer <token>".
	Token string
	// Actor, when set, is sent as X-Ringleader-Actor (until tokens carry
	// identities).
	Actor string
	// HTTP is the client used (default: 30 s timeout).
	HTTP *http.Client
}

// APIError is an error answer of the API.
type APIError struct {
	StatusCode int
	Message    string
	// Issues are a rejected topology's line-numbered problems.
	Issues []TopologyIssue
	// Leader is the leader's address when the node named one (503).
	Leader string
}

func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString(e.Message)
	for _, i := range e.Issues {
		if i.Line > 0 {
			fmt.Fprintf(&b, "\n  line %d:%d: %s", i.Line, i.Col, i.Message)
		} else {
			fmt.Fprintf(&b, "\n  %s", i.Message)
		}
	}
	return b.String()
}

// Is lets errors.Is match an APIError with the command sentinels.
func (e *APIError) Is(target error) bool {
	switch target {
	case command.ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case command.ErrConflict:
		return e.StatusCode == http.StatusConflict
	case command.ErrInvalid:
		return e.StatusCode == StatusInvalidTransition || e.StatusCode == http.StatusBadRequest
	case command.ErrNotLeader:
		return e.StatusCode == http.StatusServiceUnavailable
	}
	return false
}

// NewClient returns a client for the node at base.
func NewClient(base, token string) *Client {
	return &Client{BaseURL: base, Token: token, HTTP: &http.Client{Timeout: 30 * time.Second}}
}

// do sends one request; in and out may be nil. A []byte in is sent as is.
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	switch v := in.(type) {
	case nil:
	case []byte:
		body = bytes.NewReader(v)
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, BaseURL(c.BaseURL)+path, body)
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	if c.Actor != "" {
		req.Header.Set(HeaderActor, c.Actor)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w; is ringd running there? set --server or RINGLEADER_ADDR", method, c.BaseURL, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		var eb ErrorBody
		if json.Unmarshal(data, &eb) != nil || eb.Error == "" {
			eb.Error = fmt.Sprintf("%s %s: %s", method, path, resp.Status)
		}
		return &APIError{StatusCode: resp.StatusCode, Message: eb.Error, Issues: eb.Errors, Leader: eb.Leader}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
	}
	return nil
}

// Status returns the cluster and release status.
func (c *Client) Status(ctx context.Context, all bool) (*Status, error) {
	var s Status
	path := "/v1/status"
	if all {
		path += "?all=true"
	}
	return &s, c.do(ctx, http.MethodGet, path, nil, &s)
}

// Releases lists releases, optionally of one app.
func (c *Client) Releases(ctx context.Context, app string) ([]*rings.Release, error) {
	var l ReleaseList
	path := "/v1/releases"
	if app != "" {
		path += "?app=" + url.QueryEscape(app)
	}
	return l.Releases, c.do(ctx, http.MethodGet, path, nil, &l)
}

// Release returns one release and what it waits for.
func (c *Client) Release(ctx context.Context, id string) (*ReleaseDetail, error) {
	var d ReleaseDetail
	return &d, c.do(ctx, http.MethodGet, "/v1/releases/"+url.PathEscape(id), nil, &d)
}

// CreateRelease creates a release; the answer carries its ID.
func (c *Client) CreateRelease(ctx context.Context, req CreateReleaseRequest) (*ReleaseDetail, error) {
	var d ReleaseDetail
	return &d, c.do(ctx, http.MethodPost, "/v1/releases", req, &d)
}

// Approve approves a ring of a release.
func (c *Client) Approve(ctx context.Context, id, ring, reason string) (*ReleaseDetail, error) {
	var d ReleaseDetail
	return &d, c.do(ctx, http.MethodPost, "/v1/releases/"+url.PathEscape(id)+"/approve", ApproveRequest{Ring: ring, Reason: reason}, &d)
}

// Abort aborts a release.
func (c *Client) Abort(ctx context.Context, id, reason string) (*ReleaseDetail, error) {
	var d ReleaseDetail
	return &d, c.do(ctx, http.MethodPost, "/v1/releases/"+url.PathEscape(id)+"/abort", ReasonRequest{Reason: reason}, &d)
}

// Rollback asks for a release to be rolled back.
func (c *Client) Rollback(ctx context.Context, id, reason string) (*ReleaseDetail, error) {
	var d ReleaseDetail
	return &d, c.do(ctx, http.MethodPost, "/v1/releases/"+url.PathEscape(id)+"/rollback", ReasonRequest{Reason: reason}, &d)
}

// SetRisk re-scores a release's risk (nil clears it); reason is required.
func (c *Client) SetRisk(ctx context.Context, id string, risk *topology.DREAD, reason string) (*ReleaseDetail, error) {
	var d ReleaseDetail
	return &d, c.do(ctx, http.MethodPost, "/v1/releases/"+url.PathEscape(id)+"/risk", RiskRequest{Risk: risk, Reason: reason}, &d)
}

// Halts lists halts (only active ones when active is set).
func (c *Client) Halts(ctx context.Context, active bool) ([]rings.Halt, error) {
	var l HaltList
	path := "/v1/halts"
	if active {
		path += "?active=true"
	}
	return l.Halts, c.do(ctx, http.MethodGet, path, nil, &l)
}

// PlaceHalt places a halt.
func (c *Client) PlaceHalt(ctx context.Context, req HaltRequest) (*HaltResponse, error) {
	var h HaltResponse
	return &h, c.do(ctx, http.MethodPost, "/v1/halts", req, &h)
}

// Resume lifts a halt.
func (c *Client) Resume(ctx context.Context, id, reason string) (*HaltResponse, error) {
	var h HaltResponse
	return &h, c.do(ctx, http.MethodPost, "/v1/halts/"+url.PathEscape(id)+"/resume", ReasonRequest{Reason: reason}, &h)
}

// Topology returns the topology in force.
func (c *Client) Topology(ctx context.Context) (*TopologyResponse, error) {
	var t TopologyResponse
	return &t, c.do(ctx, http.MethodGet, "/v1/topology", nil, &t)
}

// AdoptTopology proposes a topology document; path names where it came from.
func (c *Client) AdoptTopology(ctx context.Context, src []byte, path string) (*TopologyResponse, error) {
	var t TopologyResponse
	p := "/v1/topology"
	if path != "" {
		p += "?path=" + url.QueryEscape(path)
	}
	return &t, c.do(ctx, http.MethodPost, p, src, &t)
}

// Members lists the cluster's servers.
func (c *Client) Members(ctx context.Context) ([]Member, error) {
	var l MemberList
	return l.Members, c.do(ctx, http.MethodGet, "/v1/cluster/members", nil, &l)
}

// Leader returns the leader this node knows.
func (c *Client) Leader(ctx context.Context) (*LeaderInfo, error) {
	var li LeaderInfo
	return &li, c.do(ctx, http.MethodGet, "/v1/cluster/leader", nil, &li)
}

// Join adds a server to the cluster.
func (c *Client) Join(ctx context.Context, req JoinRequest) ([]Member, error) {
	var l MemberList
	return l.Members, c.do(ctx, http.MethodPost, "/v1/cluster/join", req, &l)
}

// Remove removes a server from the cluster.
func (c *Client) Remove(ctx context.Context, id string) ([]Member, error) {
	var l MemberList
	return l.Members, c.do(ctx, http.MethodPost, "/v1/cluster/remove", RemoveRequest{ID: id}, &l)
}

// IsRetryable reports whether err is worth retrying unchanged: no leader
// yet, leadership moving, or the node unreachable.
func IsRetryable(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.StatusCode == http.StatusServiceUnavailable || ae.StatusCode == http.StatusGatewayTimeout
	}
	return err != nil
}

// Audit lists audit entries (GET /v1/audit).
func (c *Client) Audit(ctx context.Context, q AuditQuery) (AuditList, error) {
	v := url.Values{}
	if q.Actor != "" {
		v.Set("actor", q.Actor)
	}
	if q.Type != "" {
		v.Set("type", string(q.Type))
	}
	if !q.Since.IsZero() {
		v.Set("since", q.Since.UTC().Format(time.RFC3339))
	}
	if !q.Until.IsZero() {
		v.Set("until", q.Until.UTC().Format(time.RFC3339))
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	path := "/v1/audit"
	if len(v) > 0 {
		path += "?" + v.Encode()
	}
	var out AuditList
	if err := c.do(ctx, http.MethodGet, path, nil, &out); err != nil {
		return out, fmt.Errorf("read audit trail: %w", err)
	}
	return out, nil
}

// BaseURL turns a node's recorded HTTP address ("host:port" or a URL) into
// a base URL without a trailing slash.
func BaseURL(addr string) string {
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	return strings.TrimRight(addr, "/")
}
