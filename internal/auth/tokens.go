package auth

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"
	"gopkg.in/yaml.v3"
)

// Sentinel errors of token checks. Neither ever carries the token.
var (
	// ErrNoToken: the request carried no bearer token.
	ErrNoToken = errors.New("no bearer token")
	// ErrBadToken: the token matches no identity in the tokens file.
	ErrBadToken = errors.New("token not recognised")
)

// File is the tokens file: a list of identities with the hash of each
// identity's token. The token itself is never stored.
//
//	tokens:
//	  - name: ian
//	    role: incident-commander
//	    sha256: 9f86d0...   # hex SHA-256 of the token
//	  - name: ada
//	    role: admin
//	    argon2id: $argon2id$v=19$m=65536,t=1,p=2$<salt b64>$<hash b64>
type File struct {
	Tokens []FileEntry `yaml:"tokens"`
}

// FileEntry is one identity; exactly one of SHA256 and Argon2id is set.
type FileEntry struct {
	Name     string `yaml:"name"`
	Role     string `yaml:"role"`
	SHA256   string `yaml:"sha256,omitempty"`
	Argon2id string `yaml:"argon2id,omitempty"`
}

// nameRE bounds identity names (they appear in the audit trail).
var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+\-@:]{0,99}$`)

// entry is one parsed identity.
type entry struct {
	id     Identity
	sha    []byte // 32 bytes, or nil
	argon  *argonHash
	argonN string // the argon2id string, for duplicate checks
}

// argonHash is a parsed $argon2id$ string.
type argonHash struct {
	time, memory uint32
	threads      uint8
	salt, key    []byte
}

// Set is an immutable set of identities. Authenticate compares hashes in
// constant time. Safe for concurrent use.
type Set struct {
	entries []entry
	// argonMu serialises argon2id checks (each costs memory and CPU), so a
	// flood of bad tokens cannot exhaust the node; argonOK caches tokens
	// already verified, by their SHA-256, under cacheMu, so a verified
	// token never waits behind someone else's check.
	argonMu sync.Mutex
	cacheMu sync.RWMutex
	argonOK map[[32]byte]int
}

// Parse reads and validates a tokens file. Errors name the entry by its
// position and name, never a hash or token.
func Parse(src []byte) (*Set, error) {
	var f File
	dec := yaml.NewDecoder(bytes.NewReader(src))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("tokens file is not valid YAML of the form tokens: [{name, role, sha256}]: %w", err)
	}
	if len(f.Tokens) == 0 {
		return nil, errors.New("tokens file lists no tokens: add at least one {name, role, sha256} entry")
	}
	s := &Set{argonOK: map[[32]byte]int{}}
	var errs []error
	names := map[string]bool{}
	hashes := map[string]bool{}
	for i, fe := range f.Tokens {
		e, err := parseEntry(fe)
		if err != nil {
			errs = append(errs, fmt.Errorf("tokens[%d] (%s): %w", i, safeName(fe.Name), err))
			continue
		}
		if names[e.id.Name] {
			errs = append(errs, fmt.Errorf("tokens[%d]: name %q appears twice: names must be unique", i, e.id.Name))
		}
		key := hex.EncodeToString(e.sha) + e.argonN
		if hashes[key] {
			errs = append(errs, fmt.Errorf("tokens[%d] (%s): the same token hash is listed twice: give each identity its own token", i, e.id.Name))
		}
		names[e.id.Name], hashes[key] = true, true
		s.entries = append(s.entries, e)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return s, nil
}

// safeName shows a name in an error only when it is a valid name.
func safeName(n string) string {
	if nameRE.MatchString(n) {
		return n
	}
	return "unnamed"
}

func parseEntry(fe FileEntry) (entry, error) {
	var e entry
	if !nameRE.MatchString(fe.Name) {
		return e, errors.New("name is missing or not valid: use letters, digits and . _ + - @ : (at most 100)")
	}
	role, err := ParseRole(fe.Role)
	if err != nil {
		return e, err
	}
	e.id = Identity{Name: fe.Name, Role: role}
	switch {
	case fe.SHA256 != "" && fe.Argon2id != "":
		return e, errors.New("set sha256 or argon2id, not both")
	case fe.SHA256 != "":
		b, err := hex.DecodeString(strings.ToLower(strings.TrimSpace(fe.SHA256)))
		if err != nil || len(b) != sha256.Size {
			return e, errors.New("sha256 must be 64 hex digits: the SHA-256 of the token (printf %s \"$TOKEN\" | sha256sum)")
		}
		e.sha = b
	case fe.Argon2id != "":
		h, err := parseArgon(fe.Argon2id)
		if err != nil {
			return e, err
		}
		e.argon, e.argonN = h, fe.Argon2id
	default:
		return e, errors.New("no hash: set sha256 (hex SHA-256 of the token) or argon2id")
	}
	return e, nil
}

// parseArgon parses "$argon2id$v=19$m=<KiB>,t=<n>,p=<n>$<salt>$<key>" with
// unpadded standard base64 salt and key.
func parseArgon(s string) (*argonHash, error) {
	bad := errors.New("argon2id must look like $argon2id$v=19$m=65536,t=1,p=2$<salt base64>$<hash base64>")
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != "v=19" {
		return nil, bad
	}
	var h argonHash
	var p uint32
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &h.memory, &h.time, &p); err != nil {
		return nil, bad
	}
	if h.memory < 8 || h.memory > 1<<20 || h.time < 1 || h.time > 16 || p < 1 || p > 16 {
		return nil, errors.New("argon2id parameters out of range: m 8..1048576 KiB, t 1..16, p 1..16")
	}
	h.threads = uint8(p)
	var err error
	if h.salt, err = base64.RawStdEncoding.DecodeString(parts[4]); err != nil || len(h.salt) < 8 {
		return nil, bad
	}
	if h.key, err = base64.RawStdEncoding.DecodeString(parts[5]); err != nil || len(h.key) < 16 {
		return nil, bad
	}
	return &h, nil
}

// Len is the number of identities.
func (s *Set) Len() int { return len(s.entries) }

// Authenticate returns the identity whose hash matches token. Every SHA-256
// entry is compared, in constant time, whatever matched first.
func (s *Set) Authenticate(token string) (Identity, error) {
	if token == "" {
		return Identity{}, ErrNoToken
	}
	sum := sha256.Sum256([]byte(token))
	found := -1
	for i, e := range s.entries {
		if e.sha != nil && subtle.ConstantTimeCompare(sum[:], e.sha) == 1 && found < 0 {
			found = i
		}
	}
	if found >= 0 {
		return s.entries[found].id, nil
	}
	if i := s.checkArgon(token, sum); i >= 0 {
		return s.entries[i].id, nil
	}
	return Identity{}, ErrBadToken
}

// checkArgon verifies token against the argon2id entries, one check at a
// time, caching successes by the token's SHA-256.
func (s *Set) checkArgon(token string, sum [32]byte) int {
	s.cacheMu.RLock()
	i, ok := s.argonOK[sum]
	s.cacheMu.RUnlock()
	if ok {
		return i
	}
	s.argonMu.Lock()
	defer s.argonMu.Unlock()
	for i, e := range s.entries {
		if e.argon == nil {
			continue
		}
		k := argon2.IDKey([]byte(token), e.argon.salt, e.argon.time, e.argon.memory, e.argon.threads, uint32(len(e.argon.key)))
		if subtle.ConstantTimeCompare(k, e.argon.key) == 1 {
			s.cacheMu.Lock()
			s.argonOK[sum] = i
			s.cacheMu.Unlock()
			return i
		}
	}
	return -1
}

// HashSHA256 returns the hex SHA-256 of token, as the tokens file wants it.
func HashSHA256(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// HashArgon2id returns an argon2id string for token with the given salt
// (at least 8 bytes) and modest parameters (64 MiB, 1 pass, 2 lanes).
func HashArgon2id(token string, salt []byte) string {
	const m, t, p = 64 * 1024, 1, 2
	k := argon2.IDKey([]byte(token), salt, t, m, p, 32)
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", m, t, p,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(k))
}
