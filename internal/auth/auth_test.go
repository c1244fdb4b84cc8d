package auth

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRoleGrants(t *testing.T) {
	t.Parallel()
	// The role matrix, row by row: which permissions each role holds.
	want := map[Role][]Permission{
		RoleViewer:            {PermRead, PermHealth, PermMetrics},
		RoleReleaser:          {PermRead, PermHealth, PermMetrics, PermRelease},
		RoleApprover:          {PermRead, PermHealth, PermMetrics, PermApprove},
		RoleIncidentCommander: {PermRead, PermHealth, PermMetrics, PermHalt},
		RoleAdmin:             {PermRead, PermHealth, PermMetrics, PermRelease, PermApprove, PermHalt, PermAdmin},
	}
	all := []Permission{PermRead, PermHealth, PermMetrics, PermRelease, PermApprove, PermHalt, PermAdmin}
	for _, r := range Roles {
		for _, p := range all {
			t.Run(string(r)+"/"+string(p), func(t *testing.T) {
				exp := false
				for _, q := range want[r] {
					exp = exp || q == p
				}
				if got := r.Grants(p); got != exp {
					t.Errorf("%s.Grants(%s) = %v, want %v", r, p, got, exp)
				}
			})
		}
	}
	if got := Describe(PermHalt); got != "incident-commander or admin" {
		t.Errorf("Describe(halt) = %q", got)
	}
	if Role("root").Grants(PermAuthenticated) {
		t.Error("an unknown role holds PermAuthenticated")
	}
}

func entryYAML(name, role, hash string) string {
	return fmt.Sprintf("  - {name: %s, role: %s, sha256: %s}\n", name, role, hash)
}

func TestParseRejectsBadFiles(t *testing.T) {
	t.Parallel()
	good := HashSHA256("t1")
	cases := []struct {
		name, src, want string
	}{
		{"empty", "tokens: []\n", "lists no tokens"},
		{"not yaml", "tokens: [", "not valid YAML"},
		{"plaintext field", "tokens:\n  - {name: a, role: admin, token: hunter2}\n", "not valid YAML"},
		{"unknown role", "tokens:\n" + entryYAML("a", "root", good), `role "root" is unknown`},
		{"bad name", "tokens:\n" + entryYAML("'a b'", "admin", good), "name is missing or not valid"},
		{"short hash", "tokens:\n" + entryYAML("a", "admin", "abc"), "64 hex digits"},
		{"no hash", "tokens:\n  - {name: a, role: admin}\n", "no hash"},
		{"both hashes", "tokens:\n  - {name: a, role: admin, sha256: " + good + ", argon2id: x}\n", "not both"},
		{"bad argon", "tokens:\n  - {name: a, role: admin, argon2id: \"$argon2i$v=19$x\"}\n", "argon2id must look like"},
		{"duplicate name", "tokens:\n" + entryYAML("a", "admin", good) + entryYAML("a", "viewer", HashSHA256("t2")), "appears twice"},
		{"duplicate hash", "tokens:\n" + entryYAML("a", "admin", good) + entryYAML("b", "viewer", good), "listed twice"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.src))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Parse = %v; want an error containing %q", err, c.want)
			}
			if err != nil && strings.Contains(err.Error(), "hunter2") {
				t.Errorf("the error repeats a secret: %v", err)
			}
		})
	}
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	src := "tokens:\n" + entryYAML("ian", "incident-commander", HashSHA256("tok-ian")) +
		fmt.Sprintf("  - {name: ada, role: admin, argon2id: %q}\n", HashArgon2id("tok-ada", []byte("saltsalt1234")))
	s, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		token   string
		want    Identity
		wantErr error
	}{
		{"tok-ian", Identity{Name: "ian", Role: RoleIncidentCommander}, nil},
		{"tok-ada", Identity{Name: "ada", Role: RoleAdmin}, nil},
		{"tok-ada", Identity{Name: "ada", Role: RoleAdmin}, nil}, // cached
		{"tok-ia", Identity{}, ErrBadToken},
		{"", Identity{}, ErrNoToken},
	}
	for _, c := range cases {
		got, err := s.Authenticate(c.token)
		if got != c.want || !errors.Is(err, c.wantErr) {
			t.Errorf("Authenticate(%q) = %v, %v; want %v, %v", c.token, got, err, c.want, c.wantErr)
		}
		if err != nil && c.token != "" && strings.Contains(err.Error(), c.token) {
			t.Errorf("the error carries the token: %v", err)
		}
	}
}

func TestLimiterPerKey(t *testing.T) {
	t.Parallel()
	l := NewLimiter(1, 2)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	steps := []struct {
		key  string
		at   time.Duration
		ok   bool
		wait time.Duration
	}{
		{"rex", 0, true, 0},
		{"rex", 0, true, 0},
		{"rex", 0, false, time.Second},
		{"ian", 0, true, 0}, // another identity has its own bucket
		{"rex", 500 * time.Millisecond, false, 500 * time.Millisecond},
		{"rex", time.Second, true, 0},
	}
	for i, s := range steps {
		ok, wait := l.Allow(s.key, t0.Add(s.at))
		if ok != s.ok || wait != s.wait {
			t.Errorf("step %d: Allow(%s) = %v, %s; want %v, %s", i, s.key, ok, wait, s.ok, s.wait)
		}
	}
	if ok, _ := NewLimiter(-1, 1).Allow("x", t0); !ok {
		t.Error("a disabled limiter refused")
	}
}

func TestReloaderKeepsLastGoodSet(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "tokens.yaml")
	write := func(s string) {
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("tokens:\n" + entryYAML("ada", "admin", HashSHA256("a")))
	r, err := NewReloader(p, time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	if changed, err := r.Check(); changed || err != nil {
		t.Errorf("Check of an unchanged file = %v, %v", changed, err)
	}
	write("tokens: [")
	if changed, err := r.Check(); changed || err == nil {
		t.Errorf("Check of a broken file = %v, %v; want an error", changed, err)
	}
	if id, err := r.Authenticate("a"); err != nil || id.Name != "ada" {
		t.Errorf("after a bad reload Authenticate = %v, %v; want ada", id, err)
	}
	write("tokens:\n" + entryYAML("vera", "viewer", HashSHA256("v")))
	if changed, err := r.Check(); !changed || err != nil {
		t.Errorf("Check of a new good file = %v, %v", changed, err)
	}
	if _, err := r.Authenticate("a"); !errors.Is(err, ErrBadToken) {
		t.Errorf("a removed token still works: %v", err)
	}
	if _, err := NewReloader(filepath.Join(t.TempDir(), "missing"), time.Second, nil); err == nil {
		t.Error("NewReloader accepted a missing file")
	}
}
