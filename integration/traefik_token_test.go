package integration

// The seed-004 client-credentials flow in a real Traefik v3.6 binary
// (TRAEFIK_BIN), plugin loaded from plugins-local/ with
// abortOnPluginFailure: one aclgate middleware serves the token endpoint
// (tokenEndpoint), its JWKS and tokeninfo, and verifies the tokens it
// issues through jwt.jwksUrl pointing at the same Traefik (fetched lazily,
// after the listener is up). A second middleware plays the Mia flow:
// userinfoUrl = the same Traefik's /tokeninfo.
//
// Three token variants run the same steps, each on an entry point of its
// own: a P-256 signing key (SEC 1 PEM, explicit keyId), an Ed25519 key
// (PKCS #8 PEM, RFC 7638 thumbprint kid) and no signing key (ephemeral
// Ed25519 key, start-up warning).

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// traefikTokenTTL is the tokenEndpoint ttl of every variant.
const traefikTokenTTL = 15 * time.Minute

// traefikTokenAudience is the audience issued and required.
const traefikTokenAudience = "orders-api"

// The two registered clients. billing's secret needs form-urlencoding in
// HTTP Basic (RFC 6749 §2.3.1); ops is configured by its SHA-256 only.
const (
	traefikTokenBillingSecret = "b1ll!ng s3cret:+/=%"
	traefikTokenOpsSecret     = "ops-secret-7f3a"
	traefikTokenWrongSecret   = "wrong-secret-9c1e"
)

// traefikTokenVariant is one token-issuing middleware on its own entry point.
type traefikTokenVariant struct {
	name    string           // entry point, router and middleware name
	keyFile string           // signingKey; "" → ephemeral key
	keyID   string           // keyId; "" → RFC 7638 thumbprint
	alg     string           // expected JWS alg
	pub     crypto.PublicKey // expected public key; nil for the ephemeral key
}

func (v traefikTokenVariant) issuer() string { return "https://issuer.test/" + v.name }

// traefikTokenKeys writes a P-256 key (SEC 1, "EC PRIVATE KEY") and an
// Ed25519 key (PKCS #8, "PRIVATE KEY") to dir and returns the variants.
func traefikTokenKeys(t *testing.T, dir string) []traefikTokenVariant {
	t.Helper()
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, err := x509.MarshalECPrivateKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	ecFile := filepath.Join(dir, "p256.pem")
	if err := os.WriteFile(ecFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: ecDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	edPub, edPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	edDER, err := x509.MarshalPKCS8PrivateKey(edPriv)
	if err != nil {
		t.Fatal(err)
	}
	edFile := filepath.Join(dir, "ed25519.pem")
	if err := os.WriteFile(edFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: edDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return []traefikTokenVariant{
		{name: "p256", keyFile: ecFile, keyID: "p256-key-1", alg: "ES256", pub: &ec.PublicKey},
		{name: "ed25519", keyFile: edFile, alg: "EdDSA", pub: edPub},
		{name: "ephemeral", alg: "EdDSA"},
	}
}

// traefikTokenRules are the inline rules of every middleware of this file.
const traefikTokenRules = `
          rules:
            - method: GET
              path: /orders/
              expression: 'permissions["orders:read"]'
            - method: ALL
              path: /admin/
              expression: groups.admin
            - method: GET
              path: /public/
              expression: "true"
              public: true`

// traefikTokenDynamic is the dynamic configuration: one router and one
// middleware per variant, and the Mia-flow router on entry point "mia"
// whose userinfoUrl is the p256 variant's /tokeninfo.
func traefikTokenDynamic(eps map[string]string, variants []traefikTokenVariant, app string) string {
	opsDigest := sha256.Sum256([]byte(traefikTokenOpsSecret))
	var routers, mws strings.Builder
	for _, v := range variants {
		fmt.Fprintf(&routers, `
    %[1]s:
      rule: PathPrefix(`+"`/`"+`)
      entryPoints: [%[1]s]
      middlewares: [%[1]s]
      service: app`, v.name)
		key := ""
		if v.keyFile != "" {
			key += "\n            signingKey: " + traefikTokenQ(v.keyFile)
		}
		if v.keyID != "" {
			key += "\n            keyId: " + traefikTokenQ(v.keyID)
		}
		fmt.Fprintf(&mws, `
    %[1]s:
      plugin:
        aclgate:
          tokenEndpoint:
            issuer: %[2]s
            audience: [%[3]s]
            ttl: %[4]s%[5]s
            clients:
              - id: billing
                secret: %[6]s
                scopes: [orders.read, orders.write]
                permissions: ["orders:read", "orders:write"]
                groups: [finance, reporting]
              - id: ops
                secretSha256: %[7]s
                scopes: [admin.all]
                permissions: ["admin:all"]
                groups: [admin]
          jwt:
            jwksUrl: %[8]s
            issuer: %[2]s
            audience: [%[3]s]%[9]s`,
			v.name, traefikTokenQ(v.issuer()), traefikTokenQ(traefikTokenAudience), traefikTokenQ(traefikTokenTTL.String()), key,
			traefikTokenQ(traefikTokenBillingSecret), hex.EncodeToString(opsDigest[:]),
			traefikTokenQ("http://"+eps[v.name]+"/.well-known/jwks.json"), traefikTokenRules)
	}
	return fmt.Sprintf(`
http:
  routers:%s
    mia:
      rule: PathPrefix(`+"`/`"+`)
      entryPoints: [mia]
      middlewares: [mia]
      service: app
  middlewares:%s
    mia:
      plugin:
        aclgate:
          userinfoUrl: %s
          userIdKey: sub
          permissionsKey: permissions
          userinfoTimeout: 5s%s
  services:
    app:
      loadBalancer:
        servers:
          - url: %s
`, routers.String(), mws.String(), traefikTokenQ("http://"+eps["p256"]+"/tokeninfo"), traefikTokenRules, app)
}

// traefikTokenQ quotes s as a YAML double-quoted scalar (a JSON string is one).
func traefikTokenQ(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// traefikTokenHTTP makes the test's requests; every call is bounded.
var traefikTokenHTTP = &http.Client{
	Timeout:       15 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// traefikTokenResp is one answer.
type traefikTokenResp struct {
	status int
	header http.Header
	body   []byte
}

func (r traefikTokenResp) String() string {
	return fmt.Sprintf("%d %v %s", r.status, r.header, r.body)
}

// traefikTokenDo sends one request to http://addr+path.
func traefikTokenDo(t *testing.T, method, addr, path string, header map[string]string, body string) traefikTokenResp {
	t.Helper()
	var rb io.Reader
	if body != "" {
		rb = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, "http://"+addr+path, rb)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := traefikTokenHTTP.Do(req)
	if err != nil {
		t.Fatalf("%s %s%s: %v", method, addr, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		t.Fatalf("%s %s%s: reading the body: %v", method, addr, path, err)
	}
	return traefikTokenResp{status: resp.StatusCode, header: resp.Header, body: b}
}

// traefikTokenBasic is RFC 6749 §2.3.1 client authentication: id and
// secret form-urlencoded, then Basic.
func traefikTokenBasic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
}

// traefikTokenPost asks addr's token endpoint for a token. how is "basic"
// (credentials in the Authorization header, grant_type and scope in a
// form body), "form" (everything in a form body) or "json" (everything in
// a JSON body, as in the AWS API Gateway client-credentials flow).
func traefikTokenPost(t *testing.T, addr, how, id, secret, scope string) traefikTokenResp {
	t.Helper()
	switch how {
	case "basic":
		f := url.Values{"grant_type": {"client_credentials"}}
		if scope != "" {
			f.Set("scope", scope)
		}
		return traefikTokenDo(t, "POST", addr, "/oauth/token", map[string]string{
			"Authorization": traefikTokenBasic(id, secret), "Content-Type": "application/x-www-form-urlencoded",
		}, f.Encode())
	case "form":
		f := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}
		if scope != "" {
			f.Set("scope", scope)
		}
		return traefikTokenDo(t, "POST", addr, "/oauth/token", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, f.Encode())
	case "json":
		m := map[string]string{"grant_type": "client_credentials", "client_id": id, "client_secret": secret}
		if scope != "" {
			m["scope"] = scope
		}
		b, _ := json.Marshal(m)
		return traefikTokenDo(t, "POST", addr, "/oauth/token", map[string]string{"Content-Type": "application/json"}, string(b))
	}
	t.Fatalf("unknown client authentication %q", how)
	return traefikTokenResp{}
}

// traefikTokenAnswer is a successful token response (RFC 6749 §5.1).
type traefikTokenAnswer struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	Scope        string `json:"scope"`
	RefreshToken string `json:"refresh_token"`
}

// traefikTokenIssue asks for a token and checks the 200 answer.
func traefikTokenIssue(t *testing.T, addr, how, id, secret, scope, wantScope string) string {
	t.Helper()
	r := traefikTokenPost(t, addr, how, id, secret, scope)
	if r.status != http.StatusOK {
		t.Fatalf("token (%s, %s): %s", how, id, r)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("token (%s): Content-Type %q", how, ct)
	}
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("token (%s): Cache-Control %q, want no-store", how, cc)
	}
	if p := r.header.Get("Pragma"); p != "no-cache" {
		t.Errorf("token (%s): Pragma %q, want no-cache", how, p)
	}
	var a traefikTokenAnswer
	if err := json.Unmarshal(r.body, &a); err != nil {
		t.Fatalf("token (%s): %v: %s", how, err, r.body)
	}
	if a.AccessToken == "" || a.TokenType != "Bearer" || a.ExpiresIn != int64(traefikTokenTTL/time.Second) || a.Scope != wantScope || a.RefreshToken != "" {
		t.Errorf("token (%s, %s): %s; want token_type Bearer, expires_in %d, scope %q, no refresh_token",
			how, id, r.body, int64(traefikTokenTTL/time.Second), wantScope)
	}
	return a.AccessToken
}

// traefikTokenOAuthError checks an RFC 6749 §5.2 error answer.
func traefikTokenOAuthError(t *testing.T, what string, r traefikTokenResp, status int, code string) {
	t.Helper()
	var e struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal(r.body, &e); err != nil || r.status != status || e.Error != code {
		t.Errorf("%s: %s; want %d with error %q", what, r, status, code)
		return
	}
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("%s: Cache-Control %q, want no-store", what, cc)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s: Content-Type %q", what, ct)
	}
}

// traefikTokenJWK is one published key.
type traefikTokenJWK struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
	D   string `json:"d"`
}

// publicKey decodes the JWK into a crypto public key (EC P-256 or OKP Ed25519).
func (k traefikTokenJWK) publicKey() (any, error) {
	x, err := base64.RawURLEncoding.DecodeString(k.X)
	if err != nil {
		return nil, err
	}
	switch {
	case k.Kty == "EC" && k.Crv == "P-256":
		y, err := base64.RawURLEncoding.DecodeString(k.Y)
		if err != nil || len(x) != 32 || len(y) != 32 {
			return nil, fmt.Errorf("bad EC coordinates")
		}
		return &ecdsa.PublicKey{Curve: elliptic.P256(), X: new(big.Int).SetBytes(x), Y: new(big.Int).SetBytes(y)}, nil
	case k.Kty == "OKP" && k.Crv == "Ed25519":
		if len(x) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("bad Ed25519 x")
		}
		return ed25519.PublicKey(x), nil
	}
	return nil, fmt.Errorf("unexpected key kty %q crv %q", k.Kty, k.Crv)
}

// thumbprint is the RFC 7638 SHA-256 thumbprint, computed here
// independently of core (members in lexicographic order, no spaces).
func (k traefikTokenJWK) thumbprint() string {
	var s string
	if k.Kty == "EC" {
		s = fmt.Sprintf(`{"crv":%q,"kty":"EC","x":%q,"y":%q}`, k.Crv, k.X, k.Y)
	} else {
		s = fmt.Sprintf(`{"crv":%q,"kty":"OKP","x":%q}`, k.Crv, k.X)
	}
	h := sha256.Sum256([]byte(s))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// traefikTokenJWKS GETs and checks the JWKS of a variant: one signature
// key with kid, use and alg, the variant's public key, max-age=300.
func traefikTokenJWKS(t *testing.T, addr string, v traefikTokenVariant) traefikTokenJWK {
	t.Helper()
	r := traefikTokenDo(t, "GET", addr, "/.well-known/jwks.json", nil, "")
	if r.status != http.StatusOK {
		t.Fatalf("jwks: %s", r)
	}
	if cc := r.header.Get("Cache-Control"); cc != "max-age=300" {
		t.Errorf("jwks: Cache-Control %q, want max-age=300", cc)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") && !strings.HasPrefix(ct, "application/jwk-set+json") {
		t.Errorf("jwks: Content-Type %q", ct)
	}
	var doc struct {
		Keys []traefikTokenJWK `json:"keys"`
	}
	if err := json.Unmarshal(r.body, &doc); err != nil || len(doc.Keys) != 1 {
		t.Fatalf("jwks: %v: %s", err, r.body)
	}
	k := doc.Keys[0]
	if k.Kid == "" || k.Use != "sig" || k.Alg != v.alg || k.D != "" {
		t.Errorf("jwks: key %+v; want a kid, use sig, alg %s, no private member", k, v.alg)
	}
	wantKid := v.keyID
	if wantKid == "" {
		wantKid = k.thumbprint()
	}
	if k.Kid != wantKid {
		t.Errorf("jwks: kid %q, want %q", k.Kid, wantKid)
	}
	pub, err := k.publicKey()
	if err != nil {
		t.Fatalf("jwks: %v: %s", err, r.body)
	}
	if v.pub != nil {
		eq, ok := v.pub.(interface{ Equal(x crypto.PublicKey) bool })
		if !ok || !eq.Equal(pub) {
			t.Errorf("jwks: the published key is not the configured signingKey's")
		}
	}
	return k
}

// traefikTokenParse splits a compact JWS and decodes header and claims.
func traefikTokenParse(t *testing.T, tok string) (header, claims map[string]any, input, sig []byte) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	dec := func(s string) []byte {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatalf("token part: %v", err)
		}
		return b
	}
	if err := json.Unmarshal(dec(parts[0]), &header); err != nil {
		t.Fatal(err)
	}
	d := json.NewDecoder(bytes.NewReader(dec(parts[1])))
	d.UseNumber()
	if err := d.Decode(&claims); err != nil {
		t.Fatal(err)
	}
	return header, claims, []byte(parts[0] + "." + parts[1]), dec(parts[2])
}

// traefikTokenCheckJWT checks an issued access token against the JWKS key
// with stdlib crypto only (typ at+jwt, kid, claims).
func traefikTokenCheckJWT(t *testing.T, tok string, k traefikTokenJWK, v traefikTokenVariant, client, scope string, perms, groups []string) {
	t.Helper()
	hdr, claims, input, sig := traefikTokenParse(t, tok)
	if hdr["alg"] != v.alg || hdr["typ"] != "at+jwt" || hdr["kid"] != k.Kid {
		t.Errorf("token header %v; want alg %s, typ at+jwt, kid %q", hdr, v.alg, k.Kid)
	}
	pub, _ := k.publicKey()
	ok := false
	switch p := pub.(type) {
	case *ecdsa.PublicKey:
		h := sha256.Sum256(input)
		if len(sig) == 64 {
			ok = ecdsa.Verify(p, h[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:]))
		}
	case ed25519.PublicKey:
		ok = ed25519.Verify(p, input, sig)
	}
	if !ok {
		t.Errorf("token signature does not verify with the published %s key", v.alg)
	}
	num := func(name string) int64 {
		n, _ := claims[name].(json.Number)
		i, err := n.Int64()
		if err != nil {
			t.Errorf("claim %s = %v", name, claims[name])
		}
		return i
	}
	now := time.Now().Unix()
	iat, nbf, exp := num("iat"), num("nbf"), num("exp")
	if iat < now-60 || iat > now+5 || nbf != iat || exp-iat != int64(traefikTokenTTL/time.Second) {
		t.Errorf("iat %d nbf %d exp %d (now %d); want nbf = iat, exp = iat + %d", iat, nbf, exp, now, int64(traefikTokenTTL/time.Second))
	}
	strs := func(name string) []string {
		l, _ := claims[name].([]any)
		var out []string
		for _, x := range l {
			s, _ := x.(string)
			out = append(out, s)
		}
		return out
	}
	eq := func(a, b []string) bool { return strings.Join(a, "\x00") == strings.Join(b, "\x00") }
	if claims["iss"] != v.issuer() || claims["sub"] != client || claims["client_id"] != client || claims["scope"] != scope ||
		!eq(strs("aud"), []string{traefikTokenAudience}) || !eq(strs("permissions"), perms) || !eq(strs("groups"), groups) {
		t.Errorf("claims %v; want iss %q, sub = client_id = %q, aud [%s], scope %q, permissions %v, groups %v",
			claims, v.issuer(), client, traefikTokenAudience, scope, perms, groups)
	}
	if j, _ := claims["jti"].(string); j == "" {
		t.Errorf("no jti: %v", claims)
	}
}

// traefikTokenTamper flips one bit in the middle of the signature.
func traefikTokenTamper(t *testing.T, tok string) string {
	t.Helper()
	i := strings.LastIndexByte(tok, '.')
	sig, err := base64.RawURLEncoding.DecodeString(tok[i+1:])
	if err != nil || len(sig) == 0 {
		t.Fatalf("signature: %v", err)
	}
	sig[len(sig)/2] ^= 0x01
	return tok[:i+1] + base64.RawURLEncoding.EncodeToString(sig)
}

// traefikTokenUpstream checks that r is the upstream's echo of a request
// let through for user (miauserid) with groups (miausergroups); user ""
// means anonymous: no identity header.
func traefikTokenUpstream(t *testing.T, what string, r traefikTokenResp, path, user, groups, authz string) {
	t.Helper()
	if r.status != http.StatusOK {
		t.Errorf("%s: %s; want 200 from the upstream", what, r)
		return
	}
	var e echo
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Errorf("%s: not the upstream echo: %v: %s", what, err, r.body)
		return
	}
	h := http.Header(e.Header)
	if e.Path != path {
		t.Errorf("%s: upstream path %q, want %q", what, e.Path, path)
	}
	if user == "" {
		for _, k := range []string{"Miauserid", "Miausergroups", "Miauserproperties"} {
			if vs := h.Values(k); len(vs) > 0 {
				t.Errorf("%s: anonymous, but the upstream got %s %q", what, k, vs)
			}
		}
		return
	}
	if vs := h.Values("Miauserid"); len(vs) != 1 || vs[0] != user {
		t.Errorf("%s: upstream Miauserid %q, want %q", what, vs, user)
	}
	if vs := h.Values("Miausergroups"); len(vs) != 1 || vs[0] != groups {
		t.Errorf("%s: upstream Miausergroups %q, want %q", what, vs, groups)
	}
	if vs := h.Values("Authorization"); len(vs) != 1 || vs[0] != authz {
		t.Errorf("%s: upstream Authorization %q, want the client's unchanged", what, vs)
	}
}

// traefikTokenDenied checks a §4 denial.
func traefikTokenDenied(t *testing.T, what string, r traefikTokenResp, status int) {
	t.Helper()
	var e struct {
		StatusCode int    `json:"statusCode"`
		Error      string `json:"error"`
		Message    string `json:"message"`
	}
	if r.status != status || json.Unmarshal(r.body, &e) != nil || e.StatusCode != status || e.Error != http.StatusText(status) || e.Message == "" {
		t.Errorf("%s: %s; want the %d JSON denial", what, r, status)
		return
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s: denial Content-Type %q", what, ct)
	}
	if strings.Contains(string(r.body), "permissions[") || strings.Contains(string(r.body), "groups.admin") {
		t.Errorf("%s: the denial names a rule: %s", what, r.body)
	}
}

// traefikTokenInvalid checks the answer to a present but invalid token:
// 401 with WWW-Authenticate: Bearer error="invalid_token".
func traefikTokenInvalid(t *testing.T, what string, r traefikTokenResp) {
	t.Helper()
	traefikTokenDenied(t, what, r, http.StatusUnauthorized)
	if wa := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(wa, "Bearer") || !strings.Contains(wa, `error="invalid_token"`) {
		t.Errorf("%s: WWW-Authenticate %q, want Bearer error=\"invalid_token\"", what, wa)
	}
}

func traefikTokenBearer(tok string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + tok}
}

// traefikTokenFirst is a variant's state after its first bearer request.
type traefikTokenFirst struct {
	key     traefikTokenJWK
	billing string           // billing's token (Basic, all scopes)
	at      time.Time        // when the first bearer request was sent
	resp    traefikTokenResp // its answer
}

// traefikTokenFirstRequest checks the JWKS, gets billing's token with HTTP
// Basic and sends the middleware's first bearer request, once, no retry:
// its jwks_url (this same Traefik) was never fetched by a request before.
func traefikTokenFirstRequest(t *testing.T, p *traefikProc, v traefikTokenVariant) traefikTokenFirst {
	t.Helper()
	addr := p.eps[v.name]
	var f traefikTokenFirst
	f.key = traefikTokenJWKS(t, addr, v)
	f.billing = traefikTokenIssue(t, addr, "basic", "billing", traefikTokenBillingSecret, "", "orders.read orders.write")
	traefikTokenCheckJWT(t, f.billing, f.key, v, "billing", "orders.read orders.write", []string{"orders:read", "orders:write"}, []string{"finance", "reporting"})
	f.at = time.Now()
	f.resp = traefikTokenDo(t, "GET", addr, "/orders/1", traefikTokenBearer(f.billing), "")
	return f
}

// traefikTokenFlow runs the rest of the seed-004 steps against one variant
// and returns billing's token (for the cross-issuer and Mia checks).
func traefikTokenFlow(t *testing.T, p *traefikProc, v traefikTokenVariant, f traefikTokenFirst, ready time.Time) string {
	addr := p.eps[v.name]
	key, billing, r := f.key, f.billing, f.resp
	t.Logf("first bearer request %s after Traefik was ready: %d", f.at.Sub(ready).Round(time.Millisecond), r.status)
	if r.status != http.StatusOK {
		// a valid token refused because the keys of the same gateway were
		// not loaded yet: report it, then measure how long it lasts
		t.Errorf("FIRST bearer request with a valid token, %s after Traefik was ready: %s", f.at.Sub(ready).Round(time.Millisecond), r)
		deadline := time.Now().Add(20 * time.Second)
		for r.status != http.StatusOK && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
			r = traefikTokenDo(t, "GET", addr, "/orders/1", traefikTokenBearer(billing), "")
		}
		t.Errorf("the same valid token was accepted only %s after the first attempt (%s after Traefik was ready; status now %d)",
			time.Since(f.at).Round(time.Millisecond), time.Since(ready).Round(time.Millisecond), r.status)
	}
	traefikTokenUpstream(t, "billing (Basic) GET /orders/1", r, "/orders/1", "billing", "finance,reporting", "Bearer "+billing)

	t.Run("client authentication", func(t *testing.T) {
		// ops by secretSha256, form body, one scope
		ops := traefikTokenIssue(t, addr, "form", "ops", traefikTokenOpsSecret, "admin.all", "admin.all")
		traefikTokenCheckJWT(t, ops, key, v, "ops", "admin.all", []string{"admin:all"}, []string{"admin"})
		traefikTokenDenied(t, "ops GET /orders/1 (no orders:read)", traefikTokenDo(t, "GET", addr, "/orders/1", traefikTokenBearer(ops), ""), http.StatusForbidden)
		traefikTokenUpstream(t, "ops DELETE /admin/x", traefikTokenDo(t, "DELETE", addr, "/admin/x", traefikTokenBearer(ops), ""), "/admin/x", "ops", "admin", "Bearer "+ops)
		// ops by secretSha256 through Basic as well
		traefikTokenIssue(t, addr, "basic", "ops", traefikTokenOpsSecret, "", "admin.all")

		// billing, JSON body (as in the AWS API Gateway client-credentials flow), a subset of its scopes
		j := traefikTokenIssue(t, addr, "json", "billing", traefikTokenBillingSecret, "orders.read", "orders.read")
		traefikTokenCheckJWT(t, j, key, v, "billing", "orders.read", []string{"orders:read", "orders:write"}, []string{"finance", "reporting"})
		traefikTokenUpstream(t, "billing (JSON) GET /orders/1", traefikTokenDo(t, "GET", addr, "/orders/1", traefikTokenBearer(j), ""), "/orders/1", "billing", "finance,reporting", "Bearer "+j)
		traefikTokenDenied(t, "billing GET /admin/x", traefikTokenDo(t, "GET", addr, "/admin/x", traefikTokenBearer(j), ""), http.StatusForbidden)
		// billing, form body (its secret needs form encoding there too)
		traefikTokenIssue(t, addr, "form", "billing", traefikTokenBillingSecret, "orders.write orders.read", "orders.write orders.read")
	})

	t.Run("token endpoint errors", func(t *testing.T) {
		r := traefikTokenPost(t, addr, "basic", "billing", traefikTokenWrongSecret, "")
		traefikTokenOAuthError(t, "wrong secret (Basic)", r, http.StatusUnauthorized, "invalid_client")
		if wa := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(wa, "Basic") {
			t.Errorf("wrong secret (Basic): WWW-Authenticate %q, want a Basic challenge", wa)
		}
		traefikTokenOAuthError(t, "wrong secret (form)", traefikTokenPost(t, addr, "form", "billing", traefikTokenWrongSecret, ""), http.StatusUnauthorized, "invalid_client")
		traefikTokenOAuthError(t, "wrong secret (JSON)", traefikTokenPost(t, addr, "json", "ops", traefikTokenWrongSecret, ""), http.StatusUnauthorized, "invalid_client")
		traefikTokenOAuthError(t, "unknown client", traefikTokenPost(t, addr, "basic", "nobody", traefikTokenOpsSecret, ""), http.StatusUnauthorized, "invalid_client")
		// the SHA-256 digest itself is not the secret
		opsDigest := sha256.Sum256([]byte(traefikTokenOpsSecret))
		traefikTokenOAuthError(t, "digest as secret", traefikTokenPost(t, addr, "form", "ops", hex.EncodeToString(opsDigest[:]), ""), http.StatusUnauthorized, "invalid_client")

		g := traefikTokenDo(t, "GET", addr, "/oauth/token", nil, "")
		if g.status != http.StatusMethodNotAllowed || !strings.Contains(g.header.Get("Allow"), "POST") {
			t.Errorf("GET /oauth/token: %s; want 405 with Allow: POST", g)
		}
		traefikTokenOAuthError(t, "unknown scope", traefikTokenPost(t, addr, "basic", "billing", traefikTokenBillingSecret, "orders.read orders.delete"), http.StatusBadRequest, "invalid_scope")
		traefikTokenOAuthError(t, "scope of another client", traefikTokenPost(t, addr, "form", "ops", traefikTokenOpsSecret, "orders.read"), http.StatusBadRequest, "invalid_scope")

		both := traefikTokenDo(t, "POST", addr, "/oauth/token", map[string]string{
			"Authorization": traefikTokenBasic("billing", traefikTokenBillingSecret), "Content-Type": "application/x-www-form-urlencoded",
		}, url.Values{"grant_type": {"client_credentials"}, "client_id": {"billing"}, "client_secret": {traefikTokenBillingSecret}}.Encode())
		traefikTokenOAuthError(t, "Basic and body credentials", both, http.StatusBadRequest, "invalid_request")
		grant := traefikTokenDo(t, "POST", addr, "/oauth/token", map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
			url.Values{"grant_type": {"password"}, "client_id": {"billing"}, "client_secret": {traefikTokenBillingSecret}}.Encode())
		traefikTokenOAuthError(t, "grant_type password", grant, http.StatusBadRequest, "unsupported_grant_type")
		noGrant := traefikTokenDo(t, "POST", addr, "/oauth/token", map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
			url.Values{"client_id": {"billing"}, "client_secret": {traefikTokenBillingSecret}}.Encode())
		traefikTokenOAuthError(t, "no grant_type", noGrant, http.StatusBadRequest, "invalid_request")
	})

	t.Run("authorization", func(t *testing.T) {
		traefikTokenDenied(t, "no token GET /orders/1", traefikTokenDo(t, "GET", addr, "/orders/1", nil, ""), http.StatusUnauthorized)
		traefikTokenUpstream(t, "no token GET /public/x", traefikTokenDo(t, "GET", addr, "/public/x", nil, ""), "/public/x", "", "", "")
		traefikTokenUpstream(t, "token GET /public/x", traefikTokenDo(t, "GET", addr, "/public/x", traefikTokenBearer(billing), ""), "/public/x", "billing", "finance,reporting", "Bearer "+billing)
		bad := traefikTokenTamper(t, billing)
		traefikTokenInvalid(t, "tampered token GET /orders/1", traefikTokenDo(t, "GET", addr, "/orders/1", traefikTokenBearer(bad), ""))
		traefikTokenInvalid(t, "tampered token GET /public/x", traefikTokenDo(t, "GET", addr, "/public/x", traefikTokenBearer(bad), ""))
		// a spoofed identity header never reaches the upstream with a token
		r := traefikTokenDo(t, "GET", addr, "/orders/1", map[string]string{"Authorization": "Bearer " + billing, "Miauserid": "ops", "Miausergroups": "admin"}, "")
		traefikTokenUpstream(t, "spoofed headers with a token", r, "/orders/1", "billing", "finance,reporting", "Bearer "+billing)
		// the token paths are answered before the rules: no rule covers them
		if r := traefikTokenDo(t, "GET", addr, "/oauth/token/x", nil, ""); r.status != http.StatusUnauthorized {
			t.Errorf("GET /oauth/token/x (not a token path, no rule): %s; want 401", r)
		}
	})

	t.Run("tokeninfo", func(t *testing.T) {
		r := traefikTokenDo(t, "GET", addr, "/tokeninfo", traefikTokenBearer(billing), "")
		var claims map[string]any
		if r.status != http.StatusOK || json.Unmarshal(r.body, &claims) != nil || claims["sub"] != "billing" || claims["iss"] != v.issuer() {
			t.Errorf("tokeninfo: %s", r)
		}
		if cc := r.header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("tokeninfo: Cache-Control %q", cc)
		}
		for _, h := range []map[string]string{nil, traefikTokenBearer(traefikTokenTamper(t, billing))} {
			r := traefikTokenDo(t, "GET", addr, "/tokeninfo", h, "")
			if r.status != http.StatusUnauthorized || !strings.Contains(r.header.Get("WWW-Authenticate"), `error="invalid_token"`) {
				t.Errorf("tokeninfo %v: %s; want 401 Bearer invalid_token", h, r)
			}
		}
	})
	return billing
}

// traefikTokenMia is the Mia flow: authz with userinfoUrl = the same
// Traefik's /tokeninfo, userIdKey sub, permissionsKey permissions.
func traefikTokenMia(t *testing.T, p *traefikProc, tokens map[string]string) {
	addr, issuer := p.eps["mia"], p.eps["p256"]
	billing := traefikTokenIssue(t, issuer, "basic", "billing", traefikTokenBillingSecret, "", "orders.read orders.write")
	traefikTokenUpstream(t, "Mia billing GET /orders/1", traefikTokenDo(t, "GET", addr, "/orders/1", traefikTokenBearer(billing), ""), "/orders/1", "billing", "finance,reporting", "Bearer "+billing)
	traefikTokenDenied(t, "Mia billing GET /admin/x", traefikTokenDo(t, "GET", addr, "/admin/x", traefikTokenBearer(billing), ""), http.StatusForbidden)
	ops := traefikTokenIssue(t, issuer, "json", "ops", traefikTokenOpsSecret, "", "admin.all")
	traefikTokenDenied(t, "Mia ops GET /orders/1", traefikTokenDo(t, "GET", addr, "/orders/1", traefikTokenBearer(ops), ""), http.StatusForbidden)
	traefikTokenUpstream(t, "Mia ops GET /admin/x", traefikTokenDo(t, "GET", addr, "/admin/x", traefikTokenBearer(ops), ""), "/admin/x", "ops", "admin", "Bearer "+ops)

	// invalid tokens: tokeninfo answers 401, the caller is anonymous
	// (userinfo semantics): 401 on private routes, public ones open
	bad := traefikTokenTamper(t, billing)
	traefikTokenDenied(t, "Mia tampered GET /orders/1", traefikTokenDo(t, "GET", addr, "/orders/1", traefikTokenBearer(bad), ""), http.StatusUnauthorized)
	traefikTokenUpstream(t, "Mia tampered GET /public/x", traefikTokenDo(t, "GET", addr, "/public/x", traefikTokenBearer(bad), ""), "/public/x", "", "", "")
	if other := tokens["ephemeral"]; other != "" {
		traefikTokenDenied(t, "Mia token of another issuer GET /orders/1", traefikTokenDo(t, "GET", addr, "/orders/1", traefikTokenBearer(other), ""), http.StatusUnauthorized)
	}
	traefikTokenDenied(t, "Mia no token GET /orders/1", traefikTokenDo(t, "GET", addr, "/orders/1", nil, ""), http.StatusUnauthorized)
	traefikTokenUpstream(t, "Mia no token GET /public/x", traefikTokenDo(t, "GET", addr, "/public/x", nil, ""), "/public/x", "", "", "")
}

func TestTraefikToken(t *testing.T) {
	start := time.Now()
	app := newUpstream(t)
	variants := traefikTokenKeys(t, t.TempDir())
	eps := []traefikEntryPoint{{name: "mia"}}
	mws := []string{"mia@file"}
	for _, v := range variants {
		eps = append(eps, traefikEntryPoint{name: v.name})
		mws = append(mws, v.name+"@file")
	}
	p := traefikStart(t, eps, func(eps map[string]string) string { return traefikTokenDynamic(eps, variants, app.URL) })
	p.waitEnabled(t, mws...)
	for _, r := range mws {
		if o, ok := p.apiGet(t, "routers", r); !ok || o.Status != "enabled" || len(o.Error) > 0 {
			t.Fatalf("router %s: %+v\n%s", r, o, traefikTail(p.logs.String(), 40))
		}
	}
	ready := time.Now()
	t.Logf("Traefik up and configured in %s", ready.Sub(start).Round(time.Millisecond))

	// every middleware's first bearer request right after start-up, before
	// any retry or the other steps can let time pass
	firsts := map[string]traefikTokenFirst{}
	for _, v := range variants {
		firsts[v.name] = traefikTokenFirstRequest(t, p, v)
	}
	tokens := map[string]string{}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			vs := time.Now()
			tokens[v.name] = traefikTokenFlow(t, p, v, firsts[v.name], ready)
			t.Logf("%s: %s", v.name, time.Since(vs).Round(time.Millisecond))
		})
	}

	t.Run("cross issuer", func(t *testing.T) {
		// a token signed by another variant's key: unknown kid (and iss) → invalid
		names := make([]string, 0, len(tokens))
		for n := range tokens {
			names = append(names, n)
		}
		sort.Strings(names)
		for i, from := range names {
			to := names[(i+1)%len(names)]
			if tokens[from] == "" {
				continue
			}
			r := traefikTokenDo(t, "GET", p.eps[to], "/public/x", traefikTokenBearer(tokens[from]), "")
			traefikTokenInvalid(t, "token of "+from+" at "+to, r)
		}
	})

	t.Run("mia flow", func(t *testing.T) {
		ms := time.Now()
		traefikTokenMia(t, p, tokens)
		t.Logf("mia flow: %s", time.Since(ms).Round(time.Millisecond))
	})

	t.Run("logs", func(t *testing.T) {
		logs := p.logs.String()
		// without a signing key, the ephemeral key comes with a start-up warning
		// (docs/traefik.md: "aclgate <middleware>: warning: …", Traefik's names)
		if !strings.Contains(logs, "aclgate ephemeral@file: warning: tokenEndpoint: no signingKey configured") {
			t.Errorf("no ephemeral-key warning for ephemeral@file in Traefik's log")
		}
		for _, n := range []string{"p256@file", "ed25519@file"} {
			if strings.Contains(logs, "aclgate "+n+": warning: tokenEndpoint: no signingKey") {
				t.Errorf("%s has a signingKey but warned about an ephemeral key", n)
			}
		}
		// nothing the client sends is logged as a credential
		leaks := map[string]string{"the wrong secret": traefikTokenWrongSecret}
		for n, tok := range tokens {
			leaks[n+" token"] = tok
			if tok != "" {
				leaks[n+" token signature"] = tok[strings.LastIndexByte(tok, '.')+1:]
			}
		}
		for what, s := range leaks {
			if s != "" && strings.Contains(logs, s) {
				t.Errorf("Traefik's log contains %s", what)
			}
		}
		// the plain configured secret: Traefik (not the plugin) logs the
		// dynamic configuration at DEBUG level
		t.Logf("plain client secret in Traefik's DEBUG log (configuration dump): %v; secretSha256 avoids it",
			strings.Contains(logs, traefikTokenBillingSecret))
	})
	t.Logf("total %s", time.Since(start).Round(time.Millisecond))
}
