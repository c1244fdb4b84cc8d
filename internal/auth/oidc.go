package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// OIDCConfig configures verification of OpenID Connect ID tokens (JWTs)
// issued by one issuer.
type OIDCConfig struct {
	// Issuer is the issuer URL; its /.well-known/openid-configuration names
	// the key set. Tokens must carry it as "iss".
	Issuer string
	// Audience must appear in the token's "aud".
	Audience string
	// RoleClaim names the claim holding the role: a string, or a list in
	// which exactly one element is a role name (default "ringleader_role").
	RoleClaim string
	// NameClaim names the claim used as the identity's name (default
	// "email", then "sub").
	NameClaim string
	// HTTP fetches discovery and keys (default: 10 s timeout).
	HTTP *http.Client
	// Now is the clock for exp and nbf (default time.Now).
	Now func() time.Time
	// Leeway tolerates clock skew on exp and nbf (default 30 s).
	Leeway time.Duration
}

// ErrBadJWT: the bearer token is a JWT that failed verification.
var ErrBadJWT = errors.New("identity token rejected")

// OIDC verifies ID tokens against the issuer's published keys. Keys are
// fetched at start and again (at most once a minute) when a token names
// a key ID that is not known, so the issuer can rotate keys.
type OIDC struct {
	cfg     OIDCConfig
	jwksURL string

	mu        sync.Mutex
	keys      map[string]crypto.PublicKey
	lastFetch time.Time
}

// NewOIDC reads the issuer's discovery document and key set.
func NewOIDC(ctx context.Context, cfg OIDCConfig) (*OIDC, error) {
	if cfg.Issuer == "" || cfg.Audience == "" {
		return nil, errors.New("oidc: issuer and audience are both required")
	}
	if cfg.RoleClaim == "" {
		cfg.RoleClaim = "ringleader_role"
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Leeway == 0 {
		cfg.Leeway = 30 * time.Second
	}
	o := &OIDC{cfg: cfg}
	var disc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := o.getJSON(ctx, strings.TrimRight(cfg.Issuer, "/")+"/.well-known/openid-configuration", &disc); err != nil {
		return nil, fmt.Errorf("oidc discovery for %s: %w", cfg.Issuer, err)
	}
	if disc.Issuer != cfg.Issuer || disc.JWKSURI == "" {
		return nil, fmt.Errorf("oidc discovery for %s: it names issuer %q and key set %q; want the same issuer and a key set", cfg.Issuer, disc.Issuer, disc.JWKSURI)
	}
	o.jwksURL = disc.JWKSURI
	if err := o.fetchKeys(ctx); err != nil {
		return nil, err
	}
	return o, nil
}

func (o *OIDC) getJSON(ctx context.Context, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := o.cfg.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(v)
}

// jwk is one JSON Web Key (RSA or EC P-256).
type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	N   string `json:"n"`
	E   string `json:"e"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

// fetchKeys replaces the key set with the issuer's current one.
func (o *OIDC) fetchKeys(ctx context.Context) error {
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := o.getJSON(ctx, o.jwksURL, &set); err != nil {
		return fmt.Errorf("oidc key set: %w", err)
	}
	keys := map[string]crypto.PublicKey{}
	for _, k := range set.Keys {
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		if pk, err := k.publicKey(); err == nil {
			keys[k.Kid] = pk
		}
	}
	if len(keys) == 0 {
		return errors.New("oidc key set holds no usable RSA or P-256 signing key")
	}
	o.mu.Lock()
	o.keys, o.lastFetch = keys, o.cfg.Now()
	o.mu.Unlock()
	return nil
}

func b64(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

func (k jwk) publicKey() (crypto.PublicKey, error) {
	switch k.Kty {
	case "RSA":
		n, err1 := b64(k.N)
		e, err2 := b64(k.E)
		if err1 != nil || err2 != nil || len(n) < 256 || len(e) == 0 || len(e) > 4 {
			return nil, errors.New("bad RSA key")
		}
		return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}, nil
	case "EC":
		x, err1 := b64(k.X)
		y, err2 := b64(k.Y)
		if k.Crv != "P-256" || err1 != nil || err2 != nil || len(x) != 32 || len(y) != 32 {
			return nil, errors.New("bad EC key")
		}
		raw := append(append([]byte{4}, x...), y...)
		return ecdsa.ParseUncompressedPublicKey(elliptic.P256(), raw)
	}
	return nil, errors.New("unsupported key type")
}

// key returns the key kid, refetching the set once a minute at most when
// it is unknown.
func (o *OIDC) key(kid string) (crypto.PublicKey, bool) {
	o.mu.Lock()
	k, ok := o.keys[kid]
	stale := o.cfg.Now().Sub(o.lastFetch) > time.Minute
	o.mu.Unlock()
	if ok || !stale {
		return k, ok
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if o.fetchKeys(ctx) != nil {
		return nil, false
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	k, ok = o.keys[kid]
	return k, ok
}

// LooksLikeJWT reports whether token has the three dot-separated parts of
// a compact JWT.
func LooksLikeJWT(token string) bool { return strings.Count(token, ".") == 2 }

// Authenticate verifies an ID token: signature (RS256 or ES256, by a key
// of the issuer), iss, aud, exp and nbf; then maps the role and name
// claims to an Identity. Errors never contain the token.
func (o *OIDC) Authenticate(token string) (Identity, error) {
	if token == "" {
		return Identity{}, ErrNoToken
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return Identity{}, ErrBadToken
	}
	var hdr struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	hb, err := b64(parts[0])
	if err != nil || json.Unmarshal(hb, &hdr) != nil {
		return Identity{}, fmt.Errorf("%w: malformed header", ErrBadJWT)
	}
	sig, err := b64(parts[2])
	if err != nil {
		return Identity{}, fmt.Errorf("%w: malformed signature", ErrBadJWT)
	}
	k, ok := o.key(hdr.Kid)
	if !ok {
		return Identity{}, fmt.Errorf("%w: signed by an unknown key", ErrBadJWT)
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if !verify(hdr.Alg, k, digest[:], sig) {
		return Identity{}, fmt.Errorf("%w: bad signature or algorithm %q (RS256 and ES256 are accepted)", ErrBadJWT, clipErr(hdr.Alg))
	}
	pb, err := b64(parts[1])
	if err != nil {
		return Identity{}, fmt.Errorf("%w: malformed claims", ErrBadJWT)
	}
	var claims map[string]any
	if err := json.Unmarshal(pb, &claims); err != nil {
		return Identity{}, fmt.Errorf("%w: malformed claims", ErrBadJWT)
	}
	return o.identity(claims)
}

// verify checks sig over digest with k for alg.
func verify(alg string, k crypto.PublicKey, digest, sig []byte) bool {
	switch pk := k.(type) {
	case *rsa.PublicKey:
		return alg == "RS256" && rsa.VerifyPKCS1v15(pk, crypto.SHA256, digest, sig) == nil
	case *ecdsa.PublicKey:
		if alg != "ES256" || len(sig) != 64 {
			return false
		}
		r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
		return ecdsa.Verify(pk, digest, r, s)
	}
	return false
}

// identity checks the registered claims and maps the role and name.
func (o *OIDC) identity(c map[string]any) (Identity, error) {
	now := o.cfg.Now()
	if iss, _ := c["iss"].(string); iss != o.cfg.Issuer {
		return Identity{}, fmt.Errorf("%w: issued by another issuer", ErrBadJWT)
	}
	if !audienceHas(c["aud"], o.cfg.Audience) {
		return Identity{}, fmt.Errorf("%w: not issued for audience %s", ErrBadJWT, o.cfg.Audience)
	}
	exp, ok := c["exp"].(float64)
	if !ok || now.After(time.Unix(int64(exp), 0).Add(o.cfg.Leeway)) {
		return Identity{}, fmt.Errorf("%w: expired or without exp", ErrBadJWT)
	}
	if nbf, ok := c["nbf"].(float64); ok && now.Add(o.cfg.Leeway).Before(time.Unix(int64(nbf), 0)) {
		return Identity{}, fmt.Errorf("%w: not valid yet", ErrBadJWT)
	}
	role, err := roleFromClaim(c[o.cfg.RoleClaim])
	if err != nil {
		return Identity{}, fmt.Errorf("%w: claim %s: %w", ErrBadJWT, o.cfg.RoleClaim, err)
	}
	var name string
	for _, k := range []string{o.cfg.NameClaim, "email", "sub"} {
		if v, _ := c[k].(string); k != "" && v != "" {
			name = v
			break
		}
	}
	if !nameRE.MatchString(name) {
		return Identity{}, fmt.Errorf("%w: no usable name claim (letters, digits and . _ + - @ :)", ErrBadJWT)
	}
	return Identity{Name: name, Role: role}, nil
}

func audienceHas(aud any, want string) bool {
	switch v := aud.(type) {
	case string:
		return v == want
	case []any:
		return slices.ContainsFunc(v, func(x any) bool { s, _ := x.(string); return s == want })
	}
	return false
}

// roleFromClaim reads a role from a string or a list with exactly one role.
func roleFromClaim(v any) (Role, error) {
	var found []Role
	switch x := v.(type) {
	case string:
		if r, err := ParseRole(x); err == nil {
			found = append(found, r)
		}
	case []any:
		for _, e := range x {
			if s, ok := e.(string); ok {
				if r, err := ParseRole(s); err == nil && !slices.Contains(found, r) {
					found = append(found, r)
				}
			}
		}
	}
	if len(found) != 1 {
		return "", fmt.Errorf("want exactly one of %s, found %d", roleList(Roles), len(found))
	}
	return found[0], nil
}

func clipErr(s string) string {
	if len(s) > 16 {
		return s[:16]
	}
	return s
}

// Chain authenticates with the first authenticator that fits the token:
// JWTs go to OIDC when it is configured, everything else to the tokens
// file.
type Chain struct {
	Tokens interface {
		Authenticate(string) (Identity, error)
	}
	OIDC *OIDC
}

// Authenticate implements the coordinator's Authenticator.
func (c Chain) Authenticate(token string) (Identity, error) {
	if token == "" {
		return Identity{}, ErrNoToken
	}
	if c.OIDC != nil && LooksLikeJWT(token) {
		return c.OIDC.Authenticate(token)
	}
	if c.Tokens == nil {
		return Identity{}, ErrBadToken
	}
	return c.Tokens.Authenticate(token)
}
