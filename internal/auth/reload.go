package auth

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"time"
)

// MaxFileBytes caps the tokens file.
const MaxFileBytes = 1 << 20

// Reloader serves the token set of a file and reloads it when the file's
// content changes. A file that stops parsing keeps the last good set in
// force and logs why; the error never contains a token or hash.
type Reloader struct {
	path     string
	interval time.Duration
	logger   *slog.Logger
	cur      atomic.Pointer[Set]
	// sum is the SHA-256 of the content last looked at (good or bad), so a
	// bad file is reported once, not on every poll.
	sum [32]byte
}

// NewReloader loads path once; an unreadable or invalid file is an error
// (a node does not start without a good token set).
func NewReloader(path string, interval time.Duration, logger *slog.Logger) (*Reloader, error) {
	if logger == nil {
		logger = slog.Default()
	}
	if interval <= 0 {
		interval = 2 * time.Second
	}
	r := &Reloader{path: path, interval: interval, logger: logger}
	src, err := readFile(path)
	if err != nil {
		return nil, err
	}
	s, err := Parse(src)
	if err != nil {
		return nil, fmt.Errorf("tokens file %s: %w", path, err)
	}
	r.cur.Store(s)
	r.sum = sha256.Sum256(src)
	return r, nil
}

func readFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read tokens file: %w", err)
	}
	if fi.Size() > MaxFileBytes {
		return nil, fmt.Errorf("tokens file %s is larger than %d bytes", path, MaxFileBytes)
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read tokens file: %w", err)
	}
	return src, nil
}

// Authenticate checks token against the set in force.
func (r *Reloader) Authenticate(token string) (Identity, error) {
	return r.cur.Load().Authenticate(token)
}

// Current is the set in force.
func (r *Reloader) Current() *Set { return r.cur.Load() }

// Check reads the file once and, when its content changed, swaps in the new
// set. It returns whether a new set is in force and the error of a bad
// file (the previous set stays).
func (r *Reloader) Check() (bool, error) {
	src, err := readFile(r.path)
	if err != nil {
		return false, err
	}
	sum := sha256.Sum256(src)
	if sum == r.sum {
		return false, nil
	}
	r.sum = sum
	s, err := Parse(src)
	if err != nil {
		return false, fmt.Errorf("tokens file %s: %w", r.path, err)
	}
	r.cur.Store(s)
	return true, nil
}

// Run polls the file every interval until ctx ends. Run and Check must not
// be called concurrently.
func (r *Reloader) Run(ctx context.Context) {
	t := time.NewTicker(r.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		changed, err := r.Check()
		switch {
		case err != nil:
			r.logger.Error("tokens file reload failed; the previous tokens stay in force", "err", err)
		case changed:
			r.logger.Info("tokens file reloaded", "path", r.path, "identities", r.Current().Len())
		}
	}
}
