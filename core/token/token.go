package token

// The client-credentials token endpoint (RFC 6749 §2.3.1, §4.4,
// §5; RFC 9068 access tokens), its JWKS and its tokeninfo endpoint.

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aclgate/aclgate/core/jose"
)

// Defaults of the token endpoint.
const (
	DefaultTTL           = time.Hour
	DefaultTokenPath     = "/oauth/token"
	DefaultJWKSPath      = "/.well-known/jwks.json"
	DefaultTokeninfoPath = "/tokeninfo"
	// DefaultLeeway is the clock skew tokeninfo allows on exp, nbf and iat.
	DefaultLeeway = 30 * time.Second
)

// tokenMaxBody bounds a token request body.
const tokenMaxBody = 64 << 10

// errNoToken: tokeninfo was called without a bearer token.
var errNoToken = errors.New("no bearer token")

// tokenRealm is the realm of the Basic challenge.
const tokenRealm = "aclgate"

// Config configures the token endpoint (Caddy authz_token, Traefik
// tokenEndpoint). Start from DefaultConfig.
type Config struct {
	// Issuer is the "iss" claim, which tokeninfo checks. Empty: no "iss".
	Issuer string
	// Audience is the "aud" claim (an array); omitted when empty.
	Audience []string
	// TTL is the token lifetime, whole seconds (default 1h; zero means the
	// default).
	TTL time.Duration
	// SigningKey is the path of a PEM private key: Ed25519, ECDSA P-256 or
	// RSA of at least 2048 bits. Empty: an ephemeral Ed25519 key is made at
	// start-up and a warning is sent to Warn.
	SigningKey string
	// SigningKeys are further PEM private keys (after SigningKey when both
	// are set). The first key of all signs; every key is published in the
	// JWKS and accepted by tokeninfo, so that tokens signed before a
	// rotation verify until they expire.
	SigningKeys []string
	// KeyID is the "kid" of the first key; default: the RFC 7638
	// thumbprint of the public key.
	KeyID string
	// KeyIDs are the kids of the following keys, in order (after KeyID
	// when both are set); a key without one gets its thumbprint.
	KeyIDs []string
	// MaxFailures is how many failed client authentications an id or an
	// address may make within FailureWindow before it is refused with 429
	// until the window ends (0: DefaultMaxFailures; negative: no limit).
	MaxFailures int
	// FailureWindow is the window of MaxFailures (0: DefaultFailureWindow).
	FailureWindow time.Duration
	// ClientAddr returns the address a request is counted under (nil: the
	// host of RemoteAddr); IPv6 addresses count per /64. X-Forwarded-For is not read: a
	// client sets it as it likes.
	ClientAddr func(r *http.Request) string
	// TokenPath, JWKSPath and TokeninfoPath are the paths served (empty:
	// the defaults).
	TokenPath     string
	JWKSPath      string
	TokeninfoPath string
	// Clients are the registered clients; at least one.
	Clients []Client
	// Warn receives start-up warnings. Optional.
	Warn func(string)
}

// Client is one registered client.
type Client struct {
	// ID is the client_id.
	ID string
	// Secret is the client secret in plain text; SecretSHA256 is the hex
	// SHA-256 digest of it. Exactly one must be set.
	Secret       string
	SecretSHA256 string
	// Scopes the client may request; all of them are granted when it
	// requests none.
	Scopes []string
	// Permissions and Groups go into the token as claims of those names.
	Permissions []string
	Groups      []string
}

// DefaultConfig returns the defaults: a 1h TTL and the default paths.
func DefaultConfig() Config {
	return Config{
		TTL:           DefaultTTL,
		TokenPath:     DefaultTokenPath,
		JWKSPath:      DefaultJWKSPath,
		TokeninfoPath: DefaultTokeninfoPath,
	}
}

// Issuer serves the token endpoint, the JWKS and tokeninfo. It is
// safe for concurrent use.
type Issuer struct {
	issuer    string
	audience  []string
	ttlSecs   int64
	signer    *jose.Signer
	tokenPath string
	jwksPath  string
	infoPath  string
	clients   map[string]*tokenClient
	jwks      []byte
	info      *jose.Verifier
	limiter   *failureLimiter // nil: no brute-force protection
	addr      func(r *http.Request) string
	now       func() time.Time
	// dummy is compared against when the client id is unknown, so that
	// both cases take the same time.
	dummy []byte
}

type tokenClient struct {
	id       string
	digest   []byte
	scopes   []string
	perms    []string
	groups   []string
	scopeSet map[string]bool
}

// NewIssuer validates cfg and builds the issuer. Errors name the
// option and the client id, never a secret.
func NewIssuer(cfg Config) (*Issuer, error) {
	ttl := cfg.TTL
	if ttl == 0 {
		ttl = DefaultTTL
	}
	if ttl < time.Second {
		return nil, errors.New("token: ttl must be at least 1s, got " + ttl.String())
	}
	if ttl%time.Second != 0 {
		// exp and expires_in are whole seconds: refuse rather than truncate
		return nil, errors.New("token: ttl " + strconv.Quote(ttl.String()) + " is not a whole number of seconds (expires_in and exp are in seconds): use, e.g., " + strconv.Quote((ttl / time.Second * time.Second).String()) + " or " + strconv.Quote(((ttl/time.Second + 1) * time.Second).String()))
	}
	t := &Issuer{
		issuer:    cfg.Issuer,
		ttlSecs:   int64(ttl / time.Second),
		tokenPath: tokenOr(cfg.TokenPath, DefaultTokenPath),
		jwksPath:  tokenOr(cfg.JWKSPath, DefaultJWKSPath),
		infoPath:  tokenOr(cfg.TokeninfoPath, DefaultTokeninfoPath),
		clients:   make(map[string]*tokenClient),
		now:       time.Now,
		dummy:     tokenDigest("aclgate unknown client"),
	}
	pathNames := []string{"token_path", "jwks_path", "tokeninfo_path"}
	paths := []string{t.tokenPath, t.jwksPath, t.infoPath}
	for i := 0; i < len(paths); i++ {
		if !strings.HasPrefix(paths[i], "/") {
			return nil, errors.New("token: " + pathNames[i] + " must start with /, got " + strconv.Quote(paths[i]))
		}
		for j := 0; j < i; j++ {
			if paths[i] == paths[j] {
				return nil, errors.New("token: " + pathNames[j] + " and " + pathNames[i] + " are both " + strconv.Quote(paths[i]))
			}
		}
	}
	for i := 0; i < len(cfg.Audience); i++ {
		if cfg.Audience[i] == "" {
			return nil, errors.New("token: audience contains an empty value")
		}
	}
	t.audience = append([]string(nil), cfg.Audience...)

	if len(cfg.Clients) == 0 {
		return nil, errors.New("token: no client configured")
	}
	for i := 0; i < len(cfg.Clients); i++ {
		c, err := tokenNewClient(cfg.Clients[i])
		if err != nil {
			return nil, err
		}
		if _, dup := t.clients[c.id]; dup {
			return nil, errors.New("token: client " + strconv.Quote(c.id) + " is configured twice")
		}
		t.clients[c.id] = c
	}

	signers, err := tokenSigners(&cfg)
	if err != nil {
		return nil, err
	}
	t.signer = signers[0]
	pubs := make([]*jose.Key, 0, len(signers))
	var algs []string
	for i := 0; i < len(signers); i++ {
		pubs = append(pubs, signers[i].Public())
		if !has(algs, signers[i].Algorithm()) {
			algs = append(algs, signers[i].Algorithm())
		}
	}
	t.jwks = jose.JWKSDocument(pubs)
	if err := tokenLimits(t, &cfg); err != nil {
		return nil, err
	}

	// tokeninfo verifies with the issuer's own keys only.
	t.info, err = jose.NewVerifier(context.Background(), jose.Config{
		Keys:       pubs,
		Algorithms: algs,
		Issuer:     cfg.Issuer,
		Leeway:     DefaultLeeway,
		Typ:        "at+jwt",
		Now:        func() time.Time { return t.now() },
	}, nil, nil)
	if err != nil {
		return nil, errors.New("token: " + err.Error())
	}
	return t, nil
}

func tokenOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// tokenNewClient validates one client.
func tokenNewClient(tc Client) (*tokenClient, error) {
	if tc.ID == "" {
		return nil, errors.New("token: a client has an empty id")
	}
	name := "token: client " + strconv.Quote(tc.ID) + ": "
	c := &tokenClient{id: tc.ID, scopeSet: make(map[string]bool)}
	if (tc.Secret == "") == (tc.SecretSHA256 == "") {
		return nil, errors.New(name + "set exactly one of secret and secret_sha256")
	}
	if tc.Secret != "" {
		c.digest = tokenDigest(tc.Secret)
	} else {
		d, err := hex.DecodeString(tc.SecretSHA256)
		if err != nil || len(d) != sha256.Size {
			return nil, errors.New(name + "secret_sha256 must be 64 hexadecimal digits")
		}
		c.digest = d
	}
	for i := 0; i < len(tc.Scopes); i++ {
		s := tc.Scopes[i]
		if !tokenScopeOK(s) {
			return nil, errors.New(name + "invalid scope " + strconv.Quote(s))
		}
		if !c.scopeSet[s] {
			c.scopeSet[s] = true
			c.scopes = append(c.scopes, s)
		}
	}
	for i := 0; i < len(tc.Permissions); i++ {
		if tc.Permissions[i] == "" {
			return nil, errors.New(name + "permissions contains an empty value")
		}
	}
	for i := 0; i < len(tc.Groups); i++ {
		if tc.Groups[i] == "" {
			return nil, errors.New(name + "groups contains an empty value")
		}
	}
	c.perms = append([]string(nil), tc.Permissions...)
	c.groups = append([]string(nil), tc.Groups...)
	return c, nil
}

// tokenScopeOK: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ) (RFC 6749 §3.3).
func tokenScopeOK(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

func tokenDigest(s string) []byte {
	h := sha256.New()
	io.WriteString(h, s)
	return h.Sum(nil)
}

// JWKS returns the published JWKS document.
func (t *Issuer) JWKS() []byte {
	return append([]byte(nil), t.jwks...)
}

// ServeHTTP answers token_path, jwks_path and tokeninfo_path and reports
// true; for any other path it writes nothing and reports false, so that
// the adapter calls the next handler.
func (t *Issuer) ServeHTTP(w http.ResponseWriter, r *http.Request) (handled bool) {
	p := r.URL.Path
	if p == t.tokenPath {
		t.serveToken(w, r)
		return true
	}
	if p == t.jwksPath {
		t.serveJWKS(w, r)
		return true
	}
	if p == t.infoPath {
		t.serveTokeninfo(w, r)
		return true
	}
	return false
}

// tokenJSON writes a JSON answer that no cache may keep.
func tokenJSON(w http.ResponseWriter, status int, body any) {
	b, _ := json.Marshal(body)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	w.Write(b)
}

// tokenError writes an RFC 6749 §5.2 error. A 401 carries the Basic
// challenge (RFC 6749 requires it when the client used the Authorization
// header; RFC 9110 requires a challenge on every 401).
func tokenError(w http.ResponseWriter, status int, code, desc string) {
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="`+tokenRealm+`"`)
	}
	tokenJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

func (t *Issuer) serveToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		tokenError(w, http.StatusMethodNotAllowed, "invalid_request", "the token endpoint accepts POST only")
		return
	}
	addr := ""
	if t.limiter != nil {
		addr = addrKey(t.addr(r))
		if tokenRefused(t, w, "", addr) {
			return
		}
	}
	p, desc := tokenParams(r)
	if desc != "" {
		tokenError(w, http.StatusBadRequest, "invalid_request", desc)
		return
	}
	grant := p["grant_type"]
	if grant == "" {
		tokenError(w, http.StatusBadRequest, "invalid_request", "grant_type is required")
		return
	}
	var id, secret string
	authz := r.Header["Authorization"]
	if len(authz) > 1 {
		tokenError(w, http.StatusBadRequest, "invalid_request", "more than one Authorization header")
		return
	}
	if len(authz) == 1 {
		if p["client_secret"] != "" {
			tokenError(w, http.StatusBadRequest, "invalid_request", "client credentials in both the Authorization header and the body")
			return
		}
		var ok bool
		id, secret, ok = tokenBasic(authz[0])
		if !ok {
			tokenFailed(t, "", addr)
			tokenError(w, http.StatusUnauthorized, "invalid_client", "client authentication failed")
			return
		}
		if p["client_id"] != "" && p["client_id"] != id {
			tokenError(w, http.StatusBadRequest, "invalid_request", "client credentials in both the Authorization header and the body")
			return
		}
	} else {
		id = p["client_id"]
		secret = p["client_secret"]
	}
	if grant != "client_credentials" {
		tokenError(w, http.StatusBadRequest, "unsupported_grant_type", "only client_credentials is supported")
		return
	}
	if t.limiter != nil && t.clients[id] != nil && tokenRefused(t, w, id, addr) {
		return
	}
	c := t.authenticate(id, secret)
	if c == nil {
		tokenFailed(t, id, addr)
		tokenError(w, http.StatusUnauthorized, "invalid_client", "client authentication failed")
		return
	}
	scopes, ok := c.grant(p["scope"])
	if !ok {
		tokenError(w, http.StatusBadRequest, "invalid_scope", "the requested scope is not granted to this client")
		return
	}
	tok, err := t.mint(c, scopes)
	if err != nil {
		tokenError(w, http.StatusInternalServerError, "server_error", "the token could not be issued")
		return
	}
	resp := map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": t.ttlSecs}
	if len(scopes) > 0 {
		resp["scope"] = strings.Join(scopes, " ")
	}
	tokenJSON(w, http.StatusOK, resp)
}

// tokenParams reads the request parameters from a form-encoded or JSON
// body. An empty value counts as omitted (RFC 6749 §3.2). desc is set when
// the request is invalid.
func tokenParams(r *http.Request) (map[string]string, string) {
	ct := r.Header.Get("Content-Type")
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	ct = strings.ToLower(strings.TrimSpace(ct))
	if ct != "application/x-www-form-urlencoded" && ct != "application/json" {
		return nil, "the body must be application/x-www-form-urlencoded or application/json"
	}
	if r.Body == nil {
		return nil, "the request has no body"
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, tokenMaxBody+1))
	if err != nil {
		return nil, "the body could not be read"
	}
	if len(body) > tokenMaxBody {
		return nil, "the body is larger than 64 KiB"
	}
	p := make(map[string]string)
	if ct == "application/json" {
		m, err := jose.DecodeObject(body)
		if err == jose.ErrDuplicateMember {
			return nil, "a parameter is repeated"
		}
		if err != nil {
			return nil, "the body is not a JSON object"
		}
		for k, v := range m {
			s, ok := v.(string)
			if !ok {
				if tokenKnownParam(k) {
					return nil, k + " must be a string"
				}
				continue
			}
			if s != "" {
				p[k] = s
			}
		}
		return p, ""
	}
	vals, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, "the body is not valid form encoding"
	}
	for k, vs := range vals {
		if len(vs) > 1 {
			if tokenKnownParam(k) {
				return nil, k + " is repeated"
			}
			return nil, "a parameter is repeated"
		}
		if vs[0] != "" {
			p[k] = vs[0]
		}
	}
	return p, ""
}

func tokenKnownParam(k string) bool {
	return k == "grant_type" || k == "client_id" || k == "client_secret" || k == "scope"
}

// tokenBasic decodes HTTP Basic client credentials; id and secret are each
// form-urlencoded (RFC 6749 §2.3.1).
func tokenBasic(h string) (id, secret string, ok bool) {
	h = strings.Trim(h, " \t")
	if len(h) < 6 || !strings.EqualFold(h[:6], "basic ") {
		return "", "", false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimLeft(h[6:], " \t"))
	if err != nil {
		return "", "", false
	}
	s := string(raw)
	i := strings.IndexByte(s, ':')
	if i < 0 {
		return "", "", false
	}
	id, err1 := url.QueryUnescape(s[:i])
	secret, err2 := url.QueryUnescape(s[i+1:])
	if err1 != nil || err2 != nil || id == "" {
		return "", "", false
	}
	return id, secret, true
}

// authenticate compares SHA-256 digests in constant time; an unknown id
// costs the same comparison.
func (t *Issuer) authenticate(id, secret string) *tokenClient {
	d := tokenDigest(secret)
	c := t.clients[id]
	if c == nil {
		subtle.ConstantTimeCompare(d, t.dummy)
		return nil
	}
	if subtle.ConstantTimeCompare(d, c.digest) != 1 {
		return nil
	}
	return c
}

// grant returns the scopes to grant: the requested ones (each must be the
// client's), or all the client's when none is requested.
func (c *tokenClient) grant(requested string) ([]string, bool) {
	req := splitScope(requested)
	if len(req) == 0 {
		return c.scopes, true
	}
	out := make([]string, 0, len(req))
	for i := 0; i < len(req); i++ {
		if !c.scopeSet[req[i]] {
			return nil, false
		}
		if !has(out, req[i]) {
			out = append(out, req[i])
		}
	}
	return out, true
}

// mint signs an access token (RFC 9068).
func (t *Issuer) mint(c *tokenClient, scopes []string) (string, error) {
	jti := make([]byte, 16)
	if _, err := rand.Read(jti); err != nil {
		return "", err
	}
	now := t.now().Unix()
	claims := map[string]any{
		"sub":       c.id,
		"client_id": c.id,
		"iat":       now,
		"nbf":       now,
		"exp":       now + t.ttlSecs,
		"jti":       base64.RawURLEncoding.EncodeToString(jti),
	}
	if t.issuer != "" {
		claims["iss"] = t.issuer
	}
	if len(t.audience) > 0 {
		claims["aud"] = t.audience
	}
	if len(scopes) > 0 {
		claims["scope"] = strings.Join(scopes, " ")
	}
	if len(c.perms) > 0 {
		claims["permissions"] = c.perms
	}
	if len(c.groups) > 0 {
		claims["groups"] = c.groups
	}
	return t.signer.Sign(map[string]any{"typ": "at+jwt"}, claims)
}

func (t *Issuer) serveJWKS(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		tokenError(w, http.StatusMethodNotAllowed, "invalid_request", "the JWKS accepts GET only")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "max-age=300")
	h.Set("Content-Length", strconv.Itoa(len(t.jwks)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(t.jwks)
	}
}

// serveTokeninfo answers a bearer token of this issuer with its claims
// (200), anything else with 401 — usable as the authz userinfo_url.
func (t *Issuer) serveTokeninfo(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		tokenError(w, http.StatusMethodNotAllowed, "invalid_request", "tokeninfo accepts GET only")
		return
	}
	tok, present := jose.BearerToken(r.Header)
	var claims map[string]any
	err := errNoToken
	if present {
		claims, err = jose.Verify(t.info, r.Context(), tok)
	}
	if err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		desc := "the access token is invalid or expired"
		if !present {
			desc = "a bearer access token is required"
		}
		tokenJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token", "error_description": desc})
		return
	}
	tokenJSON(w, http.StatusOK, claims)
}

// splitScope splits a scope parameter on spaces (RFC 6749 §3.3), dropping
// empty items.
func splitScope(s string) []string {
	var out []string
	start := -1
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ' ' {
			if start >= 0 {
				out = append(out, s[start:i])
				start = -1
			}
			continue
		}
		if start < 0 {
			start = i
		}
	}
	return out
}

// has reports whether s is one of list.
func has(list []string, s string) bool {
	for i := 0; i < len(list); i++ {
		if list[i] == s {
			return true
		}
	}
	return false
}

// readErrCause is why a file could not be read, without repeating its path.
func readErrCause(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err.Error()
	}
	return err.Error()
}
