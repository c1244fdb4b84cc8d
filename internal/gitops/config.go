package gitops

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"

	"github.com/ringleader-dev/ringleader/internal/redact"
)

// Config configures a Writer. cmd/ringd fills it from flags and the
// environment; Validate normalises it.
type Config struct {
	// URL is the GitOps repository (https://, ssh://, git@host:path or
	// git://).
	URL string
	// Branch promotions are committed to (default "main").
	Branch string
	// Dir is where this node keeps its working copy (a bare clone, created
	// on first use and fetched afterwards).
	Dir string
	// Auth is how to authenticate; empty means anonymous.
	Auth Auth
	// Author and Committer sign the commits (default "Ringleader
	// <ringleader@localhost>").
	Author    Identity
	Committer Identity
	// MaxAttempts bounds push attempts per promotion (default 10).
	MaxAttempts int
	// Backoff is the base of the jittered exponential backoff between
	// attempts (default 50ms, capped at 2s).
	Backoff time.Duration
	// BatchMax and BatchMaxBytes bound one batch commit (PromoteBatch):
	// at most BatchMax promotions (default 500) and, past its first
	// promotion, at most BatchMaxBytes of changed file content (default
	// 4 MiB). A batch beyond either goes out as several commits.
	BatchMax      int
	BatchMaxBytes int
	// Lookback bounds how many commits the exactly-once search walks from
	// the head when it has no index yet (default 10000).
	Lookback int
	// EditApplicationSet edits an Argo CD ApplicationSet for an
	// applicationSetElement target: it sets field of the list element
	// whose key field is keyValue (region us-east-1, cluster use1-prod),
	// adding the field when the element lacks it. cmd/ringd wires
	// appset.Edit (which validates with Argo CD's types); nil uses
	// EditApplicationSetElement, formatting-preserving without that
	// validation.
	EditApplicationSet func(content []byte, key, keyValue, field, value string) ([]byte, error)
	// Now returns the commit time (default time.Now).
	Now func() time.Time
}

// Identity is a commit author or committer.
type Identity struct {
	Name  string
	Email string
}

// Auth holds where credentials come from. Secrets are read from files or
// environment variables when a Writer opens, never logged, and scrubbed
// from every error it returns.
type Auth struct {
	// Username for HTTPS basic auth (token auth: any non-empty name, e.g.
	// "x-access-token").
	Username string
	// PasswordFile / PasswordEnv name where the HTTPS password or token is.
	PasswordFile string
	PasswordEnv  string
	// SSHKeyFile / SSHKeyEnv name where a PEM private key is.
	SSHKeyFile string
	SSHKeyEnv  string
	// SSHKeyPassphraseEnv names where the key's passphrase is, if any.
	SSHKeyPassphraseEnv string
	// SSHUser is the SSH login (default "git").
	SSHUser string
	// SSHKnownHostsFile is checked for host keys; empty uses the default
	// known_hosts files.
	SSHKnownHostsFile string
}

// Validate checks and normalises the configuration.
func (c *Config) Validate() error {
	if strings.TrimSpace(c.URL) == "" {
		return fmt.Errorf("gitops config: repository url is empty: %w", ErrInvalid)
	}
	if _, err := transport.NewEndpoint(c.URL); err != nil {
		return fmt.Errorf("gitops config: repository url %s is not a git url: %w", redact.URL(c.URL), ErrInvalid)
	}
	if c.Dir == "" {
		return fmt.Errorf("gitops config: working copy directory is empty: %w", ErrInvalid)
	}
	if c.Branch == "" {
		c.Branch = "main"
	}
	if c.Author.Name == "" {
		c.Author = Identity{Name: "Ringleader", Email: "ringleader@localhost"}
	}
	if c.Committer.Name == "" {
		c.Committer = c.Author
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = defaultMaxAttempts
	}
	if c.Backoff <= 0 {
		c.Backoff = 50 * time.Millisecond
	}
	if c.BatchMax < 0 || c.BatchMaxBytes < 0 {
		return fmt.Errorf("gitops config: batch bounds must not be negative (max %d promotions, %d bytes): %w", c.BatchMax, c.BatchMaxBytes, ErrInvalid)
	}
	if c.BatchMax == 0 {
		c.BatchMax = DefaultBatchMax
	}
	if c.BatchMaxBytes == 0 {
		c.BatchMaxBytes = DefaultBatchMaxBytes
	}
	if c.Lookback <= 0 {
		c.Lookback = 10000
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

func (id Identity) signature(at time.Time) object.Signature {
	return object.Signature{Name: id.Name, Email: id.Email, When: at}
}

// method resolves the configured credentials into a go-git auth method and
// the list of secret strings to scrub from errors.
func (a Auth) method(repoURL string) (transport.AuthMethod, []string, error) {
	var secrets []string
	if u, err := url.Parse(repoURL); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok && p != "" {
			secrets = append(secrets, p)
		}
	}
	read := func(file, env, what string) (string, error) {
		switch {
		case file != "":
			b, err := os.ReadFile(file)
			if err != nil {
				return "", fmt.Errorf("read %s file %s: %w", what, file, errors.Unwrap(err))
			}
			return strings.TrimRight(string(b), "\r\n"), nil
		case env != "":
			v, ok := os.LookupEnv(env)
			if !ok || v == "" {
				return "", fmt.Errorf("%s: environment variable %s is not set", what, env)
			}
			return v, nil
		}
		return "", nil
	}
	if a.SSHKeyFile != "" || a.SSHKeyEnv != "" {
		key, err := read(a.SSHKeyFile, a.SSHKeyEnv, "ssh key")
		if err != nil {
			return nil, nil, err
		}
		pass, err := read("", a.SSHKeyPassphraseEnv, "ssh key passphrase")
		if err != nil {
			return nil, nil, err
		}
		secrets = append(secrets, key)
		if pass != "" {
			secrets = append(secrets, pass)
		}
		user := a.SSHUser
		if user == "" {
			user = "git"
		}
		pk, err := gitssh.NewPublicKeys(user, []byte(key), pass)
		if err != nil {
			return nil, secrets, errors.New("parse ssh private key: the key is malformed or the passphrase is wrong")
		}
		if a.SSHKnownHostsFile != "" {
			cb, err := gitssh.NewKnownHostsCallback(a.SSHKnownHostsFile)
			if err != nil {
				return nil, secrets, fmt.Errorf("load known hosts %s: %w", a.SSHKnownHostsFile, err)
			}
			pk.HostKeyCallback = cb
		}
		return pk, secrets, nil
	}
	if a.PasswordFile != "" || a.PasswordEnv != "" || a.Username != "" {
		pass, err := read(a.PasswordFile, a.PasswordEnv, "password")
		if err != nil {
			return nil, nil, err
		}
		if pass != "" {
			secrets = append(secrets, pass)
		}
		user := a.Username
		if user == "" {
			user = "x-access-token"
		}
		return &githttp.BasicAuth{Username: user, Password: pass}, secrets, nil
	}
	return nil, secrets, nil
}

// scrubbed wraps an error whose message had secrets removed; errors.Is and
// errors.As still see the original chain.
type scrubbed struct {
	msg string
	err error
}

func (s *scrubbed) Error() string { return s.msg }
func (s *scrubbed) Unwrap() error { return s.err }

// scrub replaces every secret in err's message with REDACTED.
func scrub(err error, secrets []string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	changed := false
	for _, s := range secrets {
		if len(s) >= 4 && strings.Contains(msg, s) {
			msg = strings.ReplaceAll(msg, s, "REDACTED")
			changed = true
		}
	}
	if !changed {
		return err
	}
	return &scrubbed{msg: msg, err: err}
}
