package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/coordinator/store"
	"github.com/ringleader-dev/ringleader/rings"
)

// MaxBodyBytes caps every request body (1 MiB).
const MaxBodyBytes = 1 << 20

// Status codes for state-machine refusals, documented once:
//
//	ErrNotFound (unknown release, halt, ring)          → 404
//	ErrConflict (already approved, halt resumed, ID used) → 409
//	ErrInvalid  (transition not allowed from this state)  → 422
//	ErrNotLeader / leader unknown                          → 503 + Retry-After
//
// (422 is apiclient.StatusInvalidTransition: the client maps it back.)
// errBadRequest marks a request the API rejected before proposing anything.
var errBadRequest = errors.New("bad request")

// badRequestf returns a 400 error with a formatted message.
func badRequestf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errBadRequest}, args...)...)
}

// statusFor maps an error to its HTTP status code.
func statusFor(err error) int {
	switch {
	case errors.Is(err, errBadRequest):
		return http.StatusBadRequest
	case errors.Is(err, command.ErrNotLeader), errors.Is(err, store.ErrLeadershipLost):
		return http.StatusServiceUnavailable
	case errors.Is(err, command.ErrNotFound), errors.Is(err, rings.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, command.ErrConflict), errors.Is(err, rings.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, command.ErrInvalid), errors.Is(err, rings.ErrTransition):
		return apiclient.StatusInvalidTransition
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout
	default:
		return http.StatusInternalServerError
	}
}

// writeJSON writes v with the status code.
func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// writeError writes {"error": "..."}; 503s also carry Retry-After.
func writeError(w http.ResponseWriter, code int, err error) {
	if code == http.StatusServiceUnavailable && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", "1")
	}
	msg := strings.TrimPrefix(err.Error(), errBadRequest.Error()+": ")
	writeJSON(w, code, apiclient.ErrorBody{Error: msg})
}

// fail writes err with the status statusFor picks and logs server faults.
func (a *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := statusFor(err)
	if code == http.StatusServiceUnavailable {
		_, addr := a.cfg.Store.Leader()
		w.Header().Set("Retry-After", "1")
		writeJSON(w, code, apiclient.ErrorBody{Error: err.Error(), Leader: addr})
		return
	}
	if code >= 500 {
		a.cfg.Logger.Error("api request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeError(w, code, err)
}

// decodeChecked decodes the request body as T and checks it: the error is
// the decode's or, for a body that decodes, check's.
func decodeChecked[T any](r *http.Request, check func(T) error) (T, error) {
	var v T
	if err := decode(r, &v); err != nil {
		return v, err
	}
	return v, check(v)
}

// decode reads a JSON body into v: at most MaxBodyBytes, no unknown fields,
// exactly one value.
func decode(r *http.Request, v any) error {
	body := http.MaxBytesReader(nil, r.Body, MaxBodyBytes)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			return badRequestf("request body is larger than %d bytes", MaxBodyBytes)
		case errors.Is(err, io.EOF):
			return badRequestf("request body is empty: send a JSON object")
		default:
			return badRequestf("request body is not valid: %v", err)
		}
	}
	if dec.More() {
		return badRequestf("request body holds more than one JSON value")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return badRequestf("request body has trailing data after the JSON object")
	}
	return nil
}

var (
	// nameRE bounds identifiers in paths and bodies: release and halt IDs,
	// app, ring, region and member names.
	nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+\-@:]{0,199}$`)
	// versionRE bounds release versions (tags, semver, commit hashes).
	versionRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+\-]{0,127}$`)
)

// maxReasonLen bounds free-text reasons; the audit trail clips to the same.
const maxReasonLen = store.MaxReasonLen

func validName(s string) bool { return nameRE.MatchString(s) }

// checkName rejects an empty or malformed identifier.
func checkName(what, s string) error {
	if s == "" {
		return badRequestf("%s is required", what)
	}
	if !validName(s) {
		return badRequestf("%s %q is not valid: use letters, digits and . _ + - @ : (at most 200)", what, s)
	}
	return nil
}

// checkReason rejects a missing (when required) or oversized reason.
func checkReason(reason string, required bool) error {
	if required && strings.TrimSpace(reason) == "" {
		return badRequestf("reason is required: say why, e.g. \"reason\": \"error rate up in canary\"")
	}
	if len(reason) > maxReasonLen {
		return badRequestf("reason is longer than %d characters", maxReasonLen)
	}
	return nil
}

// pathID returns the {id} path value, validated.
func pathID(r *http.Request, what string) (string, error) {
	id := r.PathValue("id")
	if err := checkName(what, id); err != nil {
		return "", err
	}
	return id, nil
}

// randomHex returns n random bytes as hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// newReleaseID is readable: "<app>-<version>-<6 hex>".
func newReleaseID(app, version string) string {
	return app + "-" + version + "-" + randomHex(3)
}

// newHaltID is "halt-<8 hex>".
func newHaltID() string { return "halt-" + randomHex(4) }

// requestID is the RequestID of a command proposed for r: the client's
// Idempotency-Key when it sent a valid one, a random ID otherwise.
func requestID(r *http.Request) string {
	if k := r.Header.Get(apiclient.HeaderIdempotencyKey); k != "" && validName(k) {
		return "api/" + k
	}
	return "api/" + randomHex(8)
}

// propose builds the command envelope for a request and applies it.
func (a *API) propose(r *http.Request, typ command.Type, payload any) (store.ApplyResult, error) {
	raw, err := json.Marshal(payload)
	if err != nil {
		return store.ApplyResult{}, fmt.Errorf("encode %s payload: %w", typ, err)
	}
	cmd := command.Command{
		Version:   command.Version,
		Type:      typ,
		RequestID: requestID(r),
		At:        a.cfg.Clock.Now().UTC(),
		Actor:     identity(r),
		Role:      string(callerOf(r).Role),
		Source:    callerOf(r).Source,
		Payload:   raw,
	}
	ctx, cancel := context.WithTimeout(r.Context(), a.cfg.ApplyTimeout)
	defer cancel()
	res, err := a.cfg.Store.Apply(ctx, cmd)
	if err != nil {
		return res, err
	}
	a.wrote(typ)
	return res, nil
}

// wrote tells ringd a write of type typ committed: OnHaltChange for a
// halt when set, OnWrite otherwise.
func (a *API) wrote(typ command.Type) {
	switch {
	case (typ == command.CmdPlaceHalt || typ == command.CmdResumeHalt) && a.cfg.OnHaltChange != nil:
		a.cfg.OnHaltChange()
	case a.cfg.OnWrite != nil:
		a.cfg.OnWrite()
	}
}

// idAndReason reads the {id} path value (what names it in errors) and a
// required {reason} body, trimmed: the shape of every resume, abort and
// rollback request.
func idAndReason(r *http.Request, what string) (id, reason string, err error) {
	id, req, err := idAndBody(r, what, func(req apiclient.ReasonRequest) error { return checkReason(req.Reason, true) })
	if err != nil {
		return "", "", err
	}
	return id, strings.TrimSpace(req.Reason), nil
}

// idAndBody returns the {id} path value and the JSON body, both checked.
func idAndBody[T any](r *http.Request, what string, check func(T) error) (string, T, error) {
	id, err := pathID(r, what)
	if err != nil {
		var zero T
		return "", zero, err
	}
	req, err := decodeChecked(r, check)
	return id, req, err
}
