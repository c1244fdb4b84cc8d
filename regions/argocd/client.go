package argocd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/argoproj/argo-cd/v2/pkg/apis/application/v1alpha1"

	"github.com/ringleader-dev/ringleader/internal/redact"
)

// Errors a request can end in. Each is wrapped with the application and the
// server (never the token) and each one is failing evidence.
var (
	// ErrUnauthorized: the server answered 401 or 403. The token is missing,
	// wrong, expired, or lacks "applications, get" on the Application (Argo
	// CD also answers 403 for an Application it hides or does not have).
	ErrUnauthorized = errors.New("argocd: unauthorized (check the token)")
	// ErrNotFound: the server answered 404: no Application of that name.
	// Check the region's argocd.application template.
	ErrNotFound = errors.New("argocd: application not found")
	// ErrUnavailable: no usable answer (connection refused, timeout, TLS
	// failure, 5xx, a redirect). Retry later; meanwhile evidence fails.
	ErrUnavailable = errors.New("argocd: server unavailable")
	// ErrBadResponse: the server answered 200 with something that is not
	// the Application asked for.
	ErrBadResponse = errors.New("argocd: unexpected response")
)

// maxBody bounds an Application document (its status lists every managed
// resource, so large apps are large).
const maxBody = 32 << 20

// Client reads Applications from one Argo CD API server. It is safe for
// concurrent use.
type Client struct {
	base      *url.URL
	http      *http.Client
	token     string
	tokenFile string
}

// NewClient validates cfg and returns a client for cfg.Server. Nothing is
// contacted yet.
func NewClient(cfg ClientConfig) (*Client, error) {
	base, err := parseServer(cfg.Server)
	if err != nil {
		return nil, err
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	hc, err := cfg.httpClient()
	if err != nil {
		return nil, err
	}
	return &Client{base: base, http: hc, token: strings.TrimSpace(cfg.Token), tokenFile: cfg.TokenFile}, nil
}

// Server returns the base URL the client talks to.
func (c *Client) Server() string { return c.base.String() }

// Application fetches GET {server}/api/v1/applications/{name}.
func (c *Client) Application(ctx context.Context, name string) (*v1alpha1.Application, error) {
	where := fmt.Sprintf("application %q on %s", name, c.base)
	tok := c.token
	if c.tokenFile != "" {
		t, err := readToken(c.tokenFile)
		if err != nil {
			return nil, fmt.Errorf("%w: %w (for %s)", ErrUnauthorized, err, where)
		}
		tok = t
	}
	u := *c.base
	u.Path = c.base.Path + "/api/v1/applications/" + name
	u.RawPath = c.base.EscapedPath() + "/api/v1/applications/" + url.PathEscape(name)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", where, err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		// url.Error repeats method and URL; keep what went wrong.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return nil, fmt.Errorf("get %s: %w: %w", where, ErrUnavailable, err)
	}
	defer resp.Body.Close()
	body := io.LimitReader(resp.Body, maxBody)
	switch {
	case resp.StatusCode == http.StatusOK:
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return nil, fmt.Errorf("%w: %d on %s%s", ErrUnauthorized, resp.StatusCode, where, serverMessage(body))
	case resp.StatusCode == http.StatusNotFound:
		return nil, fmt.Errorf("%w: %s%s; check the region's argocd.application template", ErrNotFound, where, serverMessage(body))
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return nil, fmt.Errorf("get %s: %w: redirected (%d) to %s; put the final URL in argocd.server", where, ErrUnavailable, resp.StatusCode, redact.URL(resp.Header.Get("Location")))
	default:
		return nil, fmt.Errorf("get %s: %w: status %d%s", where, ErrUnavailable, resp.StatusCode, serverMessage(body))
	}
	var app v1alpha1.Application
	if err := json.NewDecoder(body).Decode(&app); err != nil {
		return nil, fmt.Errorf("get %s: %w: decode Application: %w", where, ErrBadResponse, err)
	}
	if app.Name != name {
		return nil, fmt.Errorf("get %s: %w: the answer is Application %q", where, ErrBadResponse, app.Name)
	}
	return &app, nil
}

// serverMessage extracts the message of an Argo CD (grpc-gateway) error
// body, shortened, as ": message", or "".
func serverMessage(body io.Reader) string {
	b, _ := io.ReadAll(io.LimitReader(body, 4096))
	var e struct {
		Message string `json:"message"`
		Error   string `json:"error"`
	}
	msg := strings.TrimSpace(string(b))
	if json.Unmarshal(b, &e) == nil {
		msg = e.Message
		if msg == "" {
			msg = e.Error
		}
	}
	if msg == "" {
		return ""
	}
	return ": " + clip(msg, 200)
}

// clip shortens s to at most n bytes on one line.
func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n] + "…"
	}
	return s
}
