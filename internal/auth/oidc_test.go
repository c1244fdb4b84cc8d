package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// testIssuer is an OIDC issuer over real HTTP serving a key set that the
// test can rotate.
type testIssuer struct {
	srv  *httptest.Server
	mu   sync.Mutex
	keys []map[string]string
}

func newTestIssuer(t *testing.T) *testIssuer {
	t.Helper()
	ti := &testIssuer{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": ti.srv.URL, "jwks_uri": ti.srv.URL + "/keys"})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, _ *http.Request) {
		ti.mu.Lock()
		defer ti.mu.Unlock()
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": ti.keys})
	})
	ti.srv = httptest.NewServer(mux)
	t.Cleanup(ti.srv.Close)
	return ti
}

func enc(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func (ti *testIssuer) addEC(kid string, k *ecdsa.PrivateKey) {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	x, y := k.X.FillBytes(make([]byte, 32)), k.Y.FillBytes(make([]byte, 32))
	ti.keys = append(ti.keys, map[string]string{"kty": "EC", "crv": "P-256", "kid": kid, "use": "sig", "x": enc(x), "y": enc(y)})
}

func (ti *testIssuer) addRSA(kid string, k *rsa.PrivateKey) {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	ti.keys = append(ti.keys, map[string]string{"kty": "RSA", "kid": kid, "n": enc(k.N.Bytes()), "e": enc(big.NewInt(int64(k.E)).Bytes())})
}

// sign makes a compact JWT with alg over claims.
func sign(t *testing.T, alg, kid string, key crypto.Signer, claims map[string]any) string {
	t.Helper()
	h, _ := json.Marshal(map[string]string{"alg": alg, "kid": kid, "typ": "JWT"})
	c, _ := json.Marshal(claims)
	in := enc(h) + "." + enc(c)
	d := sha256.Sum256([]byte(in))
	var sig []byte
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		r, s, err := ecdsa.Sign(rand.Reader, k, d[:])
		if err != nil {
			t.Fatal(err)
		}
		sig = append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
	case *rsa.PrivateKey:
		var err error
		if sig, err = rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, d[:]); err != nil {
			t.Fatal(err)
		}
	}
	return in + "." + enc(sig)
}

func TestOIDCVerifiesIDTokens(t *testing.T) {
	ti := newTestIssuer(t)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ti.addEC("ec1", ec)
	ti.addRSA("rsa1", rk)
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	o, err := NewOIDC(t.Context(), OIDCConfig{Issuer: ti.srv.URL, Audience: "ringleader", Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	claims := func(mod func(map[string]any)) map[string]any {
		c := map[string]any{"iss": ti.srv.URL, "aud": "ringleader", "exp": now.Add(time.Hour).Unix(), "email": "ian@example.com", "ringleader_role": "incident-commander"}
		if mod != nil {
			mod(c)
		}
		return c
	}
	ian := Identity{Name: "ian@example.com", Role: RoleIncidentCommander}
	cases := []struct {
		name  string
		token string
		want  Identity
	}{
		{"ES256", sign(t, "ES256", "ec1", ec, claims(nil)), ian},
		{"RS256", sign(t, "RS256", "rsa1", rk, claims(nil)), ian},
		{"aud list and role list", sign(t, "ES256", "ec1", ec, claims(func(c map[string]any) {
			c["aud"] = []string{"x", "ringleader"}
			c["ringleader_role"] = []string{"staff", "incident-commander"}
		})), ian},
		{"expired", sign(t, "ES256", "ec1", ec, claims(func(c map[string]any) { c["exp"] = now.Add(-time.Hour).Unix() })), Identity{}},
		{"no exp", sign(t, "ES256", "ec1", ec, claims(func(c map[string]any) { delete(c, "exp") })), Identity{}},
		{"not yet", sign(t, "ES256", "ec1", ec, claims(func(c map[string]any) { c["nbf"] = now.Add(time.Hour).Unix() })), Identity{}},
		{"other issuer", sign(t, "ES256", "ec1", ec, claims(func(c map[string]any) { c["iss"] = "https://evil" })), Identity{}},
		{"other audience", sign(t, "ES256", "ec1", ec, claims(func(c map[string]any) { c["aud"] = "other" })), Identity{}},
		{"two roles", sign(t, "ES256", "ec1", ec, claims(func(c map[string]any) { c["ringleader_role"] = []string{"admin", "viewer"} })), Identity{}},
		{"no role", sign(t, "ES256", "ec1", ec, claims(func(c map[string]any) { delete(c, "ringleader_role") })), Identity{}},
		{"foreign key", sign(t, "ES256", "ec1", other, claims(nil)), Identity{}},
		{"alg mismatch", sign(t, "RS256", "ec1", rk, claims(nil)), Identity{}},
		{"alg none", func() string {
			s := sign(t, "ES256", "ec1", ec, claims(nil))
			h, _ := json.Marshal(map[string]string{"alg": "none", "kid": "ec1"})
			p := strings.Split(s, ".")
			return enc(h) + "." + p[1] + "."
		}(), Identity{}},
		{"tampered claims", func() string {
			p := strings.Split(sign(t, "ES256", "ec1", ec, claims(nil)), ".")
			c, _ := json.Marshal(claims(func(c map[string]any) { c["ringleader_role"] = "admin" }))
			return p[0] + "." + enc(c) + "." + p[2]
		}(), Identity{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := o.Authenticate(c.token)
			if got != c.want {
				t.Errorf("Authenticate = %v, %v; want %v", got, err, c.want)
			}
			if c.want == (Identity{}) && !errors.Is(err, ErrBadJWT) {
				t.Errorf("error = %v; want ErrBadJWT", err)
			}
			if err != nil && strings.Contains(err.Error(), c.token) {
				t.Error("the error carries the token")
			}
		})
	}

	// Rotation: a token signed by a new key is accepted once the issuer
	// publishes it (the set is fetched again, at most once a minute).
	newKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ti.addEC("ec2", newKey)
	rotated := sign(t, "ES256", "ec2", newKey, claims(nil))
	if _, err := o.Authenticate(rotated); err == nil {
		t.Error("a key published seconds after the last fetch was used without waiting")
	}
	now = now.Add(2 * time.Minute)
	if got, err := o.Authenticate(rotated); got != ian {
		t.Errorf("after rotation Authenticate = %v, %v; want %v", got, err, ian)
	}

	chain := Chain{OIDC: o}
	if _, err := chain.Authenticate("plain-token"); !errors.Is(err, ErrBadToken) {
		t.Errorf("chain without a tokens file on a plain token = %v; want ErrBadToken", err)
	}
}
