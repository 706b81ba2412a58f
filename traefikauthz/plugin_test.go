package traefikauthz

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

const testRules = `{
  "/": {"GET": {"authorization": {"expression": "true", "public": true}}},
  "/users/": {"ALL": {"authorization": {"expression": "groups.admin", "public": false},
                      "backofficeAuthorization": {"expression": "groups.admin && isBackoffice", "public": false}}},
  "/users/:id": {"GET": {"authorization": {"expression": "groups.admin || permissions[\"users:read\"]", "public": false}}}
}`

// seen records what the next handler received.
type seen struct {
	called bool
	rw     http.ResponseWriter
	req    *http.Request
}

func (s *seen) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.called = true
	s.rw = w
	s.req = r
	w.WriteHeader(http.StatusOK)
}

func okHandler() http.Handler { return &seen{} }

func get(target string) *http.Request { return httptest.NewRequest("GET", target, nil) }

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

func mustNew(t *testing.T, c *Config, next http.Handler) http.Handler {
	t.Helper()
	h, err := New(context.Background(), next, c, "authz@file")
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestTrustedHeadersInline(t *testing.T) {
	c := CreateConfig()
	c.TrustUserHeaders = true
	c.PermissionsKey = "permissions"
	c.UserPropertiesToProxy = []string{"email"}
	c.RulesJSON = testRules
	next := &seen{}
	h := mustNew(t, c, next)

	r := get("/users/7")
	r.Header.Set("miauserid", "u1")
	r.Header.Set("miausergroups", "user")
	r.Header.Set("miauserproperties", `{"email":"u1@example.com","permissions":["users:read"]}`)
	r.Header["MIAUSERID"] = []string{"evil"} // not canonical: only a raw header map holds it
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if rec.Code != 400 {
		// an alias spelling of a trusted header is a bad request in trust mode
		t.Fatalf("alias in trust mode: status %d, want 400", rec.Code)
	}

	r = get("/users/7")
	r.Header.Set("miauserid", "u1")
	r.Header.Set("miausergroups", "user")
	r.Header.Set("miauserproperties", `{"email":"u1@example.com","permissions":["users:read"]}`)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if rec.Code != 200 || !next.called {
		t.Fatalf("status %d, next called %v", rec.Code, next.called)
	}
	if next.rw != http.ResponseWriter(rec) {
		t.Error("the ResponseWriter was wrapped")
	}
	up := next.req.Header
	if up.Get("Miauserid") != "u1" || up.Get("Miausergroups") != "user" || up.Get("Miauserproperties") != `{"email":"u1@example.com"}` {
		t.Errorf("upstream headers: %v", up)
	}
	if up.Get("Mia-Allowed") != "" {
		t.Error("mia-allowed sent in strict mode")
	}

	next.called = false
	r = get("/users/")
	r.Header.Set("miauserid", "u1")
	rec = serve(h, r)
	if rec.Code != 403 || next.called {
		t.Fatalf("status %d, next called %v", rec.Code, next.called)
	}
	if rec.Header().Get("Content-Type") != "application/json" {
		t.Errorf("content type %q", rec.Header().Get("Content-Type"))
	}
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body["statusCode"] != float64(403) || body["error"] != "Forbidden" {
		t.Errorf("body %s", rec.Body.String())
	}
}

func TestSpoofedAliasesStripped(t *testing.T) {
	c := CreateConfig()
	c.Strict = false
	c.RulesJSON = testRules
	next := &seen{}
	h := mustNew(t, c, next)
	r := get("/")
	for _, k := range []string{"Miauserid", "Mia_userid", "Mia.userid", "MIAUSERGROUPS", "Mia-Allowed", "Mia-Userid", "Mia_groups"} {
		r.Header[k] = []string{"evil"}
	}
	rec := serve(h, r)
	if rec.Code != 200 || !next.called {
		t.Fatalf("status %d", rec.Code)
	}
	for k, v := range next.req.Header {
		if k == "Mia-Allowed" {
			if len(v) != 1 || v[0] != "1" {
				t.Errorf("mia-allowed = %v", v)
			}
			continue
		}
		if strings.HasPrefix(strings.ToLower(k), "mia") {
			t.Errorf("spoofed header %s: %v reached the upstream", k, v)
		}
	}
}

func TestNonStrict(t *testing.T) {
	c := CreateConfig()
	c.Strict = false
	c.RulesJSON = testRules
	next := &seen{}
	h := mustNew(t, c, next)
	r := httptest.NewRequest("POST", "/users/", nil)
	rec := serve(h, r)
	if rec.Code != 200 || !next.called || next.req.Header.Get("Mia-Allowed") != "0" {
		t.Fatalf("status %d called %v mia-allowed %q", rec.Code, next.called, next.req.Header.Get("Mia-Allowed"))
	}
}

func TestBadPaths(t *testing.T) {
	c := CreateConfig()
	c.RulesJSON = `{"/": {"ALL": {"authorization": {"expression": "true", "public": true}}}}`
	next := &seen{}
	h := mustNew(t, c, next)
	for _, p := range []string{"/a%2Fb", "/a%5cb", "/../x"} {
		r := get("/")
		r.URL = &url.URL{Path: "/", RawPath: p}
		u, err := url.Parse(p)
		if err == nil {
			r.URL = u
		}
		rec := serve(h, r)
		if rec.Code != 400 {
			t.Errorf("%s: status %d, want 400", p, rec.Code)
		}
	}
	r := get("/a/./b//c/../d")
	rec := serve(h, r)
	if rec.Code != 200 || next.req.URL.Path != "/a/b/d" {
		t.Errorf("canonical path: %d %q", rec.Code, next.req.URL.Path)
	}
}

func TestInlineRulesAndUserinfo(t *testing.T) {
	calls := 0
	ui := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		switch r.Header.Get("Authorization") {
		case "Bearer admin":
			w.Write([]byte(`{"sub":"u-admin","groups":["admin"],"email":"a@example.com"}`))
		case "Bearer reader":
			w.Write([]byte(`{"sub":"u-reader","groups":["user"],"perms":["users:read"]}`))
		default:
			w.WriteHeader(401)
		}
	}))
	defer ui.Close()
	c := CreateConfig()
	c.UserinfoURL = ui.URL
	c.PermissionsKey = "perms"
	c.UserPropertiesToProxy = []string{"email"}
	c.UserinfoTimeout = "5s"
	c.CacheTTL = "1m"
	c.Rules = []Rule{
		{Method: "GET", Path: "/", Expression: "true", Public: true},
		{Method: "ALL", Path: "/users/", Expression: "groups.admin"},
		{Method: "ALL", Path: "/users/", Expression: "false", Backoffice: true},
		{Method: "GET", Path: "/users/:id", Expression: `permissions["users:read"]`},
	}
	next := &seen{}
	h := mustNew(t, c, next)

	type row struct {
		method, path, token, backoffice string
		status                          int
	}
	rows := []row{
		{"GET", "/", "", "", 200},
		{"GET", "/users/", "", "", 401},
		{"GET", "/users/", "Bearer admin", "", 200},
		{"GET", "/users/", "Bearer admin", "true", 200}, // a frontend instance ignores a client's isbackoffice
		{"GET", "/users/7", "Bearer reader", "", 200},
		{"HEAD", "/users/7", "Bearer reader", "", 200},
		{"DELETE", "/users/7", "Bearer reader", "", 403},
		{"GET", "/users/7", "Bearer bogus", "", 401},
	}
	for i := 0; i < len(rows); i++ {
		rw := rows[i]
		r := httptest.NewRequest(rw.method, rw.path, nil)
		if rw.token != "" {
			r.Header.Set("Authorization", rw.token)
		}
		if rw.backoffice != "" {
			r.Header.Set("isbackoffice", rw.backoffice)
		}
		if rec := serve(h, r); rec.Code != rw.status {
			t.Errorf("%s %s %s: status %d, want %d", rw.method, rw.path, rw.token, rec.Code, rw.status)
		}
	}
	r := get("/users/")
	r.Header.Set("Authorization", "Bearer admin")
	serve(h, r)
	if next.req.Header.Get("Miauserid") != "u-admin" || next.req.Header.Get("Miauserproperties") != `{"email":"a@example.com"}` {
		t.Errorf("upstream headers %v", next.req.Header)
	}
	before := calls
	serve(h, r)
	if calls != before {
		t.Errorf("cacheTtl: userinfo called again (%d → %d)", before, calls)
	}
}

func TestDecisionMode(t *testing.T) {
	c := CreateConfig()
	c.Mode = "decision"
	c.TrustUserHeaders = true
	c.RulesJSON = testRules
	next := &seen{}
	h := mustNew(t, c, next)

	r := httptest.NewRequest("GET", "/auth", nil)
	r.Header.Set("X-Forwarded-Uri", "/users/?q=1")
	r.Header.Set("X-Forwarded-Method", "GET")
	r.Header.Set("miauserid", "u1")
	r.Header.Set("miausergroups", "admin,ops")
	rec := serve(h, r)
	if rec.Code != 200 || next.called {
		t.Fatalf("status %d, next called %v", rec.Code, next.called)
	}
	if rec.Header().Get("Mia-Allowed") != "1" || rec.Header().Get("Mia-Userid") != "u1" || rec.Header().Get("Mia-Groups") != "admin,ops" {
		t.Errorf("headers %v", rec.Header())
	}

	r = httptest.NewRequest("GET", "/auth/users/", nil)
	r.Header.Set("Original-Request-Uri", "/users/")
	r.Header.Set("Original-Request-Method", "DELETE")
	rec = serve(h, r)
	if rec.Code != 401 || rec.Header().Get("Mia-Allowed") != "0" || next.called {
		t.Errorf("anonymous: status %d, headers %v", rec.Code, rec.Header())
	}

	r = httptest.NewRequest("GET", "/auth", nil)
	rec = serve(h, r)
	if rec.Code != 400 {
		t.Errorf("missing target: status %d", rec.Code)
	}
}

func hs256(t *testing.T, secret string, claims map[string]any) string {
	t.Helper()
	enc := base64.RawURLEncoding
	hdr := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	body, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	in := hdr + "." + enc.EncodeToString(body)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(in))
	return in + "." + enc.EncodeToString(m.Sum(nil))
}

func TestJWT(t *testing.T) {
	secret := strings.Repeat("s", 32)
	c := CreateConfig()
	c.JWT = []JWT{{HMACSecret: secret, Issuer: "https://issuer", Audience: []string{"api"}, Leeway: "5s", PermissionsClaim: "scope"}}
	c.RulesJSON = testRules
	next := &seen{}
	h := mustNew(t, c, next)
	now := time.Now().Unix()
	good := hs256(t, secret, map[string]any{"sub": "svc", "iss": "https://issuer", "aud": "api", "exp": now + 60, "iat": now, "groups": []string{"ops"}, "scope": "users:read other"})
	r := get("/users/7")
	r.Header.Set("Authorization", "Bearer "+good)
	if rec := serve(h, r); rec.Code != 200 || next.req.Header.Get("Miauserid") != "svc" {
		t.Fatalf("good token: %d", rec.Code)
	}
	expired := hs256(t, secret, map[string]any{"sub": "svc", "iss": "https://issuer", "aud": "api", "exp": now - 60})
	r = get("/")
	r.Header.Set("Authorization", "Bearer "+expired)
	rec := serve(h, r)
	if rec.Code != 401 || !strings.Contains(rec.Header().Get("Www-Authenticate"), "invalid_token") {
		t.Errorf("expired token on a public route: %d %v", rec.Code, rec.Header())
	}
}

func TestTokenEndpointWithJWKS(t *testing.T) {
	// The token endpoint and a JWT authorizer whose jwksUrl points at the
	// same middleware: token paths are answered before authorization.
	// The background JWKS fetch starts inside New: requests wait until the
	// handler exists, as they would queue behind Traefik's start-up.
	var h http.Handler
	ready := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-ready
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	c := CreateConfig()
	c.TokenEndpoint = &TokenEndpoint{
		Issuer: "https://gw.example", Audience: []string{"api"}, TTL: "10m",
		Clients: []TokenClient{{ID: "svc", Secret: "s3cr3t-value", Scopes: []string{"read"}, Permissions: []string{"users:read"}, Groups: []string{"ops"}}},
	}
	c.JWT = []JWT{{JWKSURL: srv.URL + "/.well-known/jwks.json", Issuer: "https://gw.example", Audience: []string{"api"}}}
	c.RulesJSON = testRules
	next := &lockedSeen{}
	built, err := New(context.Background(), next, c, "authz@file")
	if err != nil {
		h = http.NotFoundHandler()
		close(ready)
		t.Fatal(err)
	}
	h = built
	close(ready)
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"svc"}, "client_secret": {"s3cr3t-value"}}
	resp, err := http.Post(srv.URL+"/oauth/token", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	err = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || tok.AccessToken == "" || tok.ExpiresIn != 600 {
		t.Fatalf("token: %d %v %+v", resp.StatusCode, err, tok)
	}
	req, _ := http.NewRequest("GET", srv.URL+"/users/7", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || next.header("Miauserid") != "svc" {
		t.Fatalf("with token: status %d", resp.StatusCode)
	}
	req, _ = http.NewRequest("GET", srv.URL+"/users/", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Fatalf("not admin: status %d", resp.StatusCode)
	}
	resp, err = http.Get(srv.URL + "/oauth/token")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 {
		t.Errorf("GET token: %d", resp.StatusCode)
	}
}

// lockedSeen is a next handler used from server goroutines.
type lockedSeen struct {
	mu  sync.Mutex
	hdr http.Header
}

func (s *lockedSeen) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.hdr = r.Header.Clone()
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func (s *lockedSeen) header(k string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hdr.Get(k)
}

func TestRequestURIFollowsCanonicalPath(t *testing.T) {
	c := CreateConfig()
	c.RulesJSON = `{"/": {"ALL": {"authorization": {"expression": "true", "public": true}}}}`
	next := &seen{}
	h := mustNew(t, c, next)
	r := get("/public//a/./b/../c?x=1&y=/../z")
	serve(h, r)
	if next.req.URL.Path != "/public/a/c" || next.req.RequestURI != "/public/a/c?x=1&y=/../z" {
		t.Errorf("path %q, RequestURI %q", next.req.URL.Path, next.req.RequestURI)
	}
	r = get("/plain?q=1")
	serve(h, r)
	if next.req.RequestURI != "/plain?q=1" {
		t.Errorf("RequestURI %q", next.req.RequestURI)
	}
}

// TestJWTAudienceList: audience "a, b" accepts a token for b.
func TestJWTAudienceList(t *testing.T) {
	secret := strings.Repeat("s", 32)
	c := CreateConfig()
	c.JWT = []JWT{{HMACSecret: secret, Audience: []string{"a, b"}}}
	c.Rules = []Rule{{Method: "GET", Path: "/", Expression: "true"}}
	h := mustNew(t, c, okHandler())
	now := time.Now().Unix()
	r := get("/")
	r.Header.Set("Authorization", "Bearer "+hs256(t, secret, map[string]any{"sub": "svc", "aud": "b", "exp": now + 60}))
	if rec := serve(h, r); rec.Code != 200 {
		t.Errorf("token for b: %d", rec.Code)
	}
}
