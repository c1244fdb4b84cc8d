package command

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
)

// Why a command was not applied. The state machine returns them (wrapped),
// the HTTP API maps them to status codes and the API client matches its
// error answers against them, so errors.Is works on both sides of the wire.
var (
	// ErrNotLeader: this node is not the leader; forward or retry at the leader.
	ErrNotLeader = errors.New("not the leader")
	// ErrNotFound: the named release, halt or member does not exist.
	ErrNotFound = errors.New("not found")
	// ErrInvalid: the command is malformed or not allowed in the current
	// state (e.g. approving a completed release). Needs a human; retrying
	// the same command will not help.
	ErrInvalid = errors.New("invalid command")
	// ErrConflict: the command contradicts the current state (e.g. resuming
	// an already resumed halt).
	ErrConflict = errors.New("conflict")
)

// New builds a command envelope of type t with payload encoded as JSON.
// The node's Apply fills Version, At and RequestID when they are empty.
func New(t Type, actor string, payload any) (Command, error) {
	data, err := json.Marshal(payload)
	if err != nil {
		return Command{}, fmt.Errorf("encode %s payload: %w", t, err)
	}
	return Command{Version: Version, Type: t, Actor: actor, Payload: data}, nil
}

// NewRequestID returns a random request ID (128 bits, hex).
func NewRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}

// Decode decodes the payload of cmd into a T. An empty or malformed payload
// is an error that matches ErrInvalid.
func Decode[T any](cmd Command) (T, error) {
	var p T
	if len(cmd.Payload) == 0 {
		return p, &invalidPayload{msg: fmt.Sprintf("%s: payload is empty", cmd.Type)}
	}
	if err := json.Unmarshal(cmd.Payload, &p); err != nil {
		return p, &invalidPayload{msg: fmt.Sprintf("%s: decode payload: %v", cmd.Type, err)}
	}
	return p, nil
}

// invalidPayload is Decode's refusal. Its message is what the request log
// records, so it stays exactly the text it always was.
type invalidPayload struct{ msg string }

func (e *invalidPayload) Error() string { return e.msg }
func (e *invalidPayload) Unwrap() error { return ErrInvalid }
