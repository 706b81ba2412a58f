package token

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aclgate/aclgate/core/jose"
)

// jtKeyMaterial holds the private keys of the tests, made once.
type jtKeyMaterial struct {
	rsa   *rsa.PrivateKey
	ec256 *ecdsa.PrivateKey
	ed    ed25519.PrivateKey
}

var (
	jtKeysOnce sync.Once
	jtKeysVal  *jtKeyMaterial
)

func jtKeys() *jtKeyMaterial {
	jtKeysOnce.Do(func() {
		k := &jtKeyMaterial{}
		k.rsa, _ = rsa.GenerateKey(rand.Reader, 2048)
		k.ec256, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		_, k.ed, _ = ed25519.GenerateKey(rand.Reader)
		jtKeysVal = k
	})
	return jtKeysVal
}

// jtWrite writes a file into a temporary directory.
func jtWrite(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// jtPublicPEM encodes a public key as a PKIX PEM block.
func jtPublicPEM(t testing.TB, pub any) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

const (
	jtSvcSecret    = "s3cret-value-for-svc"
	jtColonSecret  = "a:b+c %d/é"
	jtHashedSecret = "hashed-secret-value"
)

// jtConfig has three clients: svc (plain secret, scopes, permissions,
// groups), colon (a secret with ':', '+', ' ' and '%'), hashed
// (secret_sha256).
func jtConfig() Config {
	sum := sha256.Sum256([]byte(jtHashedSecret))
	cfg := DefaultConfig()
	cfg.Issuer = "https://gw.example"
	cfg.Audience = []string{"api"}
	// these tests fail many authentications from one address on purpose
	// (ratelimit_test.go tests the limit)
	cfg.MaxFailures = -1
	cfg.Clients = []Client{
		{ID: "svc", Secret: jtSvcSecret, Scopes: []string{"read", "write"}, Permissions: []string{"users:read"}, Groups: []string{"backend"}},
		{ID: "colon", Secret: jtColonSecret},
		{ID: "hashed", SecretSHA256: hex.EncodeToString(sum[:]), Scopes: []string{"read"}},
	}
	return cfg
}

func jtIssuer(t testing.TB, mod func(c *Config)) *Issuer {
	t.Helper()
	cfg := jtConfig()
	if mod != nil {
		mod(&cfg)
	}
	iss, err := NewIssuer(cfg)
	if err != nil {
		t.Fatalf("NewIssuer: %v", err)
	}
	return iss
}

// jtBasic is an Authorization header with RFC 6749 §2.3.1 encoding.
func jtBasic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
}

// jtBasicRaw is an Authorization header without the form encoding.
func jtBasicRaw(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
}

func jtForm(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v.Encode()
}

type jtReq struct {
	method string
	path   string
	ct     string
	body   string
	auth   []string
}

func jtServe(t testing.TB, iss *Issuer, q jtReq) (*httptest.ResponseRecorder, map[string]any) {
	t.Helper()
	if q.method == "" {
		q.method = "POST"
	}
	if q.path == "" {
		q.path = DefaultTokenPath
	}
	r := httptest.NewRequest(q.method, q.path, strings.NewReader(q.body))
	if q.ct != "" {
		r.Header.Set("Content-Type", q.ct)
	}
	for _, a := range q.auth {
		r.Header.Add("Authorization", a)
	}
	w := httptest.NewRecorder()
	if !iss.ServeHTTP(w, r) {
		t.Fatalf("%s %s not handled", q.method, q.path)
	}
	var body map[string]any
	if w.Body.Len() > 0 {
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
			t.Fatalf("body %q: %v", w.Body.String(), err)
		}
	}
	return w, body
}

const jtFormCT = "application/x-www-form-urlencoded"

func TestTokenEndpoint(t *testing.T) {
	iss := jtIssuer(t, nil)
	cc := "grant_type"
	big := jtForm(cc, "client_credentials", "client_id", "svc", "client_secret", jtSvcSecret, "pad", strings.Repeat("x", 70<<10))
	cases := []struct {
		name   string
		q      jtReq
		status int
		err    string // expected "error"; "" for success
		scope  string // expected granted scope on success
		basic  bool   // expects WWW-Authenticate: Basic
	}{
		{name: "body credentials", q: jtReq{ct: jtFormCT, body: jtForm(cc, "client_credentials", "client_id", "svc", "client_secret", jtSvcSecret)}, status: 200, scope: "read write"},
		{name: "Basic credentials", q: jtReq{ct: jtFormCT, body: jtForm(cc, "client_credentials"), auth: []string{jtBasic("svc", jtSvcSecret)}}, status: 200, scope: "read write"},
		{name: "basic scheme lower-case", q: jtReq{ct: jtFormCT, body: jtForm(cc, "client_credentials"), auth: []string{"basic " + strings.TrimPrefix(jtBasic("svc", jtSvcSecret), "Basic ")}}, status: 200, scope: "read write"},
		{name: "Basic secret with : and + form-encoded", q: jtReq{ct: jtFormCT, body: jtForm(cc, "client_credentials"), auth: []string{jtBasic("colon", jtColonSecret)}}, status: 200},
		{name: "body secret with : and +", q: jtReq{ct: jtFormCT, body: jtForm(cc, "client_credentials", "client_id", "colon", "client_secret", jtColonSecret)}, status: 200},
		{name: "Basic secret not form-encoded", q: jtReq{ct: jtFormCT, body: jtForm(cc, "client_credentials"), auth: []string{jtBasicRaw("colon", jtColonSecret)}}, status: 401, err: "invalid_client", basic: true},
		{name: "secret_sha256", q: jtReq{ct: jtFormCT, body: jtForm(cc, "client_credentials"), auth: []string{jtBasic("hashed", jtHashedSecret)}}, status: 200, scope: "read"},
		{name: "secret_sha256 digest is not the secret", q: jtReq{ct: jtFormCT, body: jtForm(cc, "client_credentials"), auth: []string{jtBasic("hashed", jtConfig().Clients[2].SecretSHA256)}}, status: 401, err: "invalid_client", basic: true},
		{name: "form with charset", q: jtReq{ct: jtFormCT + "; charset=UTF-8", body: jtForm(cc, "client_credentials", "client_id", "svc", "client_secret", jtSvcSecret)}, status: 200, scope: "read write"},
		{name: "JSON body", q: jtReq{ct: "application/json", body: `{"grant_type":"client_credentials","client_id":"svc","client_secret":"` + jtSvcSecret + `"}`}, status: 200, scope: "read write"},
		{name: "JSON body with scope", q: jtReq{ct: "application/json", body: `{"grant_type":"client_credentials","scope":"write","extra":[1]}`, auth: []string{jtBasic("svc", jtSvcSecret)}}, status: 200, scope: "write"},
		{name: "requested subset", q: jtReq{ct: jtFormCT, body: jtForm(cc, "client_credentials", "scope", "read"), auth: []string{jtBasic("svc", jtSvcSecret)}}, status: 200, scope: "read"},
		{name: "requested twice the same scope", q: jtReq{ct: jtFormCT, body: jtForm(cc, "client_credentials", "scope", "write  read write"), auth: []string{jtBasic("svc", jtSvcSecret)}}, status: 200, scope: "write read"},
		{name: "client without scopes", q: jtReq{ct: jtFormCT, body: jtForm(cc, "client_credentials"), auth: []string{jtBasic("colon", jtColonSecret)}}, status: 200, scope: ""},
		{name: "Basic client_id also in the body", q: jtReq{ct: jtFormCT, body: jtForm(cc, "client_credentials", "client_id", "svc"), auth: []string{jtBasic("svc", jtSvcSecret)}}, status: 200, scope: "read write"},

		{name: "wrong secret via Basic", q: jtReq{ct: jtFormCT, body: jtForm(cc, "client_credentials"), auth: []string{jtBasic("svc", "nope")}}, status: 401, err: "invalid_client", basic: true},
		{name: "wrong secret in the body", q: jtReq{ct: jtFormCT, body: jtForm(cc, "client_credentials", "client_id", "svc", "client_secret", "nope")}, status: 401, err: "invalid_client"},
		{name: "unknown client", q: jtReq{ct: jtFormCT, body: jtForm(cc, "client_credentials", "client_id", "ghost", "client_secret", jtSvcSecret)}, status: 401, err: "invalid_client"},
		{name: "no credentials", q: jtReq{ct: jtFormCT, body: jtForm(cc, "client_credentials")}, status: 401, err: "invalid_client"},
		{name: "client_id without secret", q: jtReq{ct: jtFormCT, body: jtForm(cc, "client_credentials", "client_id", "svc")}, status: 401, err: "invalid_client"},
		{name: "malformed Basic", q: jtReq{ct: jtFormCT, body: jtForm(cc, "client_credentials"), auth: []string{"Basic !!!"}}, status: 401, err: "invalid_client", basic: true},
		{name: "Basic without colon", q: jtReq{ct: jtFormCT, body: jtForm(cc, "client_credentials"), auth: []string{"Basic " + base64.StdEncoding.EncodeToString([]byte("svc"))}}, status: 401, err: "invalid_client", basic: true},
		{name: "Bearer instead of Basic", q: jtReq{ct: jtFormCT, body: jtForm(cc, "client_credentials"), auth: []string{"Bearer abc"}}, status: 401, err: "invalid_client", basic: true},
		{name: "both auth methods", q: jtReq{ct: jtFormCT, body: jtForm(cc, "client_credentials", "client_id", "svc", "client_secret", jtSvcSecret), auth: []string{jtBasic("svc", jtSvcSecret)}}, status: 400, err: "invalid_request"},
		{name: "Basic and another body client_id", q: jtReq{ct: jtFormCT, body: jtForm(cc, "client_credentials", "client_id", "colon"), auth: []string{jtBasic("svc", jtSvcSecret)}}, status: 400, err: "invalid_request"},
		{name: "two Authorization headers", q: jtReq{ct: jtFormCT, body: jtForm(cc, "client_credentials"), auth: []string{jtBasic("svc", jtSvcSecret), jtBasic("svc", jtSvcSecret)}}, status: 400, err: "invalid_request"},
		{name: "grant_type password", q: jtReq{ct: jtFormCT, body: jtForm(cc, "password", "username", "u", "password", "p"), auth: []string{jtBasic("svc", jtSvcSecret)}}, status: 400, err: "unsupported_grant_type"},
		{name: "grant_type authorization_code", q: jtReq{ct: jtFormCT, body: jtForm(cc, "authorization_code", "code", "c"), auth: []string{jtBasic("svc", jtSvcSecret)}}, status: 400, err: "unsupported_grant_type"},
		{name: "missing grant_type", q: jtReq{ct: jtFormCT, body: jtForm("scope", "read"), auth: []string{jtBasic("svc", jtSvcSecret)}}, status: 400, err: "invalid_request"},
		{name: "empty grant_type", q: jtReq{ct: jtFormCT, body: "grant_type=", auth: []string{jtBasic("svc", jtSvcSecret)}}, status: 400, err: "invalid_request"},
		{name: "empty body", q: jtReq{ct: jtFormCT, auth: []string{jtBasic("svc", jtSvcSecret)}}, status: 400, err: "invalid_request"},
		{name: "unknown scope", q: jtReq{ct: jtFormCT, body: jtForm(cc, "client_credentials", "scope", "read admin"), auth: []string{jtBasic("svc", jtSvcSecret)}}, status: 400, err: "invalid_scope"},
		{name: "scope of another client", q: jtReq{ct: jtFormCT, body: jtForm(cc, "client_credentials", "scope", "write"), auth: []string{jtBasic("hashed", jtHashedSecret)}}, status: 400, err: "invalid_scope"},
		{name: "duplicate scope parameter", q: jtReq{ct: jtFormCT, body: jtForm(cc, "client_credentials", "scope", "read", "scope", "write"), auth: []string{jtBasic("svc", jtSvcSecret)}}, status: 400, err: "invalid_request"},
		{name: "duplicate grant_type", q: jtReq{ct: jtFormCT, body: "grant_type=client_credentials&grant_type=client_credentials", auth: []string{jtBasic("svc", jtSvcSecret)}}, status: 400, err: "invalid_request"},
		{name: "duplicate client_secret", q: jtReq{ct: jtFormCT, body: jtForm(cc, "client_credentials", "client_id", "svc", "client_secret", jtSvcSecret, "client_secret", "x")}, status: 400, err: "invalid_request"},
		{name: "duplicate unknown parameter", q: jtReq{ct: jtFormCT, body: jtForm(cc, "client_credentials", "x", "1", "x", "2"), auth: []string{jtBasic("svc", jtSvcSecret)}}, status: 400, err: "invalid_request"},
		{name: "malformed form", q: jtReq{ct: jtFormCT, body: "grant_type=client_credentials&%zz", auth: []string{jtBasic("svc", jtSvcSecret)}}, status: 400, err: "invalid_request"},
		{name: "JSON duplicate member", q: jtReq{ct: "application/json", body: `{"grant_type":"client_credentials","client_id":"svc","client_id":"colon","client_secret":"` + jtSvcSecret + `"}`}, status: 400, err: "invalid_request"},
		{name: "JSON grant_type not a string", q: jtReq{ct: "application/json", body: `{"grant_type":1}`, auth: []string{jtBasic("svc", jtSvcSecret)}}, status: 400, err: "invalid_request"},
		{name: "JSON not an object", q: jtReq{ct: "application/json", body: `["grant_type"]`, auth: []string{jtBasic("svc", jtSvcSecret)}}, status: 400, err: "invalid_request"},
		{name: "JSON truncated", q: jtReq{ct: "application/json", body: `{"grant_type":"client_credentials"`, auth: []string{jtBasic("svc", jtSvcSecret)}}, status: 400, err: "invalid_request"},
		{name: "unsupported content type", q: jtReq{ct: "text/plain", body: jtForm(cc, "client_credentials"), auth: []string{jtBasic("svc", jtSvcSecret)}}, status: 400, err: "invalid_request"},
		{name: "multipart", q: jtReq{ct: "multipart/form-data; boundary=x", body: "--x--", auth: []string{jtBasic("svc", jtSvcSecret)}}, status: 400, err: "invalid_request"},
		{name: "no content type", q: jtReq{body: jtForm(cc, "client_credentials"), auth: []string{jtBasic("svc", jtSvcSecret)}}, status: 400, err: "invalid_request"},
		{name: "body over 64 KiB", q: jtReq{ct: jtFormCT, body: big}, status: 400, err: "invalid_request"},
		{name: "GET", q: jtReq{method: "GET"}, status: 405, err: "invalid_request"},
		{name: "PUT", q: jtReq{method: "PUT", ct: jtFormCT, body: jtForm(cc, "client_credentials")}, status: 405, err: "invalid_request"},
		{name: "HEAD", q: jtReq{method: "HEAD"}, status: 405, err: "invalid_request"},
	}
	for _, tc := range cases {
		tc := tc
		t.Run(tc.name, func(t *testing.T) {
			w, body := jtServe(t, iss, tc.q)
			h := w.Header()
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d; body %s", w.Code, tc.status, w.Body.String())
			}
			if h.Get("Cache-Control") != "no-store" || h.Get("Pragma") != "no-cache" || h.Get("Content-Type") != "application/json" {
				t.Fatalf("headers %v", h)
			}
			if _, ok := body["refresh_token"]; ok {
				t.Fatal("refresh_token issued")
			}
			for _, s := range []string{jtSvcSecret, jtColonSecret, jtHashedSecret} {
				if strings.Contains(w.Body.String(), s) {
					t.Fatal("the body contains a secret")
				}
			}
			if tc.status == 405 {
				if h.Get("Allow") != "POST" {
					t.Fatalf("Allow = %q", h.Get("Allow"))
				}
			}
			if tc.status == 401 {
				if got := h.Get("WWW-Authenticate"); !strings.HasPrefix(got, `Basic realm="`) {
					t.Fatalf("WWW-Authenticate = %q", got)
				}
			} else if h.Get("WWW-Authenticate") != "" {
				t.Fatalf("WWW-Authenticate on %d", tc.status)
			}
			if tc.err != "" || tc.status != 200 {
				if body != nil && body["error"] != tc.err {
					t.Fatalf("error = %v, want %s", body["error"], tc.err)
				}
				if body != nil {
					desc, _ := body["error_description"].(string)
					for i := 0; i < len(desc); i++ {
						c := desc[i]
						if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
							t.Fatalf("error_description %q has a character RFC 6749 §5.2 forbids", desc)
						}
					}
				}
				return
			}
			if body["token_type"] != "Bearer" || body["expires_in"] != float64(3600) {
				t.Fatalf("body = %v", body)
			}
			scope, hasScope := body["scope"]
			if tc.scope == "" && hasScope || tc.scope != "" && scope != tc.scope {
				t.Fatalf("scope = %v, want %q", scope, tc.scope)
			}
			tok, _ := body["access_token"].(string)
			claims, err := jose.Verify(iss.info, context.Background(), tok)
			if err != nil {
				t.Fatalf("access token does not verify: %v", err)
			}
			if tc.scope != "" && claims["scope"] != tc.scope {
				t.Fatalf("scope claim = %v", claims["scope"])
			}
		})
	}
}

func TestTokenClaims(t *testing.T) {
	iss := jtIssuer(t, func(c *Config) { c.TTL = 90 * time.Second })
	now := time.Unix(1800000000, 0)
	iss.now = func() time.Time { return now }
	_, body := jtServe(t, iss, jtReq{ct: jtFormCT, body: jtForm("grant_type", "client_credentials", "scope", "read"), auth: []string{jtBasic("svc", jtSvcSecret)}})
	tok, _ := body["access_token"].(string)
	if body["expires_in"] != float64(90) {
		t.Fatalf("expires_in = %v", body["expires_in"])
	}
	j, err := jose.ParseJWT(tok)
	if err != nil {
		t.Fatal(err)
	}
	if j.Alg != "EdDSA" || j.Typ != "at+jwt" || j.Kid != jose.Thumbprint(iss.signer.Public()) {
		t.Fatalf("header = %v", j.Header)
	}
	c := j.Claims
	want := map[string]string{"iss": "https://gw.example", "sub": "svc", "client_id": "svc", "scope": "read",
		"iat": "1800000000", "nbf": "1800000000", "exp": "1800000090"}
	for k, v := range want {
		got := ""
		if s, ok := c[k].(string); ok {
			got = s
		} else if n, ok := c[k].(json.Number); ok {
			got = string(n)
		}
		if got != v {
			t.Errorf("%s = %v, want %s", k, c[k], v)
		}
	}
	if jtJSON(t, c["aud"]) != `["api"]` || jtJSON(t, c["permissions"]) != `["users:read"]` || jtJSON(t, c["groups"]) != `["backend"]` {
		t.Errorf("aud %v permissions %v groups %v", c["aud"], c["permissions"], c["groups"])
	}
	jti, _ := c["jti"].(string)
	if raw, err := base64.RawURLEncoding.DecodeString(jti); err != nil || len(raw) != 16 {
		t.Errorf("jti = %q", jti)
	}
	_, body2 := jtServe(t, iss, jtReq{ct: jtFormCT, body: jtForm("grant_type", "client_credentials"), auth: []string{jtBasic("svc", jtSvcSecret)}})
	j2, _ := jose.ParseJWT(body2["access_token"].(string))
	if j2.Claims["jti"] == jti {
		t.Error("jti repeated")
	}

	// Without issuer, audience, scopes, permissions and groups these claims
	// are omitted.
	bare := jtIssuer(t, func(c *Config) { c.Issuer = ""; c.Audience = nil })
	_, body = jtServe(t, bare, jtReq{ct: jtFormCT, body: jtForm("grant_type", "client_credentials"), auth: []string{jtBasic("colon", jtColonSecret)}})
	j, err = jose.ParseJWT(body["access_token"].(string))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"iss", "aud", "scope", "permissions", "groups"} {
		if _, ok := j.Claims[k]; ok {
			t.Errorf("claim %s present", k)
		}
	}
	if j.Claims["sub"] != "colon" {
		t.Errorf("sub = %v", j.Claims["sub"])
	}
}

// Tokens of the issuer verify through the published JWKS, also when it is
// fetched from the same server.
func TestTokenVerifiesThroughJWKSURL(t *testing.T) {
	iss := jtIssuer(t, nil)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !iss.ServeHTTP(w, r) {
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	v, err := jose.NewVerifier(context.Background(), jose.Config{
		JWKSURL:  srv.URL + DefaultJWKSPath,
		Issuer:   "https://gw.example",
		Audience: []string{"api"},
		Leeway:   DefaultLeeway,
	}, srv.Client(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()

	resp, err := srv.Client().PostForm(srv.URL+DefaultTokenPath, url.Values{"grant_type": {"client_credentials"},
		"client_id": {"svc"}, "client_secret": {jtSvcSecret}})
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	tok, _ := body["access_token"].(string)
	claims, err := jose.Verify(v, context.Background(), tok)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if claims["sub"] != "svc" || claims["scope"] != "read write" {
		t.Fatalf("claims = %v", claims)
	}
}

func TestTokenJWKSEndpoint(t *testing.T) {
	iss := jtIssuer(t, func(c *Config) { c.KeyID = "key-2024"; c.JWKSPath = "/keys" })
	w, body := jtServe(t, iss, jtReq{method: "GET", path: "/keys"})
	if w.Code != 200 || w.Header().Get("Cache-Control") != "max-age=300" || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("GET: %d %v", w.Code, w.Header())
	}
	if w.Body.String() != string(iss.JWKS()) {
		t.Fatal("body differs from JWKS()")
	}
	keys, _ := body["keys"].([]any)
	key, _ := keys[0].(map[string]any)
	if len(keys) != 1 || key["kid"] != "key-2024" || key["use"] != "sig" || key["alg"] != "EdDSA" || key["kty"] != "OKP" || key["crv"] != "Ed25519" {
		t.Fatalf("JWKS = %s", w.Body.String())
	}
	if _, ok := key["d"]; ok {
		t.Fatal("private key published")
	}
	w, _ = jtServe(t, iss, jtReq{method: "HEAD", path: "/keys"})
	if w.Code != 200 || w.Body.Len() != 0 {
		t.Fatalf("HEAD: %d %q", w.Code, w.Body.String())
	}
	w, body = jtServe(t, iss, jtReq{method: "POST", path: "/keys"})
	if w.Code != 405 || w.Header().Get("Allow") != "GET, HEAD" || body["error"] == nil {
		t.Fatalf("POST: %d %v", w.Code, w.Header())
	}
	// The old default path is now just another path.
	r := httptest.NewRequest("GET", DefaultJWKSPath, nil)
	if iss.ServeHTTP(httptest.NewRecorder(), r) {
		t.Fatal("default jwks path still served")
	}
}

func TestTokeninfo(t *testing.T) {
	iss := jtIssuer(t, nil)
	_, body := jtServe(t, iss, jtReq{ct: jtFormCT, body: jtForm("grant_type", "client_credentials"), auth: []string{jtBasic("svc", jtSvcSecret)}})
	tok, _ := body["access_token"].(string)

	other := jtIssuer(t, nil) // another ephemeral key
	_, body = jtServe(t, other, jtReq{ct: jtFormCT, body: jtForm("grant_type", "client_credentials"), auth: []string{jtBasic("svc", jtSvcSecret)}})
	foreign, _ := body["access_token"].(string)

	// Same key, another issuer name.
	now := time.Now().Unix()
	otherIss, _ := iss.signer.Sign(map[string]any{"typ": "at+jwt"}, map[string]any{"iss": "https://evil.example", "sub": "svc", "exp": now + 60})
	// Same key and issuer, but not an access token.
	idToken, _ := iss.signer.Sign(map[string]any{"typ": "JWT"}, map[string]any{"iss": "https://gw.example", "sub": "svc", "exp": now + 60})
	mediaType, _ := iss.signer.Sign(map[string]any{"typ": "application/at+jwt"}, map[string]any{"iss": "https://gw.example", "sub": "svc", "exp": now + 60})

	cases := []struct {
		name   string
		method string
		auth   []string
		status int
	}{
		{"valid", "GET", []string{"Bearer " + tok}, 200},
		{"valid, lower-case scheme", "GET", []string{"bearer " + tok}, 200},
		{"typ application/at+jwt", "GET", []string{"Bearer " + mediaType}, 200},
		{"no token", "GET", nil, 401},
		{"Basic", "GET", []string{jtBasic("svc", jtSvcSecret)}, 401},
		{"garbage", "GET", []string{"Bearer a.b.c"}, 401},
		{"other issuer's key", "GET", []string{"Bearer " + foreign}, 401},
		{"other iss", "GET", []string{"Bearer " + otherIss}, 401},
		{"not an access token", "GET", []string{"Bearer " + idToken}, 401},
		{"POST", "POST", []string{"Bearer " + tok}, 405},
	}
	for _, tc := range cases {
		tc := tc
		t.Run(tc.name, func(t *testing.T) {
			w, body := jtServe(t, iss, jtReq{method: tc.method, path: DefaultTokeninfoPath, auth: tc.auth})
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body.String())
			}
			if w.Header().Get("Cache-Control") != "no-store" || w.Header().Get("Content-Type") != "application/json" {
				t.Fatalf("headers %v", w.Header())
			}
			switch tc.status {
			case 200:
				if body["sub"] != "svc" || body["client_id"] != "svc" && tc.name != "typ application/at+jwt" {
					t.Fatalf("claims = %v", body)
				}
			case 401:
				if w.Header().Get("WWW-Authenticate") != `Bearer error="invalid_token"` || body["error"] != "invalid_token" {
					t.Fatalf("401: %v %v", w.Header(), body)
				}
			case 405:
				if w.Header().Get("Allow") != "GET, HEAD" {
					t.Fatalf("Allow = %q", w.Header().Get("Allow"))
				}
			}
		})
	}

	// Expiry, with the issuer's leeway.
	iss.now = func() time.Time { return time.Now().Add(time.Hour + 20*time.Second) }
	if w, _ := jtServe(t, iss, jtReq{method: "GET", path: DefaultTokeninfoPath, auth: []string{"Bearer " + tok}}); w.Code != 200 {
		t.Fatalf("inside the leeway: %d", w.Code)
	}
	iss.now = func() time.Time { return time.Now().Add(time.Hour + time.Minute) }
	if w, _ := jtServe(t, iss, jtReq{method: "GET", path: DefaultTokeninfoPath, auth: []string{"Bearer " + tok}}); w.Code != 401 {
		t.Fatalf("expired: %d", w.Code)
	}
	// tokeninfo answers like a userinfo endpoint: groups and permissions
	// arrays at the top level.
	iss.now = time.Now
	_, claims := jtServe(t, iss, jtReq{method: "GET", path: DefaultTokeninfoPath, auth: []string{"Bearer " + tok}})
	if jtJSON(t, claims["groups"]) != `["backend"]` || jtJSON(t, claims["permissions"]) != `["users:read"]` {
		t.Fatalf("claims = %v", claims)
	}
}

func TestTokenOtherPaths(t *testing.T) {
	iss := jtIssuer(t, nil)
	for _, p := range []string{"/", "/oauth/token/", "/oauth", "/OAUTH/TOKEN", "/tokeninfo/x", "/.well-known/jwks.json.bak"} {
		w := httptest.NewRecorder()
		if iss.ServeHTTP(w, httptest.NewRequest("POST", p, strings.NewReader("grant_type=client_credentials"))) {
			t.Errorf("%s handled", p)
		}
		if len(w.Header()) != 0 || w.Body.Len() != 0 || w.Flushed {
			t.Errorf("%s: wrote something", p)
		}
	}
}

func TestTokenSigningKeys(t *testing.T) {
	k := jtKeys()
	pkcs8 := func(key any) []byte {
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	}
	sec1, _ := x509.MarshalECPrivateKey(k.ec256)
	ecParams := pem.EncodeToMemory(&pem.Block{Type: "EC PARAMETERS", Bytes: []byte{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}})
	sec1PEM := append(ecParams, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1})...)
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k.rsa)})

	cases := []struct {
		name string
		pem  []byte
		alg  string
	}{
		{"PKCS8 Ed25519", pkcs8(k.ed), "EdDSA"},
		{"PKCS8 P-256", pkcs8(k.ec256), "ES256"},
		{"SEC1 P-256 after EC PARAMETERS", sec1PEM, "ES256"},
		{"PKCS8 RSA", pkcs8(k.rsa), "RS256"},
		{"PKCS1 RSA", pkcs1, "RS256"},
	}
	for _, tc := range cases {
		tc := tc
		t.Run(tc.name, func(t *testing.T) {
			path := jtWrite(t, "key.pem", tc.pem)
			iss := jtIssuer(t, func(c *Config) { c.SigningKey = path })
			_, body := jtServe(t, iss, jtReq{ct: jtFormCT, body: jtForm("grant_type", "client_credentials"), auth: []string{jtBasic("svc", jtSvcSecret)}})
			tok, _ := body["access_token"].(string)
			j, err := jose.ParseJWT(tok)
			if err != nil || j.Alg != tc.alg {
				t.Fatalf("alg %v, err %v", j, err)
			}
			// Through the published JWKS, whose key names its algorithm.
			v, err := jose.NewVerifier(context.Background(), jose.Config{
				JWKSFile: jtWrite(t, "jwks.json", iss.JWKS()),
				Issuer:   "https://gw.example",
				Audience: []string{"api"},
				Leeway:   DefaultLeeway,
			}, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer v.Close()
			if _, err := jose.Verify(v, context.Background(), tok); err != nil {
				t.Fatalf("verify through the JWKS: %v", err)
			}
			var doc struct {
				Keys []map[string]any `json:"keys"`
			}
			if err := json.Unmarshal(iss.JWKS(), &doc); err != nil || len(doc.Keys) != 1 || doc.Keys[0]["alg"] != tc.alg {
				t.Fatalf("JWKS key not bound to %s: %s", tc.alg, iss.JWKS())
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	k := jtKeys()
	weak, _ := rsa.GenerateKey(rand.Reader, 1024)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	der384, _ := x509.MarshalPKCS8PrivateKey(p384)
	keyFile := func(typ string, der []byte, headers map[string]string) string {
		return jtWrite(t, "key.pem", pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der, Headers: headers}))
	}
	cases := []struct {
		name string
		mod  func(c *Config)
		want []string
	}{
		{"no clients", func(c *Config) { c.Clients = nil }, []string{"client"}},
		{"empty client id", func(c *Config) { c.Clients[0].ID = "" }, []string{"empty id"}},
		{"duplicate client", func(c *Config) { c.Clients[1].ID = "svc" }, []string{`"svc"`, "twice"}},
		{"secret and secret_sha256", func(c *Config) { c.Clients[0].SecretSHA256 = c.Clients[2].SecretSHA256 }, []string{`"svc"`, "secret_sha256"}},
		{"no secret", func(c *Config) { c.Clients[0].Secret = "" }, []string{`"svc"`, "secret"}},
		{"bad secret_sha256", func(c *Config) { c.Clients[2].SecretSHA256 = "abc" }, []string{`"hashed"`, "secret_sha256"}},
		{"bad scope", func(c *Config) { c.Clients[0].Scopes = []string{"read write"} }, []string{`"svc"`, "scope"}},
		{"empty permission", func(c *Config) { c.Clients[0].Permissions = []string{""} }, []string{`"svc"`, "permissions"}},
		{"empty group", func(c *Config) { c.Clients[0].Groups = []string{""} }, []string{`"svc"`, "groups"}},
		{"ttl under a second", func(c *Config) { c.TTL = time.Millisecond }, []string{"ttl"}},
		{"negative ttl", func(c *Config) { c.TTL = -time.Hour }, []string{"ttl"}},
		{"relative path", func(c *Config) { c.TokenPath = "oauth/token" }, []string{"token_path"}},
		{"same paths", func(c *Config) { c.TokeninfoPath = c.JWKSPath }, []string{"jwks_path", "tokeninfo_path"}},
		{"empty audience", func(c *Config) { c.Audience = []string{""} }, []string{"audience"}},
		{"unreadable signing_key", func(c *Config) { c.SigningKey = filepath.Join(t.TempDir(), "nope.pem") }, []string{"signing_key", "nope.pem", "cannot read the file: no such file or directory"}},
		{"not PEM", func(c *Config) { c.SigningKey = jtWrite(t, "k.pem", []byte("hello")) }, []string{"signing_key", "no PEM private key"}},
		{"public key", func(c *Config) { c.SigningKey = jtWrite(t, "k.pem", jtPublicPEM(t, &k.rsa.PublicKey)) }, []string{"signing_key", "no PEM private key", `the file holds the PEM blocks "PUBLIC KEY"`}},
		{"ttl not whole seconds", func(c *Config) { c.TTL = 1500 * time.Millisecond }, []string{`token: ttl "1.5s" is not a whole number of seconds`, `"1s" or "2s"`}},
		{"signing_key holds JSON", func(c *Config) { c.SigningKey = jtWrite(t, "k.json", []byte(`{"keys":[]}`)) }, []string{"signing_key", "holds a JWKS (JSON), not PEM"}},
		{"weak RSA", func(c *Config) {
			c.SigningKey = keyFile("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(weak), nil)
		}, []string{"signing_key", "1024 bits"}},
		{"P-384", func(c *Config) { c.SigningKey = keyFile("PRIVATE KEY", der384, nil) }, []string{"signing_key", "P-256"}},
		{"encrypted", func(c *Config) {
			c.SigningKey = keyFile("RSA PRIVATE KEY", []byte("x"), map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-128-CBC,00"})
		}, []string{"signing_key", "encrypted"}},
		{"corrupt key", func(c *Config) { c.SigningKey = keyFile("PRIVATE KEY", []byte("junk"), nil) }, []string{"signing_key", "invalid PRIVATE KEY"}},
	}
	for _, tc := range cases {
		tc := tc
		t.Run(tc.name, func(t *testing.T) {
			cfg := jtConfig()
			tc.mod(&cfg)
			_, err := NewIssuer(cfg)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Fatalf("error %q does not mention %q", err, w)
				}
			}
			for _, s := range []string{jtSvcSecret, jtColonSecret, jtHashedSecret} {
				if strings.Contains(err.Error(), s) {
					t.Fatalf("error %q contains a secret", err)
				}
			}
		})
	}
}

func TestTokenDefaults(t *testing.T) {
	var warnings []string
	cfg := Config{Clients: []Client{{ID: "c", Secret: "s"}}, Warn: func(m string) { warnings = append(warnings, m) }}
	iss, err := NewIssuer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "ephemeral") {
		t.Fatalf("warnings = %q", warnings)
	}
	if iss.tokenPath != DefaultTokenPath || iss.jwksPath != DefaultJWKSPath || iss.infoPath != DefaultTokeninfoPath || iss.ttlSecs != 3600 {
		t.Fatalf("defaults: %q %q %q %d", iss.tokenPath, iss.jwksPath, iss.infoPath, iss.ttlSecs)
	}
	d := DefaultConfig()
	if d.TTL != time.Hour || d.TokenPath != "/oauth/token" || d.JWKSPath != "/.well-known/jwks.json" || d.TokeninfoPath != "/tokeninfo" {
		t.Fatalf("DefaultConfig = %+v", d)
	}
	// With a signing key, no warning.
	warnings = nil
	der, _ := x509.MarshalPKCS8PrivateKey(jtKeys().ed)
	cfg.SigningKey = jtWrite(t, "k.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	if _, err := NewIssuer(cfg); err != nil || len(warnings) != 0 {
		t.Fatalf("err %v warnings %q", err, warnings)
	}
}

// jtJSON marshals v.
func jtJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
