package auth

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkAuthenticateSHA256 measures a token check against 100
// SHA-256 identities (every entry is compared, the match is the last).
func BenchmarkAuthenticateSHA256(b *testing.B) {
	var src strings.Builder
	src.WriteString("tokens:\n")
	for i := range 100 {
		src.WriteString(entryYAML(fmt.Sprintf("u%d", i), "viewer", HashSHA256(fmt.Sprintf("tok-%d", i))))
	}
	s, err := Parse([]byte(src.String()))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.Authenticate("tok-99"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuthenticateArgon2idMiss measures one argon2id verification
// (a token that is not cached: the cost of each bad token).
func BenchmarkAuthenticateArgon2idMiss(b *testing.B) {
	s, err := Parse(fmt.Appendf(nil, "tokens:\n  - {name: ada, role: admin, argon2id: %q}\n", HashArgon2id("tok-ada", []byte("saltsalt1234"))))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.Authenticate("wrong"); err == nil {
			b.Fatal("accepted a wrong token")
		}
	}
}
