package core

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Secrets of the two issuers of these tests.
const (
	issSecretA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	issSecretB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

func issExp() string { return strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10) }

// twoIssuers is the configuration of two jwt blocks with their own
// audience and claim mapping: staff (groups in "roles", id in
// "preferred_username") and machines (id in client_id, permissions in scope).
func twoIssuers() []JWTConfig {
	a := DefaultJWTConfig()
	a.HMACSecret = issSecretA
	a.Issuer = "https://staff.example"
	a.Audience = []string{"staff-api"}
	a.UserIDClaim = "preferred_username"
	a.GroupsClaim = "roles"
	b := DefaultJWTConfig()
	b.HMACSecret = issSecretB
	b.Issuer = "https://machines.example"
	b.Audience = []string{"machine-api"}
	b.UserIDClaim = "client_id"
	b.PermissionsClaim = "scope"
	return []JWTConfig{a, b}
}

func issAuthorizer(t *testing.T, mod func(c *Config)) *Authorizer {
	t.Helper()
	cfg := DefaultConfig()
	cfg.RulesJSON = `{"/": {"ALL": {"authorization": {"expression": "true", "public": true}}},
	  "/admin/": {"ALL": {"authorization": {"expression": "groups.admin || permissions[\"admin:write\"]", "public": false}}}}`
	mod(&cfg)
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

func TestSeveralIssuers(t *testing.T) {
	exp := issExp()
	staff := hs256(issSecretA, `{"iss":"https://staff.example","aud":"staff-api","preferred_username":"ann","sub":"uuid-1","roles":["admin"],"exp":`+exp+`}`)
	machine := hs256(issSecretB, `{"iss":"https://machines.example","aud":"machine-api","client_id":"billing","sub":"x","scope":"admin:write read","exp":`+exp+`}`)
	staffWrongAud := hs256(issSecretA, `{"iss":"https://staff.example","aud":"machine-api","preferred_username":"ann","roles":["admin"],"exp":`+exp+`}`)
	machineWrongAud := hs256(issSecretB, `{"iss":"https://machines.example","aud":"staff-api","client_id":"billing","scope":"admin:write","exp":`+exp+`}`)
	staffByB := hs256(issSecretB, `{"iss":"https://staff.example","aud":"staff-api","preferred_username":"ann","roles":["admin"],"exp":`+exp+`}`)
	unknown := hs256(issSecretA, `{"iss":"https://other.example","aud":"staff-api","preferred_username":"ann","exp":`+exp+`}`)
	noIss := hs256(issSecretA, `{"aud":"staff-api","preferred_username":"ann","exp":`+exp+`}`)
	blocks := twoIssuers()
	variants := []struct {
		name string
		mod  func(c *Config)
	}{
		{"JWTIssuers", func(c *Config) { c.JWTIssuers = blocks }},
		{"JWT then JWTIssuers", func(c *Config) { c.JWT = &blocks[0]; c.JWTIssuers = blocks[1:] }},
	}
	cases := []struct {
		name, tok string
		status    int
		user      string
		groups    string
		perms     string
	}{
		{"staff", staff, 200, "ann", "admin", ""},
		{"machine", machine, 200, "billing", "", "admin:write,read"},
		{"staff under the machines' audience", staffWrongAud, 401, "", "", ""},
		{"machine under the staff audience", machineWrongAud, 401, "", "", ""},
		{"staff iss signed with the machines' key", staffByB, 401, "", "", ""},
		{"unknown iss", unknown, 401, "", "", ""},
		{"no iss", noIss, 401, "", "", ""},
		{"no token", "", 401, "", "", ""},
	}
	for v := 0; v < len(variants); v++ {
		vr := variants[v]
		a := issAuthorizer(t, vr.mod)
		for i := 0; i < len(cases); i++ {
			tc := cases[i]
			r := httptest.NewRequest("GET", "/admin/x", nil)
			if tc.tok != "" {
				r.Header.Set("Authorization", "Bearer "+tc.tok)
			}
			d := a.Authorize(r)
			if d.Status != tc.status || d.User.ID != tc.user || strings.Join(d.User.Groups, ",") != tc.groups || strings.Join(d.User.Permissions, ",") != tc.perms {
				t.Errorf("%s/%s: status %d user %q groups %v perms %v, want %d %q %q %q", vr.name, tc.name, d.Status, d.User.ID, d.User.Groups, d.User.Permissions, tc.status, tc.user, tc.groups, tc.perms)
			}
			if tc.tok != "" && tc.status == 401 && d.Reason != ReasonInvalidToken {
				t.Errorf("%s/%s: reason %s, want invalid_token", vr.name, tc.name, d.Reason)
			}
		}
	}
}

// TestSingleIssuerUnchanged: one block needs no issuer and takes any iss.
func TestSingleIssuerUnchanged(t *testing.T) {
	j := DefaultJWTConfig()
	j.HMACSecret = issSecretA
	a := issAuthorizer(t, func(c *Config) { c.JWTIssuers = []JWTConfig{j} })
	for _, claims := range []string{`{"sub":"u","groups":["admin"],"exp":` + issExp() + `}`, `{"iss":"https://any","sub":"u","groups":["admin"],"exp":` + issExp() + `}`} {
		r := httptest.NewRequest("GET", "/admin/", nil)
		r.Header.Set("Authorization", "Bearer "+hs256(issSecretA, claims))
		if d := a.Authorize(r); d.Status != 200 || d.User.ID != "u" {
			t.Errorf("%s: %d %q", claims, d.Status, d.User.ID)
		}
	}
}

func TestJWTConfigErrors(t *testing.T) {
	cases := []struct {
		name string
		mod  func(c *Config)
		want string
	}{
		{"second block without issuer", func(c *Config) {
			b := twoIssuers()
			b[1].Issuer = ""
			c.JWTIssuers = b
		}, "jwt block 2: issuer is required when several jwt blocks are configured"},
		{"named block without issuer", func(c *Config) {
			b := twoIssuers()
			b[0].Issuer = ""
			b[0].Name = "jwt[0]"
			c.JWTIssuers = b
		}, "jwt[0]: issuer is required"},
		{"same issuer twice", func(c *Config) {
			b := twoIssuers()
			b[1].Issuer = b[0].Issuer
			c.JWTIssuers = b
		}, `jwt block 2: issuer "https://staff.example" is configured in two jwt blocks`},
		{"key error names the block", func(c *Config) {
			b := twoIssuers()
			b[1].HMACSecret = "short"
			c.JWTIssuers = b
		}, "jwt block 2: hmac_secret must be at least 32 bytes long"},
		{"bad token_from", func(c *Config) {
			j := DefaultJWTConfig()
			j.HMACSecret = issSecretA
			j.TokenFrom = []string{"header:Authorization", "body:token"}
			c.JWT = &j
		}, `jwt: token_from: "body:token" (entry 2) is not header:<Name>, cookie:<name> or query:<name>`},
		{"token_from twice", func(c *Config) {
			j := DefaultJWTConfig()
			j.HMACSecret = issSecretA
			j.TokenFrom = []string{"cookie:at", "cookie:at"}
			c.JWT = &j
		}, `"cookie:at" (entry 2) is given twice`},
		{"token_from that differs", func(c *Config) {
			b := twoIssuers()
			b[0].TokenFrom = []string{"cookie:at"}
			b[1].TokenFrom = []string{"header:Authorization"}
			c.JWTIssuers = b
		}, `jwt block 2: token_from "header:Authorization" differs from jwt block 1's "cookie:at"`},
		{"two sources without identity_order", func(c *Config) {
			j := DefaultJWTConfig()
			j.HMACSecret = issSecretA
			c.JWT = &j
			c.UserinfoURL = "http://id.example/userinfo"
		}, "identity: configure only one of userinfo_url, trust_user_headers and jwt"},
		{"identity_order unknown", func(c *Config) {
			c.UserinfoURL = "http://id.example/userinfo"
			c.IdentityOrder = []string{"userinfo", "apikey"}
		}, `identity_order: "apikey" is not jwt or userinfo`},
		{"identity_order twice", func(c *Config) {
			c.UserinfoURL = "http://id.example/userinfo"
			c.IdentityOrder = []string{"userinfo", "userinfo"}
		}, `identity_order: "userinfo" is listed twice`},
		{"identity_order jwt not configured", func(c *Config) {
			c.UserinfoURL = "http://id.example/userinfo"
			c.IdentityOrder = []string{"jwt", "userinfo"}
		}, `identity_order: "jwt" is listed but no jwt block is configured`},
		{"identity_order userinfo not configured", func(c *Config) {
			c.JWTIssuers = twoIssuers()
			c.IdentityOrder = []string{"jwt", "userinfo"}
		}, `identity_order: "userinfo" is listed but userinfo_url is not set`},
		{"identity_order misses a source", func(c *Config) {
			c.JWTIssuers = twoIssuers()
			c.UserinfoURL = "http://id.example/userinfo"
			c.IdentityOrder = []string{"jwt"}
		}, "identity_order: userinfo_url is set but userinfo is not listed"},
		{"identity_order with trusted headers", func(c *Config) {
			c.JWTIssuers = twoIssuers()
			c.TrustUserHeaders = true
			c.IdentityOrder = []string{"jwt"}
		}, "identity_order: trust_user_headers cannot be combined"},
	}
	for i := 0; i < len(cases); i++ {
		tc := cases[i]
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.RulesJSON = `{}`
			tc.mod(&cfg)
			a, err := New(cfg)
			if err == nil {
				a.Close()
				t.Fatalf("no error, want %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q, want %q", err, tc.want)
			}
		})
	}
}

func TestTokenFrom(t *testing.T) {
	exp := issExp()
	good := hs256(issSecretA, `{"sub":"u","groups":["admin"],"exp":`+exp+`}`)
	bad := hs256(issSecretB, `{"sub":"u","groups":["admin"],"exp":`+exp+`}`)
	type req struct {
		auth, header, cookie, query string
	}
	cases := []struct {
		name   string
		from   []string
		req    req
		status int
		user   string
		// query left for the upstream (inline)
		rest string
	}{
		{"default bearer", nil, req{auth: "Bearer " + good}, 200, "u", ""},
		{"default ignores a cookie", nil, req{cookie: good}, 401, "", ""},
		{"default ignores the query", nil, req{query: "at=" + good}, 401, "", "at=" + good},
		{"explicit default", []string{"header:Authorization"}, req{auth: "Bearer " + good}, 200, "u", ""},
		{"custom header bare", []string{"header:X-Token"}, req{header: good}, 200, "u", ""},
		{"custom header Bearer", []string{"header:x-token"}, req{header: "Bearer " + good}, 200, "u", ""},
		{"custom header invalid", []string{"header:X-Token"}, req{header: bad}, 401, "", ""},
		{"cookie", []string{"cookie:at"}, req{cookie: good}, 200, "u", ""},
		{"empty cookie is absent", []string{"cookie:at"}, req{cookie: ""}, 401, "", ""},
		{"query", []string{"query:at"}, req{query: "a=1&at=" + good + "&b=2"}, 200, "u", "a=1&b=2"},
		{"query escaped name", []string{"query:access_token"}, req{query: "access%5Ftoken=" + good}, 200, "u", ""},
		{"query twice is invalid", []string{"query:at"}, req{query: "at=" + good + "&at=" + good}, 401, "", ""},
		{"header before cookie", []string{"header:Authorization", "cookie:at"}, req{auth: "Bearer " + good, cookie: bad}, 200, "u", ""},
		{"invalid header wins over a good cookie", []string{"header:Authorization", "cookie:at"}, req{auth: "Bearer " + bad, cookie: good}, 401, "", ""},
		{"Basic is not a bearer token: cookie", []string{"header:Authorization", "cookie:at"}, req{auth: "Basic dTpw", cookie: good}, 200, "u", ""},
		{"cookie before query; query still removed", []string{"cookie:at", "query:at"}, req{cookie: good, query: "at=" + bad + "&x=1"}, 200, "u", "x=1"},
		{"none present", []string{"cookie:at", "query:at"}, req{query: "x=1"}, 401, "", "x=1"},
	}
	for i := 0; i < len(cases); i++ {
		tc := cases[i]
		t.Run(tc.name, func(t *testing.T) {
			j := DefaultJWTConfig()
			j.HMACSecret = issSecretA
			j.TokenFrom = tc.from
			a := issAuthorizer(t, func(c *Config) { c.JWT = &j })
			target := "/admin/x"
			if tc.req.query != "" {
				target += "?" + tc.req.query
			}
			r := httptest.NewRequest("GET", target, nil)
			if tc.req.auth != "" {
				r.Header.Set("Authorization", tc.req.auth)
			}
			if tc.req.header != "" {
				r.Header.Set("X-Token", tc.req.header)
			}
			if tc.req.cookie != "" || tc.name == "empty cookie is absent" {
				r.AddCookie(&http.Cookie{Name: "at", Value: tc.req.cookie})
			}
			d := a.Authorize(r)
			if d.Status != tc.status || d.User.ID != tc.user {
				t.Fatalf("status %d user %q, want %d %q", d.Status, d.User.ID, tc.status, tc.user)
			}
			if d.Continue && (r.URL.RawQuery != tc.rest || r.RequestURI != r.URL.RequestURI()) {
				t.Fatalf("upstream query %q RequestURI %q, want %q", r.URL.RawQuery, r.RequestURI, tc.rest)
			}
			hasQuery := false
			for k := 0; k < len(tc.from); k++ {
				hasQuery = hasQuery || strings.HasPrefix(tc.from[k], "query:")
			}
			if hasQuery && (strings.Contains(r.RequestURI, good) || strings.Contains(r.URL.String(), good)) {
				t.Fatalf("token left in the URL: %q", r.RequestURI)
			}
		})
	}
}

// TestTokenFromQueryDecisionMode: in decision mode the query token is read
// from the URI decided on.
func TestTokenFromQueryDecisionMode(t *testing.T) {
	good := hs256(issSecretA, `{"sub":"u","groups":["admin"],"exp":`+issExp()+`}`)
	j := DefaultJWTConfig()
	j.HMACSecret = issSecretA
	j.TokenFrom = []string{"query:at"}
	a := issAuthorizer(t, func(c *Config) { c.JWT = &j; c.Mode = ModeDecision })
	cases := []struct {
		uri    string
		status int
		user   string
	}{
		{"/admin/x?at=" + good, 200, "u"},
		{"/admin/x?b=1&at=" + good + "#f", 200, "u"},
		{"/admin/x", 401, ""},
		{"/admin/x?at=junk", 401, ""},
	}
	for i := 0; i < len(cases); i++ {
		tc := cases[i]
		r := httptest.NewRequest("GET", "/auth", nil)
		r.Header.Set("X-Forwarded-Uri", tc.uri)
		r.Header.Set("X-Forwarded-Method", "GET")
		d := a.Authorize(r)
		if d.Status != tc.status || d.User.ID != tc.user {
			t.Errorf("%.30s: %d %q, want %d %q", tc.uri, d.Status, d.User.ID, tc.status, tc.user)
		}
	}
}

// sessionService is an identity service that knows one session cookie.
func sessionService(t *testing.T) (*httptest.Server, *int) {
	calls := new(int)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*calls++
		if c, err := r.Cookie("sid"); err == nil && c.Value == "good-session" {
			w.Write([]byte(`{"sub":"browser-user","groups":["admin"]}`))
			return
		}
		w.WriteHeader(401)
	}))
	t.Cleanup(func() { srv.Close() })
	return srv, calls
}

func TestIdentityOrder(t *testing.T) {
	good := hs256(issSecretA, `{"sub":"machine","groups":["admin"],"exp":`+issExp()+`}`)
	bad := hs256(issSecretB, `{"sub":"machine","groups":["admin"],"exp":`+issExp()+`}`)
	cases := []struct {
		name   string
		order  []string
		auth   string
		cookie string
		status int
		user   string
		calls  int // userinfo calls
	}{
		{"jwt first: JWT caller", []string{"jwt", "userinfo"}, "Bearer " + good, "", 200, "machine", 0},
		{"jwt first: session caller", []string{"jwt", "userinfo"}, "", "good-session", 200, "browser-user", 1},
		{"jwt first: invalid JWT is 401, no fallback", []string{"jwt", "userinfo"}, "Bearer " + bad, "good-session", 401, "", 0},
		{"jwt first: nobody", []string{"jwt", "userinfo"}, "", "", 401, "", 1},
		{"jwt first: wrong session", []string{"jwt", "userinfo"}, "", "stale", 401, "", 1},
		{"userinfo first: session caller", []string{"userinfo", "jwt"}, "", "good-session", 200, "browser-user", 1},
		{"userinfo first: JWT caller", []string{"userinfo", "jwt"}, "Bearer " + good, "", 200, "machine", 1},
		{"userinfo first: invalid JWT", []string{"userinfo", "jwt"}, "Bearer " + bad, "", 401, "", 1},
		{"userinfo first: nobody", []string{"userinfo", "jwt"}, "", "", 401, "", 1},
	}
	for i := 0; i < len(cases); i++ {
		tc := cases[i]
		t.Run(tc.name, func(t *testing.T) {
			srv, calls := sessionService(t)
			j := DefaultJWTConfig()
			j.HMACSecret = issSecretA
			a := issAuthorizer(t, func(c *Config) {
				c.JWT = &j
				c.UserinfoURL = srv.URL
				c.IdentityOrder = tc.order
			})
			r := httptest.NewRequest("GET", "/admin/x", nil)
			if tc.auth != "" {
				r.Header.Set("Authorization", tc.auth)
			}
			if tc.cookie != "" {
				r.AddCookie(&http.Cookie{Name: "sid", Value: tc.cookie})
			}
			d := a.Authorize(r)
			if d.Status != tc.status || d.User.ID != tc.user || *calls != tc.calls {
				t.Fatalf("status %d user %q calls %d, want %d %q %d", d.Status, d.User.ID, *calls, tc.status, tc.user, tc.calls)
			}
		})
	}
}
