package store

import (
	"errors"
	"fmt"

	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/rings"
)

// ErrLeadershipLost means the leader lost its leadership while the command
// was in flight: it may or may not have been committed. Resolve it by
// sending the same command with the same RequestID to the new leader: a
// committed one is not applied twice and returns its first result. Never
// retry with a fresh RequestID.
var ErrLeadershipLost = errors.New("leadership lost while committing (the command may have been applied)")

// stateError is a refusal by the state machine. Its message is the
// processor's; errors.Is matches both the coordinator sentinel (kind) and
// whatever the cause wraps (a rings sentinel).
type stateError struct {
	kind  error // ErrInvalid, ErrNotFound or ErrConflict
	cause error
}

func (e *stateError) Error() string   { return e.cause.Error() }
func (e *stateError) Unwrap() []error { return []error{e.kind, e.cause} }

// remembered is an error message restored from the request log, still
// wrapping the rings sentinel of the original.
type remembered struct {
	msg      string
	sentinel error
}

func (e *remembered) Error() string { return e.msg }
func (e *remembered) Unwrap() error { return e.sentinel }

// invalidf returns an error wrapping ErrInvalid with a formatted message.
func invalidf(format string, args ...any) error {
	return &stateError{kind: command.ErrInvalid, cause: fmt.Errorf(format, args...)}
}

// mapRingsError maps a rings transition error to the coordinator's
// sentinels, keeping the rings one: ErrNotFound → ErrNotFound,
// ErrTransition → ErrInvalid, ErrConflict → ErrConflict. Errors that already
// carry a coordinator sentinel pass through; anything else is ErrInvalid.
func mapRingsError(err error) error {
	var se *stateError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &se):
		return err
	case errors.Is(err, rings.ErrNotFound):
		return &stateError{kind: command.ErrNotFound, cause: err}
	case errors.Is(err, rings.ErrConflict):
		return &stateError{kind: command.ErrConflict, cause: err}
	default:
		return &stateError{kind: command.ErrInvalid, cause: err}
	}
}
