package core

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// miaExample is the official example of Mia's configuration docs plus
// example rules for /users/ and /users/:id.
const miaExample = `{
  "/":      { "GET":  {"authorization":{"expression":"true","public":true}},
              "POST": {"authorization":{"expression":"false","public":false}},
              "PUT":  {"authorization":{"expression":"false","public":false},
                       "backofficeAuthorization":{"expression":"false","public":false}} },
  "/myApi/": { "ALL":  {"authorization":{"expression":"groups.admin && isBackoffice","public":false}} },
  "/users/": { "ALL":  {"authorization":{"expression":"groups.admin","public":false},
                        "backofficeAuthorization":{"expression":"groups.admin && isBackoffice","public":false}} },
  "/users/:id": { "GET": {"authorization":{"expression":"groups.admin || permissions[\"users:read\"]","public":false}} },
  "/private": { "GET": {"authorization":{"expression":"true","public":false}} },
  "/client": { "GET": {"authorization":{"expression":"clientType == \"apiKey\" || clientType == \"apiKey2\"","public":true}} }
}`

func newTrustAuthorizer(t *testing.T, strict bool, mode string) *Authorizer {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Mode = mode
	cfg.Strict = strict
	cfg.TrustUserHeaders = true
	// behind Mia's edge, which sets the backoffice flag and the client type
	cfg.Backoffice = BackofficeFromHeader
	cfg.ClientType = ClientTypeFromHeader
	cfg.PermissionsKey = "permissions"
	cfg.UserPropertiesToProxy = []string{"email", "permissions"}
	cfg.RulesJSON = miaExample
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

type reqSpec struct {
	method, target string
	header         map[string]string
}

func (s reqSpec) build() *http.Request {
	r := httptest.NewRequest(s.method, "http://gw.test"+s.target, nil)
	for k, v := range s.header {
		r.Header[k] = append(r.Header[k], v)
	}
	return r
}

var (
	admin    = map[string]string{"Miauserid": "u1", "Miausergroups": "admin, ops", "Miauserproperties": `{"email":"a@x.io","permissions":["users:read"]}`}
	reader   = map[string]string{"Miauserid": "u2", "Miausergroups": "user", "Miauserproperties": `{"permissions":["users:read"]}`}
	plain    = map[string]string{"Miauserid": "u3"}
	adminBO  = map[string]string{"Miauserid": "u1", "Miausergroups": "admin", "Isbackoffice": "true"}
	adminBO1 = map[string]string{"Miauserid": "u1", "Miausergroups": "admin", "Isbackoffice": "1"}
)

// TestDecisionTable covers every row of the decision table, strict and
// non-strict, and the
// test vectors published with Mia-Platform's authorization service.
func TestDecisionTable(t *testing.T) {
	cases := []struct {
		name            string
		req             reqSpec
		strict, lenient int
		allowed         bool
		reason          string
	}{
		{"public route anonymous", reqSpec{"GET", "/", nil}, 200, 200, true, ReasonAllowed},
		{"route not found", reqSpec{"DELETE", "/", nil}, 401, 200, false, ReasonRouteNotFound},
		{"route not found with user", reqSpec{"DELETE", "/", admin}, 401, 200, false, ReasonRouteNotFound},
		{"private anonymous", reqSpec{"GET", "/private", nil}, 401, 200, false, ReasonUnauthenticated},
		{"private with user", reqSpec{"GET", "/private", plain}, 200, 200, true, ReasonAllowed},
		{"expression true", reqSpec{"GET", "/users/", admin}, 200, 200, true, ReasonAllowed},
		{"expression false anonymous (public)", reqSpec{"GET", "/client", nil}, 401, 200, false, ReasonUnauthenticated},
		{"expression true anonymous (public)", reqSpec{"GET", "/client", map[string]string{"Client-Type": "apiKey2"}}, 200, 200, true, ReasonAllowed},
		{"expression false user", reqSpec{"GET", "/users/", reader}, 403, 200, false, ReasonForbidden},
		{"POST / with a user", reqSpec{"POST", "/", plain}, 403, 200, false, ReasonForbidden},
		{"POST / anonymous", reqSpec{"POST", "/", nil}, 401, 200, false, ReasonUnauthenticated},
		{"permission in brackets", reqSpec{"GET", "/users/7", reader}, 200, 200, true, ReasonAllowed},
		{"no permission", reqSpec{"GET", "/users/7", plain}, 403, 200, false, ReasonForbidden},
		{"myApi admin backoffice", reqSpec{"GET", "/myApi/x", adminBO}, 200, 200, true, ReasonAllowed},
		{"myApi admin backoffice 1", reqSpec{"GET", "/myApi/x", adminBO1}, 200, 200, true, ReasonAllowed},
		{"myApi admin frontend", reqSpec{"GET", "/myApi/x", admin}, 403, 200, false, ReasonForbidden},
		{"users-internal is not /users/", reqSpec{"GET", "/users-internal", admin}, 200, 200, true, ReasonAllowed},
		{"users/info uses /users/", reqSpec{"GET", "/users/info/x", reader}, 403, 200, false, ReasonForbidden},
		{"query string ignored", reqSpec{"GET", "/users/7?x=1", reader}, 200, 200, true, ReasonAllowed},
		{"bad path", reqSpec{"GET", "/a%2Fb", admin}, 400, 400, false, ReasonBadRequest},
		{"above root", reqSpec{"GET", "/../etc", nil}, 400, 400, false, ReasonBadRequest},
		{"matrix parameter", reqSpec{"GET", "/users/7;jsessionid=x", reader}, 400, 400, false, ReasonBadRequest},
		{"matrix parameter after dot-dot", reqSpec{"GET", "/client/..;/users/", nil}, 400, 400, false, ReasonBadRequest},
		{"encoded matrix parameter", reqSpec{"GET", "/users/%3Bx", admin}, 400, 400, false, ReasonBadRequest},
		{"double-encoded dots", reqSpec{"GET", "/client/%252e%252e/users/", nil}, 400, 400, false, ReasonBadRequest},
		{"bad trusted properties", reqSpec{"GET", "/", map[string]string{"Miauserid": "u", "Miauserproperties": "{not json"}}, 400, 400, false, ReasonBadRequest},
		{"trusted properties not an object", reqSpec{"GET", "/", map[string]string{"Miauserid": "u", "Miauserproperties": "[1]"}}, 400, 400, false, ReasonBadRequest},
		{"trusted header in a non-canonical spelling", reqSpec{"GET", "/", map[string]string{"miauserid": "u"}}, 400, 400, false, ReasonBadRequest},
		{"alias of a response header is only stripped", reqSpec{"GET", "/private", map[string]string{"Mia_userid": "u"}}, 401, 200, false, ReasonUnauthenticated},
		{"trusted header twice", reqSpec{"GET", "/", map[string]string{"Miauserid": "u"}}, 200, 200, true, ReasonAllowed},
	}
	for i := 0; i < len(cases); i++ {
		tc := cases[i]
		for _, strict := range []bool{true, false} {
			a := newTrustAuthorizer(t, strict, ModeInline)
			d := a.Authorize(tc.req.build())
			want := tc.strict
			if !strict {
				want = tc.lenient
			}
			if d.Status != want || d.Allowed != tc.allowed || d.Reason != tc.reason {
				t.Errorf("%s (strict %v): status %d allowed %v reason %s; want %d %v %s",
					tc.name, strict, d.Status, d.Allowed, d.Reason, want, tc.allowed, tc.reason)
			}
			if d.Continue != (want == 200) {
				t.Errorf("%s (strict %v): Continue = %v", tc.name, strict, d.Continue)
			}
		}
	}
}

func TestTrustedHeaderAliases(t *testing.T) {
	cfg := DefaultConfig()
	cfg.TrustUserHeaders = true
	cfg.UseridHeader = "x-user-id"
	cfg.GroupsHeader = "x-user-groups"
	cfg.RulesJSON = `{"/": {"ALL": {"authorization": {"expression": "true", "public": true}}}}`
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	cases := []struct {
		header map[string]string
		status int
		user   string
	}{
		{map[string]string{"X-User-Id": "u"}, 200, "u"},
		{map[string]string{"X_user_id": "u"}, 400, ""},
		{map[string]string{"X-User-Id": "u", "X.user.groups": "admin"}, 400, ""},
		{map[string]string{"X-User-Id": "u", "Miauserid": "evil"}, 200, "u"}, // a default name, not read here: stripped
	}
	for i := 0; i < len(cases); i++ {
		tc := cases[i]
		r := reqSpec{"GET", "/", tc.header}.build()
		d := a.Authorize(r)
		if d.Status != tc.status || d.User.ID != tc.user {
			t.Errorf("%v: status %d user %q", tc.header, d.Status, d.User.ID)
		}
		if _, ok := r.Header["Miauserid"]; ok {
			t.Errorf("%v: miauserid survived", tc.header)
		}
	}
}

func TestTrustedHeaderRepeated(t *testing.T) {
	a := newTrustAuthorizer(t, true, ModeInline)
	r := reqSpec{"GET", "/", nil}.build()
	r.Header["Miauserid"] = []string{"a", "b"}
	if d := a.Authorize(r); d.Status != 400 {
		t.Errorf("two trusted ids: status %d, want 400", d.Status)
	}
}

func TestUpstreamHeaders(t *testing.T) {
	a := newTrustAuthorizer(t, true, ModeInline)
	r := reqSpec{"GET", "/users/7", admin}.build()
	r.Header.Set("Authorization", "Bearer x")
	r.Header.Set("Cookie", "sid=1")
	r.Header.Set("Client-Type", "web")
	d := a.Authorize(r)
	if !d.Continue {
		t.Fatalf("denied: %+v", d)
	}
	want := map[string]string{
		"Miauserid":         "u1",
		"Miausergroups":     "admin,ops",
		"Miauserproperties": `{"email":"a@x.io","permissions":["users:read"]}`,
		"Authorization":     "Bearer x",
		"Cookie":            "sid=1",
		"Client-Type":       "web",
	}
	for k, v := range want {
		if got := r.Header[k]; len(got) != 1 || got[0] != v {
			t.Errorf("upstream %s = %q, want %q", k, got, v)
		}
	}
	if _, ok := r.Header["Mia-Allowed"]; ok {
		t.Error("strict mode must not send mia-allowed upstream")
	}
	if d.Route != "GET /users/:id" || d.User.ID != "u1" || d.Path != "/users/7" {
		t.Errorf("decision %+v", d)
	}
}

func TestUpstreamHeadersNonStrict(t *testing.T) {
	a := newTrustAuthorizer(t, false, ModeInline)
	cases := []struct {
		req     reqSpec
		allowed string
		user    bool
	}{
		{reqSpec{"GET", "/", nil}, "1", false},
		{reqSpec{"GET", "/private", nil}, "0", false},
		{reqSpec{"GET", "/users/", reader}, "0", true},
		{reqSpec{"GET", "/users/", admin}, "1", true},
	}
	for i := 0; i < len(cases); i++ {
		tc := cases[i]
		r := tc.req.build()
		r.Header["Mia-Allowed"] = []string{"1"} // spoofed
		d := a.Authorize(r)
		if !d.Continue {
			t.Fatalf("%s %s: non-strict must continue", tc.req.method, tc.req.target)
		}
		if got := r.Header["Mia-Allowed"]; len(got) != 1 || got[0] != tc.allowed {
			t.Errorf("%s: mia-allowed %q, want %s", tc.req.target, got, tc.allowed)
		}
		_, hasID := r.Header["Miauserid"]
		if hasID != tc.user {
			t.Errorf("%s: user header present %v, want %v", tc.req.target, hasID, tc.user)
		}
	}
}

func TestAnonymousHasNoIdentityHeaders(t *testing.T) {
	a := newTrustAuthorizer(t, true, ModeInline)
	r := reqSpec{"GET", "/", map[string]string{"Miausergroups": "admin", "Miauserproperties": `{"email":"x"}`}}.build()
	d := a.Authorize(r)
	if !d.Continue || !d.User.Anonymous() {
		t.Fatalf("decision %+v", d)
	}
	for _, h := range []string{"Miauserid", "Miausergroups", "Miauserproperties"} {
		if _, ok := r.Header[h]; ok {
			t.Errorf("anonymous request carries %s upstream", h)
		}
	}
}

// TestAntiSpoofing: every alias spelling of every identity header is
// removed, also when the identity source finds nobody.
func TestAntiSpoofing(t *testing.T) {
	cfg := DefaultConfig()
	cfg.UseridHeader = "x-user-id"
	cfg.RulesJSON = `{"/": {"ALL": {"authorization": {"expression": "true", "public": true}}}}`
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	spoofed := []string{"Miauserid", "MIAUSERID", "miauserid", "Miausergroups", "Miauserproperties",
		"Mia-Allowed", "Mia_allowed", "Mia-Userid", "Mia_userid", "mia.userid", "Mia-Groups", "Mia-Userproperties",
		"X-User-Id", "X_User_Id", "x.user.id", "X-USER-ID"}
	r := httptest.NewRequest("GET", "/", nil)
	for i := 0; i < len(spoofed); i++ {
		r.Header[spoofed[i]] = []string{"evil", "twice"}
	}
	r.Header["X-Other"] = []string{"kept"}
	d := a.Authorize(r)
	if !d.Continue {
		t.Fatal("denied")
	}
	for name := range r.Header {
		if name != "X-Other" {
			t.Errorf("header %q survived", name)
		}
	}
}

func TestDecisionMode(t *testing.T) {
	cases := []struct {
		name   string
		header map[string]string
		status int
		want   map[string]string
	}{
		{"allowed via Original-Request-Uri", map[string]string{"Original-Request-Uri": "/users/7?x=1", "Original-Request-Method": "GET", "Miauserid": "u2", "Miausergroups": "user", "Miauserproperties": `{"permissions":["users:read"]}`},
			200, map[string]string{"Mia-Allowed": "1", "Mia-Userid": "u2", "Mia-Groups": "user", "Mia-Userproperties": `{"permissions":["users:read"]}`}},
		{"forbidden via X-Forwarded-Uri", map[string]string{"X-Forwarded-Uri": "/users/", "X-Forwarded-Method": "GET", "Miauserid": "u2", "Miausergroups": "user,ops"},
			403, map[string]string{"Mia-Allowed": "0", "Mia-Userid": "u2", "Mia-Groups": "user,ops", "Mia-Userproperties": "{}"}},
		{"unauthorized anonymous", map[string]string{"Original-Request-Uri": "/private", "Original-Request-Method": "GET"},
			401, map[string]string{"Mia-Allowed": "0", "Mia-Userid": "", "Mia-Groups": "", "Mia-Userproperties": ""}},
		{"both pairs agree", map[string]string{"Original-Request-Uri": "/private?a=1", "Original-Request-Method": "GET", "X-Forwarded-Uri": "http://gw.example//private?b=2", "X-Forwarded-Method": "GET", "Miauserid": "u"},
			200, map[string]string{"Mia-Allowed": "1", "Mia-Userid": "u"}},
		{"pairs name different paths", map[string]string{"Original-Request-Uri": "/", "Original-Request-Method": "GET", "X-Forwarded-Uri": "/private", "X-Forwarded-Method": "GET"},
			400, map[string]string{"Mia-Allowed": "0", "Mia-Userid": ""}},
		{"pairs name different methods", map[string]string{"Original-Request-Uri": "/", "Original-Request-Method": "GET", "X-Forwarded-Uri": "/", "X-Forwarded-Method": "POST"},
			400, map[string]string{"Mia-Allowed": "0"}},
		{"pairs differ by a dot segment only", map[string]string{"Original-Request-Uri": "/x/../private", "Original-Request-Method": "GET", "X-Forwarded-Uri": "/private", "X-Forwarded-Method": "GET", "Miauserid": "u"},
			200, map[string]string{"Mia-Allowed": "1"}},
		{"uris differ, forwarded method missing", map[string]string{"Original-Request-Uri": "/", "Original-Request-Method": "GET", "X-Forwarded-Uri": "/private"},
			400, map[string]string{"Mia-Allowed": "0"}},
		{"methods differ, forwarded uri missing", map[string]string{"Original-Request-Uri": "/", "Original-Request-Method": "GET", "X-Forwarded-Method": "DELETE"},
			400, map[string]string{"Mia-Allowed": "0"}},
		{"forwarded uri is a bad path", map[string]string{"Original-Request-Uri": "/", "Original-Request-Method": "GET", "X-Forwarded-Uri": "/%2F", "X-Forwarded-Method": "GET"},
			400, map[string]string{"Mia-Allowed": "0"}},
		{"absolute URI", map[string]string{"Original-Request-Uri": "http://h.example/private", "Original-Request-Method": "GET", "Miauserid": "u"},
			200, map[string]string{"Mia-Allowed": "1", "Mia-Userid": "u"}},
		{"double slash never redirects", map[string]string{"Original-Request-Uri": "//private", "Original-Request-Method": "GET"},
			401, map[string]string{"Mia-Allowed": "0"}},
		{"encoded slashes are a bad path", map[string]string{"Original-Request-Uri": "/%2F%2Fprivate", "Original-Request-Method": "GET"},
			400, map[string]string{"Mia-Allowed": "0"}},
		{"missing target", map[string]string{}, 400, map[string]string{"Mia-Allowed": "0"}},
	}
	a := newTrustAuthorizer(t, true, ModeDecision)
	for i := 0; i < len(cases); i++ {
		tc := cases[i]
		for _, path := range []string{"/auth", "/auth/users/7", "/anything"} {
			r := reqSpec{"GET", path, tc.header}.build()
			d := a.Authorize(r)
			if d.Continue {
				t.Fatalf("%s: decision mode must never continue", tc.name)
			}
			w := httptest.NewRecorder()
			a.Respond(w, &d)
			if w.Code != tc.status {
				t.Errorf("%s %s: status %d, want %d", tc.name, path, w.Code, tc.status)
			}
			for k, v := range tc.want {
				got, ok := w.Header()[k]
				if !ok || len(got) != 1 || got[0] != v {
					t.Errorf("%s: %s = %q, want %q", tc.name, k, got, v)
				}
			}
			if w.Header().Get("Location") != "" {
				t.Errorf("%s: redirected", tc.name)
			}
		}
	}
}

func TestDenialBody(t *testing.T) {
	a := newTrustAuthorizer(t, true, ModeInline)
	cases := []struct {
		req    reqSpec
		status int
		errTxt string
	}{
		{reqSpec{"GET", "/private", nil}, 401, "Unauthorized"},
		{reqSpec{"GET", "/users/", reader}, 403, "Forbidden"},
		{reqSpec{"GET", "/a%2fb", nil}, 400, "Bad Request"},
	}
	for i := 0; i < len(cases); i++ {
		tc := cases[i]
		d := a.Authorize(tc.req.build())
		w := httptest.NewRecorder()
		a.Respond(w, &d)
		if w.Code != tc.status || w.Header().Get("Content-Type") != "application/json" {
			t.Errorf("%s: %d %q", tc.req.target, w.Code, w.Header().Get("Content-Type"))
		}
		body := w.Body.String()
		prefix := `{"statusCode":` + strconv.Itoa(tc.status) + `,"error":"` + tc.errTxt + `","message":"`
		if !strings.HasPrefix(body, prefix) || !strings.HasSuffix(body, `"}`) {
			t.Errorf("%s: body %s", tc.req.target, body)
		}
		if strings.Contains(body, "groups.admin") || strings.Contains(body, "/users/") {
			t.Errorf("body names rule internals: %s", body)
		}
	}
}

func TestCanonicalPathForwarded(t *testing.T) {
	a := newTrustAuthorizer(t, true, ModeInline)
	r := reqSpec{"GET", "/users//x/./../7", reader}.build()
	d := a.Authorize(r)
	if !d.Continue {
		t.Fatalf("denied: %+v", d)
	}
	if r.URL.Path != "/users/7" {
		t.Fatalf("path %q", r.URL.Path)
	}
	if r.URL.EscapedPath() != d.Path {
		t.Errorf("forwarded %q, decided on %q", r.URL.EscapedPath(), d.Path)
	}
	// RequestURI follows, with the query string kept
	r = reqSpec{"GET", "/users//x/./../7?q=/../a", reader}.build()
	r.RequestURI = "/users//x/./../7?q=/../a"
	if d := a.Authorize(r); !d.Continue || r.RequestURI != "/users/7?q=/../a" {
		t.Errorf("RequestURI %q", r.RequestURI)
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"two identity sources", func(c *Config) { c.UserinfoURL = "http://x"; c.TrustUserHeaders = true }, "only one of"},
		{"bad mode", func(c *Config) { c.Mode = "proxy" }, "mode:"},
		{"bad userinfo url", func(c *Config) { c.UserinfoURL = "ftp://x" }, "userinfo_url:"},
		{"backoffice without userinfo", func(c *Config) { c.BackofficeUserinfoURL = "http://x" }, "backoffice_userinfo_url:"},
		{"bad header name", func(c *Config) { c.UseridHeader = "a b" }, "userid_header:"},
		{"negative timeout", func(c *Config) { c.UserinfoTimeout = -1 }, "userinfo_timeout:"},
		{"negative cache", func(c *Config) { c.UserinfoURL = "http://x"; c.CacheTTL = -1 }, "cache_ttl:"},
		{"bad cache size", func(c *Config) { c.UserinfoURL = "http://x"; c.CacheTTL = 1; c.CacheSize = 0 }, "cache_size:"},
		{"bad rules", func(c *Config) { c.RulesJSON = `{"x":1}` }, "rules_json"},
	}
	for i := 0; i < len(cases); i++ {
		tc := cases[i]
		cfg := DefaultConfig()
		tc.mod(&cfg)
		a, err := New(cfg)
		if err == nil {
			a.Close()
			t.Errorf("%s: no error", tc.name)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %q does not contain %q", tc.name, err, tc.want)
		}
	}
}

// TestHeaderValuesNotShared: a handler that edits a header value in place
// (Caddy's request_header does) must not change another request's headers.
func TestHeaderValuesNotShared(t *testing.T) {
	for _, mode := range []string{ModeInline, ModeDecision} {
		a := newTrustAuthorizer(t, false, mode)
		get := func() []string {
			r := reqSpec{"GET", "/", map[string]string{"Original-Request-Uri": "/", "Original-Request-Method": "GET"}}.build()
			d := a.Authorize(r)
			if mode == ModeInline {
				return r.Header["Mia-Allowed"]
			}
			w := httptest.NewRecorder()
			a.Respond(w, &d)
			return w.Header()["Mia-Allowed"]
		}
		first := get()
		first[0] = "edited"
		if second := get(); len(second) != 1 || second[0] != "1" {
			t.Errorf("%s: mia-allowed of a later request is %q", mode, second)
		}
	}
}
