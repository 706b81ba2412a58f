package core

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http/httptest"
	"strings"
	"testing"
)

// inputRules exercise the inputs that the gateway decides: the client type
// and the backoffice flag.
const inputRules = `{
  "/":         { "GET": {"authorization":{"expression":"true","public":true}},
                 "OPTIONS": {"authorization":{"expression":"false","public":false}} },
  "/client":   { "GET": {"authorization":{"expression":"clientType == \"partner\"","public":true}} },
  "/partners/": { "GET": {"authorization":{"expression":"clientType == \"partner\" && groups.admin","public":false}} },
  "/private":  { "GET": {"authorization":{"expression":"groups.admin","public":false}} },
  "/cms/":     { "ALL": {"authorization":{"expression":"false","public":false},
                         "backofficeAuthorization":{"expression":"groups.admin && isBackoffice","public":false}} },
  "/cms/only": { "GET": {"backofficeAuthorization":{"expression":"true","public":true}} }
}`

// partnerKeySHA256 is the SHA-256 of "partner-key-2".
var partnerKeySHA256 = func() string {
	s := sha256.Sum256([]byte("partner-key-2"))
	return hex.EncodeToString(s[:])
}()

func newInputsAuthorizer(t *testing.T, mod func(c *Config)) *Authorizer {
	t.Helper()
	cfg := DefaultConfig()
	cfg.TrustUserHeaders = true
	cfg.RulesJSON = inputRules
	cfg.APIKeys = []APIKey{
		{Key: "partner-key", ClientType: "partner"},
		{KeySHA256: partnerKeySHA256, ClientType: "partner"},
		{Key: "web-key", ClientType: "web"},
	}
	if mod != nil {
		mod(&cfg)
	}
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// TestGatewayInputs covers the client type and the backoffice flag: what
// the rules see and what the upstream must and must not receive.
func TestGatewayInputs(t *testing.T) {
	admin := map[string]string{"Miauserid": "u1", "Miausergroups": "admin"}
	with := func(m map[string]string, k, v string) map[string]string {
		out := map[string]string{k: v}
		for mk, mv := range m {
			out[mk] = mv
		}
		return out
	}
	frontend := func(c *Config) {}
	backoffice := func(c *Config) { c.Backoffice = BackofficeTrue }
	behindEdge := func(c *Config) {
		c.Backoffice = BackofficeFromHeader
		c.ClientType = ClientTypeFromHeader
		c.APIKeys = nil
	}
	noKeys := func(c *Config) { c.APIKeys = nil }
	nonStrict := func(c *Config) { c.Strict = false }
	cases := []struct {
		name   string
		mod    func(c *Config)
		req    reqSpec
		status int
		reason string
		ct     string            // Decision.ClientType
		up     map[string]string // upstream must receive (allowed requests)
		absent []string          // upstream must not receive
	}{
		// the client cannot choose its client type or the backoffice flag
		{name: "spoofed client-type", mod: frontend, req: reqSpec{"GET", "/client", map[string]string{"Client-Type": "partner"}},
			status: 401, reason: ReasonUnauthenticated},
		{name: "spoofed client_type spelling", mod: frontend, req: reqSpec{"GET", "/", map[string]string{"Client_type": "partner"}},
			status: 200, reason: ReasonAllowed, absent: []string{"Client-Type", "Client_type"}},
		{name: "spoofed client-type stripped on public route", mod: frontend, req: reqSpec{"GET", "/", map[string]string{"Client-Type": "partner"}},
			status: 200, reason: ReasonAllowed, absent: []string{"Client-Type"}},
		{name: "spoofed isbackoffice", mod: frontend, req: reqSpec{"GET", "/cms/x", with(admin, "Isbackoffice", "true")},
			status: 403, reason: ReasonForbidden},
		{name: "spoofed isbackoffice stripped", mod: frontend, req: reqSpec{"GET", "/", with(admin, "Isbackoffice", "1")},
			status: 200, reason: ReasonAllowed, up: map[string]string{"Miauserid": "u1"}, absent: []string{"Isbackoffice"}},
		{name: "frontend never uses a backoffice-only block", mod: frontend, req: reqSpec{"GET", "/cms/only", admin},
			status: 403, reason: ReasonForbidden},

		// API keys
		{name: "known key in client-key", mod: frontend, req: reqSpec{"GET", "/client", map[string]string{"Client-Key": "partner-key"}},
			status: 200, reason: ReasonAllowed, ct: "partner", up: map[string]string{"Client-Type": "partner"}, absent: []string{"Client-Key"}},
		{name: "key wins over a spoofed client-type", mod: frontend, req: reqSpec{"GET", "/client", map[string]string{"Client-Key": "web-key", "Client-Type": "partner"}},
			status: 401, reason: ReasonUnauthenticated, ct: "web"},
		{name: "known key in secret (deprecated)", mod: frontend, req: reqSpec{"GET", "/client", map[string]string{"Secret": "partner-key"}},
			status: 200, reason: ReasonAllowed, ct: "partner", up: map[string]string{"Client-Type": "partner"}, absent: []string{"Secret"}},
		{name: "known key in client_key cookie", mod: frontend, req: reqSpec{"GET", "/client", map[string]string{"Cookie": "a=1; client_key=partner-key"}},
			status: 200, reason: ReasonAllowed, ct: "partner", up: map[string]string{"Client-Type": "partner"}},
		{name: "known key in mia_client_key cookie", mod: frontend, req: reqSpec{"GET", "/client", map[string]string{"Cookie": "mia_client_key=partner-key"}},
			status: 200, reason: ReasonAllowed, ct: "partner"},
		{name: "key given as its SHA-256", mod: frontend, req: reqSpec{"GET", "/client", map[string]string{"Client-Key": "partner-key-2"}},
			status: 200, reason: ReasonAllowed, ct: "partner", up: map[string]string{"Client-Type": "partner"}},
		{name: "key and user", mod: frontend, req: reqSpec{"GET", "/partners/x", with(admin, "Client-Key", "partner-key")},
			status: 200, reason: ReasonAllowed, ct: "partner", up: map[string]string{"Client-Type": "partner", "Miauserid": "u1"}},
		{name: "unknown key on a public route", mod: frontend, req: reqSpec{"GET", "/", map[string]string{"Client-Key": "nope"}},
			status: 401, reason: ReasonInvalidAPIKey},
		{name: "unknown key, non-strict too", mod: nonStrict, req: reqSpec{"GET", "/", map[string]string{"Client-Key": "nope"}},
			status: 401, reason: ReasonInvalidAPIKey},
		{name: "unknown key in a cookie", mod: frontend, req: reqSpec{"GET", "/", map[string]string{"Cookie": "client_key=nope"}},
			status: 401, reason: ReasonInvalidAPIKey},
		{name: "empty key header is unknown", mod: frontend, req: reqSpec{"GET", "/", map[string]string{"Client-Key": ""}},
			status: 200, reason: ReasonAllowed},
		{name: "no keys configured: key headers pass", mod: noKeys, req: reqSpec{"GET", "/", map[string]string{"Secret": "app-secret", "Client-Type": "partner"}},
			status: 200, reason: ReasonAllowed, up: map[string]string{"Secret": "app-secret"}, absent: []string{"Client-Type"}},

		// the backoffice entry point
		{name: "backoffice site uses backofficeAuthorization", mod: backoffice, req: reqSpec{"GET", "/cms/x", admin},
			status: 200, reason: ReasonAllowed, up: map[string]string{"Isbackoffice": "true", "Miauserid": "u1"}},
		{name: "backoffice site, anonymous on public", mod: backoffice, req: reqSpec{"GET", "/cms/only", nil},
			status: 200, reason: ReasonAllowed, up: map[string]string{"Isbackoffice": "true"}},
		{name: "backoffice site ignores isbackoffice: 0", mod: backoffice, req: reqSpec{"GET", "/cms/x", with(admin, "Isbackoffice", "0")},
			status: 200, reason: ReasonAllowed, up: map[string]string{"Isbackoffice": "true"}},

		// behind a trusted edge: today's header behaviour
		{name: "header mode reads client-type", mod: behindEdge, req: reqSpec{"GET", "/client", map[string]string{"Client-Type": "partner"}},
			status: 200, reason: ReasonAllowed, ct: "partner", up: map[string]string{"Client-Type": "partner"}},
		{name: "header mode reads isbackoffice", mod: behindEdge, req: reqSpec{"GET", "/cms/x", with(admin, "Isbackoffice", "true")},
			status: 200, reason: ReasonAllowed, up: map[string]string{"Isbackoffice": "true"}},
		{name: "header mode passes client-key", mod: behindEdge, req: reqSpec{"GET", "/", map[string]string{"Client-Key": "whatever"}},
			status: 200, reason: ReasonAllowed, up: map[string]string{"Client-Key": "whatever"}},
	}
	for i := 0; i < len(cases); i++ {
		tc := cases[i]
		t.Run(tc.name, func(t *testing.T) {
			a := newInputsAuthorizer(t, tc.mod)
			r := tc.req.build()
			d := a.Authorize(r)
			if d.Status != tc.status || d.Reason != tc.reason || d.ClientType != tc.ct {
				t.Fatalf("status %d reason %s client type %q; want %d %s %q", d.Status, d.Reason, d.ClientType, tc.status, tc.reason, tc.ct)
			}
			if d.Continue != (tc.status == 200) {
				t.Errorf("Continue = %v", d.Continue)
			}
			for k, v := range tc.up {
				if got := r.Header[k]; len(got) != 1 || got[0] != v {
					t.Errorf("upstream %s = %q, want %q", k, got, v)
				}
			}
			for _, k := range tc.absent {
				if got, ok := r.Header[k]; ok {
					t.Errorf("upstream must not receive %s, got %q", k, got)
				}
			}
		})
	}
}

func TestLoginRedirect(t *testing.T) {
	const login = "https://login.example/web-login?redirect={uri}"
	html := "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	cases := []struct {
		name     string
		mode     string
		req      reqSpec
		status   int
		location string
	}{
		{"browser, anonymous", ModeInline, reqSpec{"GET", "/private?a=1&b=%2F", map[string]string{"Accept": html}},
			302, "https://login.example/web-login?redirect=%2Fprivate%3Fa%3D1%26b%3D%252F"},
		{"browser HEAD", ModeInline, reqSpec{"HEAD", "/private", map[string]string{"Accept": html}},
			302, "https://login.example/web-login?redirect=%2Fprivate"},
		{"browser, rule false", ModeInline, reqSpec{"GET", "/cms/x", map[string]string{"Accept": html}},
			302, "https://login.example/web-login?redirect=%2Fcms%2Fx"},
		{"JSON client", ModeInline, reqSpec{"GET", "/private", map[string]string{"Accept": "application/json"}}, 401, ""},
		{"no Accept", ModeInline, reqSpec{"GET", "/private", nil}, 401, ""},
		{"any type", ModeInline, reqSpec{"GET", "/private", map[string]string{"Accept": "*/*"}}, 401, ""},
		{"JSON preferred", ModeInline, reqSpec{"GET", "/private", map[string]string{"Accept": "application/json, text/html;q=0.5"}}, 401, ""},
		{"POST from a browser", ModeInline, reqSpec{"POST", "/private", map[string]string{"Accept": html}}, 401, ""},
		{"403 never redirected", ModeInline, reqSpec{"GET", "/private", map[string]string{"Accept": html, "Miauserid": "u"}}, 403, ""},
		{"wrong API key never redirected", ModeInline, reqSpec{"GET", "/", map[string]string{"Accept": html, "Client-Key": "x"}}, 401, ""},
		{"decision mode", ModeDecision, reqSpec{"GET", "/auth", map[string]string{"Accept": html,
			"X-Forwarded-Uri": "/private?next=1", "X-Forwarded-Method": "GET"}},
			302, "https://login.example/web-login?redirect=%2Fprivate%3Fnext%3D1"},
	}
	for i := 0; i < len(cases); i++ {
		tc := cases[i]
		t.Run(tc.name, func(t *testing.T) {
			a := newInputsAuthorizer(t, func(c *Config) {
				c.LoginRedirect = login
				c.Mode = tc.mode
				if tc.mode == ModeDecision {
					c.APIKeys = nil
				}
			})
			d := a.Authorize(tc.req.build())
			if d.Status != tc.status || d.Continue {
				t.Fatalf("status %d continue %v, want %d", d.Status, d.Continue, tc.status)
			}
			w := httptest.NewRecorder()
			a.Respond(w, &d)
			if w.Code != tc.status || w.Header().Get("Location") != tc.location {
				t.Errorf("answer %d Location %q, want %d %q", w.Code, w.Header().Get("Location"), tc.status, tc.location)
			}
			if tc.status == 401 && !strings.Contains(w.Body.String(), `"statusCode":401`) {
				t.Errorf("401 body %q", w.Body.String())
			}
		})
	}
}

func TestPreflight(t *testing.T) {
	cors := map[string]string{"Origin": "https://app.example", "Access-Control-Request-Method": "POST",
		"Client-Type": "partner", "Miauserid": "spoofed"}
	cases := []struct {
		name      string
		mode      string
		preflight string
		req       reqSpec
		status    int
		reason    string
		cont      bool
	}{
		{"pass", ModeInline, PreflightPass, reqSpec{"OPTIONS", "/private", cors}, 200, ReasonPreflight, true},
		{"pass, no Origin is no preflight", ModeInline, PreflightPass, reqSpec{"OPTIONS", "/private", map[string]string{"Access-Control-Request-Method": "POST"}}, 401, ReasonUnauthenticated, false},
		{"pass, bad path still 400", ModeInline, PreflightPass, reqSpec{"OPTIONS", "/a/%2e%2e/%2e%2e/x", cors}, 400, ReasonBadRequest, false},
		{"decide (default)", ModeInline, "", reqSpec{"OPTIONS", "/private", cors}, 401, ReasonUnauthenticated, false},
		{"decide, rule for OPTIONS", ModeInline, PreflightDecide, reqSpec{"OPTIONS", "/", cors}, 401, ReasonUnauthenticated, false},
		{"decision mode pass", ModeDecision, PreflightPass, reqSpec{"GET", "/auth", map[string]string{"Origin": "https://app.example",
			"Access-Control-Request-Method": "POST", "Original-Request-Uri": "/private", "Original-Request-Method": "OPTIONS"}}, 200, ReasonPreflight, false},
	}
	for i := 0; i < len(cases); i++ {
		tc := cases[i]
		t.Run(tc.name, func(t *testing.T) {
			a := newInputsAuthorizer(t, func(c *Config) {
				c.Mode = tc.mode
				c.Preflight = tc.preflight
				c.TrustUserHeaders = false
				if tc.mode == ModeDecision {
					c.APIKeys = nil
				}
			})
			r := tc.req.build()
			d := a.Authorize(r)
			if d.Status != tc.status || d.Reason != tc.reason || d.Continue != tc.cont {
				t.Fatalf("status %d reason %s continue %v; want %d %s %v", d.Status, d.Reason, d.Continue, tc.status, tc.reason, tc.cont)
			}
			if tc.cont {
				for _, k := range []string{"Client-Type", "Miauserid"} {
					if _, ok := r.Header[k]; ok {
						t.Errorf("upstream must not receive %s", k)
					}
				}
			}
			if tc.mode == ModeDecision {
				w := httptest.NewRecorder()
				a.Respond(w, &d)
				if w.Code != 200 || w.Header().Get("mia-allowed") != "1" || w.Header().Get("mia-userid") != "" {
					t.Errorf("decision answer %d %v", w.Code, w.Header())
				}
			}
		})
	}
}

func TestGatewayInputsConfigErrors(t *testing.T) {
	cases := []struct {
		name string
		mod  func(c *Config)
		want string
	}{
		{"backoffice", func(c *Config) { c.Backoffice = "yes" }, `backoffice: "yes" is not false, true or header`},
		{"client_type", func(c *Config) { c.ClientType = "apikey" }, `client_type: "apikey" is not api_key or header`},
		{"keys with header client type", func(c *Config) { c.ClientType = "header" }, `client_type: "header" reads the client type from a header, so the configured API keys would never be used`},
		{"preflight", func(c *Config) { c.Preflight = "skip" }, `preflight: "skip" is not decide or pass`},
		{"login_redirect scheme", func(c *Config) { c.LoginRedirect = "javascript:alert(1)" }, `login_redirect: "javascript:alert(1)" is not an http(s) URL`},
		{"login_redirect relative", func(c *Config) { c.LoginRedirect = "web-login" }, `login_redirect: "web-login" is not`},
		{"login_redirect other placeholder", func(c *Config) { c.LoginRedirect = "/login?r={path}" }, `{uri} is the only placeholder`},
		{"empty client type", func(c *Config) { c.APIKeys = []APIKey{{Key: "k"}} }, `api_key entry 1: the client type is empty`},
		{"empty key", func(c *Config) { c.APIKeys = []APIKey{{ClientType: "a"}} }, `api_key entry 1 (client type "a"): the key is empty`},
		{"both forms", func(c *Config) { c.APIKeys = []APIKey{{Key: "k", KeySHA256: partnerKeySHA256, ClientType: "a"}} }, `give the key or its SHA-256, not both`},
		{"bad sha256", func(c *Config) { c.APIKeys = []APIKey{{KeySHA256: "abc", ClientType: "a"}} }, `api_key_sha256 entry 1 (client type "a"): "abc" is not a SHA-256 in hex`},
		{"duplicate key", func(c *Config) {
			c.APIKeys = []APIKey{{Key: "partner-key-2", ClientType: "a"}, {KeySHA256: partnerKeySHA256, ClientType: "b"}}
		}, `api_key_sha256 entry 1 (client type "b"): the same key as api_key entry 1`},
	}
	for i := 0; i < len(cases); i++ {
		tc := cases[i]
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.RulesJSON = inputRules
			cfg.APIKeys = []APIKey{{Key: "partner-key", ClientType: "partner"}}
			tc.mod(&cfg)
			a, err := New(cfg)
			if err == nil {
				a.Close()
				t.Fatalf("no error, want %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to contain %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "partner-key") {
				t.Errorf("error %q names a key", err)
			}
		})
	}
}

func TestPrefersHTML(t *testing.T) {
	cases := []struct {
		accept string
		want   bool
	}{
		{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", true},
		{"text/html", true},
		{"application/xhtml+xml", true},
		{"TEXT/HTML; charset=utf-8", true},
		{"application/json", false},
		{"*/*", false},
		{"", false},
		{"text/html;q=0", false},
		{"application/json, text/html", false},
		{"text/html, application/json", true},
		{"application/json;q=0.5, text/html", true},
		{"application/problem+json, text/html;q=0.9", false},
		{"text/html;q=bogus", false},
	}
	for _, tc := range cases {
		if got := prefersHTML(tc.accept); got != tc.want {
			t.Errorf("prefersHTML(%q) = %v, want %v", tc.accept, got, tc.want)
		}
	}
}
