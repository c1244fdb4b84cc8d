package gitops

import (
	"context"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/ringleader-dev/ringleader/internal/redact"
)

// redactLocation is redact.URL for a "<git url>#<path>" location: the
// fragment is the file's path, not a secret, so it stays.
func redactLocation(s string) string {
	if i := strings.LastIndexByte(s, '#'); i > 0 {
		return redact.URL(s[:i]) + s[i:]
	}
	return redact.URL(s)
}

// ParseTopologyURL splits "<git url>#<path>" into the repository URL and
// the file's path inside it.
func ParseTopologyURL(s string) (repoURL, file string, err error) {
	i := strings.LastIndexByte(s, '#')
	if i <= 0 || i == len(s)-1 {
		return "", "", fmt.Errorf("topology location %q: want <git url>#<path/to/rings.yaml>: %w", redactLocation(s), ErrInvalid)
	}
	repoURL, file = s[:i], strings.TrimPrefix(path.Clean(s[i+1:]), "/")
	if file == "." || strings.HasPrefix(file, "../") {
		return "", "", fmt.Errorf("topology location %q: bad path %q: %w", redactLocation(s), s[i+1:], ErrInvalid)
	}
	return repoURL, file, nil
}

// TopologyConfig configures a TopologySource.
type TopologyConfig struct {
	// Location is "<git url>#<path>".
	Location string
	// Branch to read (default "main").
	Branch string
	// Dir holds the source's own working copy.
	Dir  string
	Auth Auth
	// Interval between fetches in Watch (default 30s).
	Interval time.Duration
}

// TopologySource reads the topology file from Git. It only fetches and
// reads; adopting a new topology (through the Raft log) is the caller's.
type TopologySource struct {
	cfg  TopologyConfig
	file string
	wc   *workingCopy
}

// NewTopologySource opens (or creates) the source's working copy.
func NewTopologySource(cfg TopologyConfig) (*TopologySource, error) {
	repoURL, file, err := ParseTopologyURL(cfg.Location)
	if err != nil {
		return nil, err
	}
	if cfg.Branch == "" {
		cfg.Branch = "main"
	}
	if cfg.Interval <= 0 {
		cfg.Interval = 30 * time.Second
	}
	if cfg.Dir == "" {
		return nil, fmt.Errorf("topology source: working copy directory is empty: %w", ErrInvalid)
	}
	wc, err := openWorkingCopy(cfg.Dir, repoURL, cfg.Branch, cfg.Auth)
	if err != nil {
		return nil, fmt.Errorf("topology source: %w", err)
	}
	return &TopologySource{cfg: cfg, file: file, wc: wc}, nil
}

// Read fetches the branch and returns the topology file's content and the
// head commit it was read at.
func (s *TopologySource) Read(ctx context.Context) (content []byte, revision string, err error) {
	head, err := s.wc.fetch(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("read topology: %w", err)
	}
	if head.IsZero() {
		return nil, "", fmt.Errorf("read topology: branch %s does not exist in %s: %w", s.cfg.Branch, redact.URL(s.wc.url), ErrInvalid)
	}
	tree, err := s.wc.tree(head)
	if err != nil {
		return nil, "", fmt.Errorf("read topology: %w", err)
	}
	b, ok, err := ReadFile(tree, s.file)
	if err != nil {
		return nil, "", fmt.Errorf("read topology: %w", err)
	}
	if !ok {
		return nil, "", fmt.Errorf("read topology: %s does not exist on %s at %s: %w", s.file, s.cfg.Branch, short(head), ErrInvalid)
	}
	return b, head.String(), nil
}

// Watch reads the topology now and then every Interval until ctx ends,
// calling onChange whenever the file's content differs from the last one
// delivered, and onError for failed reads (the last good content stays in
// force with the caller). It returns ctx's error.
func (s *TopologySource) Watch(ctx context.Context, onChange func(content []byte, revision string), onError func(error)) error {
	var last plumbing.Hash
	t := time.NewTicker(s.cfg.Interval)
	defer t.Stop()
	for {
		content, rev, err := s.Read(ctx)
		switch {
		case err != nil:
			if onError != nil && ctx.Err() == nil {
				onError(err)
			}
		default:
			if h := plumbing.ComputeHash(plumbing.BlobObject, content); h != last {
				last = h
				onChange(content, rev)
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
