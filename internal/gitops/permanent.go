package gitops

import (
	"errors"
	"fmt"
	"strings"
)

// ErrPermanent marks an error that trying again cannot cure: a target file
// or field that does not exist, a YAML document that does not parse, an
// image or ApplicationSet element that is not there, a push the server
// refused for another reason than the branch having moved. A person must
// change the repository, the topology or the server's rules first. Every
// error not marked with it is transient (a dial error, a timeout, a 5xx,
// compare-and-swap lost MaxAttempts times): the caller retries later.
// Test with errors.Is(err, ErrPermanent).
var ErrPermanent = errors.New("needs a person: trying again cannot succeed")

// ErrRejected means the Git server refused the ref update for a reason
// other than the branch having moved: a protected branch, a pre-receive
// or update hook that declined, a denied ref. It wraps ErrPermanent; the
// error is a *RejectedError with the server's status and hook output.
var ErrRejected = fmt.Errorf("push rejected by the git server: %w", ErrPermanent)

// TargetError is a target that cannot be edited: the file, the region it
// was rendered for, the target (yamlPath, kustomizeImage or
// applicationSetElement and its value), the path inside the file, and why.
// It matches ErrTarget and ErrPermanent with errors.Is.
type TargetError struct {
	File   string
	Region string
	// Target says which target of the app: "yamlPath image.tag".
	Target string
	// Path is where in the file the value was looked for ("image.tag",
	// "images[name=ghcr.io/acme/checkout].newTag"); empty when the file
	// itself is missing.
	Path string
	Err  error
}

func (e *TargetError) Error() string {
	return fmt.Sprintf("file %s (region %s, %s): %v", e.File, e.Region, e.Target, e.Err)
}

// Unwrap lets errors.Is see ErrTarget (and so ErrPermanent) and the cause
// (yamledit.ErrNotFound, appset.ErrInvalid, …).
func (e *TargetError) Unwrap() []error { return []error{ErrTarget, e.Err} }

// errFileMissing is the cause of a TargetError whose file is not on the
// branch.
var errFileMissing = errors.New("file does not exist on the branch")

// RejectedError is a push the server refused: the ref, the server's status
// for it ("pre-receive hook declined") and what the hook printed, if
// anything. It matches ErrRejected and ErrPermanent with errors.Is.
type RejectedError struct {
	URL    string // redacted
	Ref    string
	Status string
	// Remote is the server's side-band output (a hook's message), trimmed
	// and bounded.
	Remote string
}

func (e *RejectedError) Error() string {
	msg := fmt.Sprintf("push to %s: the server refused to update %s: %s", e.URL, e.Ref, e.Status)
	if e.Remote != "" {
		msg += " (server said: " + e.Remote + ")"
	}
	return msg + "; let ringd's identity push to the branch or change the server's rule"
}

// Unwrap lets errors.Is see ErrRejected and ErrPermanent.
func (e *RejectedError) Unwrap() error { return ErrRejected }

// IsPermanent reports whether err needs a person (errors.Is ErrPermanent).
func IsPermanent(err error) bool { return errors.Is(err, ErrPermanent) }

// remoteOutput collects the server's side-band messages (hook output),
// bounded so a chatty hook cannot grow an error without limit.
type remoteOutput struct {
	b strings.Builder
}

const maxRemoteOutput = 1024

func (r *remoteOutput) Write(p []byte) (int, error) {
	if room := maxRemoteOutput - r.b.Len(); room > 0 {
		if len(p) > room {
			r.b.Write(p[:room])
		} else {
			r.b.Write(p)
		}
	}
	return len(p), nil
}

// String returns the messages on one line: "remote: " prefixes and
// progress lines dropped, lines joined with "; ".
func (r *remoteOutput) String() string {
	var lines []string
	for _, l := range strings.FieldsFunc(r.b.String(), func(c rune) bool { return c == '\n' || c == '\r' }) {
		l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "remote:"))
		if l != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "; ")
}
