package caddyauthz

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

const testRules = `{
  "/": {"GET": {"authorization": {"expression": "true", "public": true}}},
  "/users/": {"ALL": {"authorization": {"expression": "groups.admin", "public": false}}},
  "/users/:id": {"GET": {"authorization": {"expression": "groups.admin || permissions[\"users:read\"]", "public": false}}}
}`

// newIdentity serves Authorization: Bearer admin|reader as users, else 401.
func newIdentity(t *testing.T) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Header.Get("Authorization") {
		case "Bearer admin":
			io.WriteString(w, `{"sub":"u-admin","groups":["admin","ops"],"permissions":["users:read"],"email":"admin@example.com","age":42,"ratio":0.5,"active":true,"nested":{"a":1},"id":"ignored"}`)
		case "Bearer reader":
			io.WriteString(w, `{"sub":"u-reader","groups":["user"],"permissions":["users:read"],"email":"reader@example.com"}`)
		case "Bearer broken":
			w.WriteHeader(http.StatusInternalServerError)
		default:
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func newContext(t *testing.T) (caddy.Context, *prometheus.Registry) {
	t.Helper()
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	t.Cleanup(cancel)
	return ctx, ctx.GetMetricsRegistry()
}

// provision provisions a and replaces its logger with an observer.
func provision(t *testing.T, a *Authz) *observer.ObservedLogs {
	t.Helper()
	ctx, _ := newContext(t)
	if err := a.Provision(ctx); err != nil {
		t.Fatalf("provision: %v", err)
	}
	if err := a.Validate(); err != nil {
		t.Fatalf("validate: %v", err)
	}
	t.Cleanup(func() { a.Cleanup() })
	core, logs := observer.New(zapcore.DebugLevel)
	a.logger = zap.New(core)
	return logs
}

// serve runs r through a and returns the response, the request that the
// next handler saw (nil when it was not called) and the replacer.
func serve(t *testing.T, a *Authz, r *http.Request) (*httptest.ResponseRecorder, *http.Request, *caddy.Replacer) {
	t.Helper()
	repl := caddy.NewReplacer()
	ctx := context.WithValue(r.Context(), caddy.ReplacerCtxKey, repl)
	ctx = context.WithValue(ctx, caddyhttp.VarsCtxKey, map[string]any{})
	r = r.WithContext(ctx)
	w := httptest.NewRecorder()
	var seen *http.Request
	next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		seen = r
		w.WriteHeader(http.StatusTeapot)
		return nil
	})
	if err := a.ServeHTTP(w, r, next); err != nil {
		t.Fatalf("ServeHTTP returned %v", err)
	}
	return w, seen, repl
}

func TestInlineAllowedSetsHeadersAndPlaceholders(t *testing.T) {
	id := newIdentity(t)
	a := &Authz{UserinfoURL: id.URL, RulesJSON: testRules, UserPropertiesToProxy: []string{"email"}, PermissionsKey: "permissions"}
	logs := provision(t, a)

	r := httptest.NewRequest("GET", "/users/7", nil)
	r.Header.Set("Authorization", "Bearer reader")
	r.Header.Set("Miauserid", "evil")
	r.Header.Set("Mia_userid", "evil")
	before := metricValue(t, authzMetrics.decisions.WithLabelValues("allowed", "GET /users/:id"))
	w, seen, repl := serve(t, a, r)
	if w.Code != http.StatusTeapot || seen == nil {
		t.Fatalf("next not called: %d %s", w.Code, w.Body)
	}
	for k, v := range map[string]string{"Miauserid": "u-reader", "Miausergroups": "user", "Miauserproperties": `{"email":"reader@example.com"}`, "Authorization": "Bearer reader"} {
		if got := seen.Header.Get(k); got != v {
			t.Errorf("upstream %s = %q, want %q", k, got, v)
		}
	}
	if _, ok := seen.Header["Mia_userid"]; ok {
		t.Error("spoofed Mia_userid reached next")
	}
	for k, v := range map[string]string{
		"http.auth.user.id": "u-reader", "http.auth.user.groups": "user", "http.auth.user.permissions": "users:read",
		"http.auth.user.email": "reader@example.com", "http.authz.allowed": "1", "http.authz.reason": "allowed", "http.authz.route": "GET /users/:id",
	} {
		if got, _ := repl.GetString(k); got != v {
			t.Errorf("{%s} = %q, want %q", k, got, v)
		}
	}
	if got := metricValue(t, authzMetrics.decisions.WithLabelValues("allowed", "GET /users/:id")) - before; got != 1 {
		t.Errorf("decisions_total{outcome=allowed,route=\"GET /users/:id\"} grew by %v", got)
	}
	entries := logs.FilterMessage("authz decision").All()
	if len(entries) != 1 || entries[0].Level != zapcore.DebugLevel {
		t.Fatalf("want one debug decision line, got %v", entries)
	}
	f := entries[0].ContextMap()
	for k, v := range map[string]any{"method": "GET", "path": "/users/7", "route": "GET /users/:id", "user_id": "u-reader", "status": int64(200), "reason": "allowed", "allowed": true, "mode": "inline"} {
		if f[k] != v {
			t.Errorf("log field %s = %#v, want %#v", k, f[k], v)
		}
	}
}

func TestPropertyPlaceholders(t *testing.T) {
	id := newIdentity(t)
	a := &Authz{UserinfoURL: id.URL, RulesJSON: testRules}
	provision(t, a)
	r := httptest.NewRequest("GET", "/users/", nil)
	r.Header.Set("Authorization", "Bearer admin")
	_, _, repl := serve(t, a, r)
	for k, v := range map[string]string{
		"http.auth.user.id":     "u-admin", // the property "id" does not win over the user id
		"http.auth.user.groups": "admin,ops", "http.auth.user.age": "42", "http.auth.user.ratio": "0.5",
		"http.auth.user.active": "true", "http.auth.user.sub": "u-admin",
	} {
		if got, _ := repl.GetString(k); got != v {
			t.Errorf("{%s} = %q, want %q", k, got, v)
		}
	}
	if _, ok := repl.Get("http.auth.user.nested"); ok {
		t.Error("an object property has a placeholder")
	}
}

func TestInlineDenials(t *testing.T) {
	id := newIdentity(t)
	a := &Authz{UserinfoURL: id.URL, RulesJSON: testRules}
	logs := provision(t, a)
	for _, tc := range []struct {
		name, method, path, auth string
		status                   int
		reason                   string
	}{
		{"anonymous", "GET", "/users/", "", 401, "unauthenticated"},
		{"forbidden", "GET", "/users/", "Bearer reader", 403, "forbidden"},
		{"route not found", "POST", "/", "", 401, "route_not_found"},
		{"bad path", "GET", "/a%2Fb", "", 400, "bad_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, tc.path, nil)
			if tc.auth != "" {
				r.Header.Set("Authorization", tc.auth)
			}
			w, seen, repl := serve(t, a, r)
			if seen != nil {
				t.Fatal("next was called on a denial")
			}
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d", w.Code, tc.status)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			var body struct {
				StatusCode int    `json:"statusCode"`
				Error      string `json:"error"`
				Message    string `json:"message"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.StatusCode != tc.status || body.Error != http.StatusText(tc.status) || body.Message == "" {
				t.Errorf("body %s (%v)", w.Body, err)
			}
			if got, _ := repl.GetString("http.authz.reason"); got != tc.reason {
				t.Errorf("reason %q, want %q", got, tc.reason)
			}
		})
	}
	for _, e := range logs.FilterMessage("authz decision").All() {
		if e.Level != zapcore.InfoLevel {
			t.Errorf("denial logged at %s", e.Level)
		}
		for _, f := range e.Context {
			if strings.Contains(f.String, "Bearer") {
				t.Errorf("credential in log field %s", f.Key)
			}
		}
	}
}

func TestNonStrictLetsEverythingThrough(t *testing.T) {
	id := newIdentity(t)
	a := &Authz{UserinfoURL: id.URL, RulesJSON: testRules, Strict: boolp(false)}
	provision(t, a)
	r := httptest.NewRequest("DELETE", "/users/7", nil)
	r.Header.Set("Authorization", "Bearer reader")
	w, seen, _ := serve(t, a, r)
	if seen == nil || w.Code != http.StatusTeapot {
		t.Fatalf("next not called: %d", w.Code)
	}
	if got := seen.Header.Get("Mia-Allowed"); got != "0" {
		t.Errorf("mia-allowed %q", got)
	}
}

func TestDecisionMode(t *testing.T) {
	id := newIdentity(t)
	a := &Authz{Mode: "decision", UserinfoURL: id.URL, RulesJSON: testRules, UserPropertiesToProxy: []string{"email"}, PermissionsKey: "permissions"}
	provision(t, a)
	for _, tc := range []struct {
		name    string
		header  map[string]string
		status  int
		allowed string
		userid  string
		groups  string
		props   string
	}{
		{"original headers allowed", map[string]string{"Original-Request-Uri": "/users/7?x=1", "Original-Request-Method": "GET", "Authorization": "Bearer reader"}, 200, "1", "u-reader", "user", `{"email":"reader@example.com"}`},
		{"forwarded headers forbidden", map[string]string{"X-Forwarded-Uri": "/users/7", "X-Forwarded-Method": "DELETE", "Authorization": "Bearer reader"}, 403, "0", "u-reader", "user", `{"email":"reader@example.com"}`},
		{"anonymous", map[string]string{"X-Forwarded-Uri": "/users/7", "X-Forwarded-Method": "GET"}, 401, "0", "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/auth", nil)
			for k, v := range tc.header {
				r.Header.Set(k, v)
			}
			w, seen, _ := serve(t, a, r)
			if seen != nil {
				t.Fatal("decision mode called next")
			}
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d", w.Code, tc.status)
			}
			for k, v := range map[string]string{"Mia-Allowed": tc.allowed, "Mia-Userid": tc.userid, "Mia-Groups": tc.groups, "Mia-Userproperties": tc.props} {
				vals, ok := w.Header()[k]
				if !ok || vals[0] != v {
					t.Errorf("%s = %q (present %v), want %q", k, vals, ok, v)
				}
			}
		})
	}
}

func TestUserinfoMetrics(t *testing.T) {
	id := newIdentity(t)
	a := &Authz{UserinfoURL: id.URL, RulesJSON: testRules}
	logs := provision(t, a)
	errs := metricValue(t, authzMetrics.userinfoErrors)
	r := httptest.NewRequest("GET", "/users/", nil)
	r.Header.Set("Authorization", "Bearer broken")
	serve(t, a, r)
	if got := metricValue(t, authzMetrics.userinfoErrors) - errs; got != 1 {
		t.Errorf("userinfo_errors_total grew by %v", got)
	}
	if logs.FilterLevelExact(zapcore.WarnLevel).Len() != 1 {
		t.Errorf("want one warning, got %v", logs.All())
	}
	var m dto.Metric
	if err := authzMetrics.userinfoDuration.Write(&m); err != nil || m.GetHistogram().GetSampleCount() == 0 {
		t.Errorf("histogram: %v %v", m.GetHistogram(), err)
	}
}

// metricValue reads a counter.
func metricValue(t *testing.T, c prometheus.Metric) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// familyNames gathers reg and returns the names of the metric families.
func familyNames(t *testing.T, reg prometheus.Gatherer) map[string]bool {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, mf := range mfs {
		names[mf.GetName()] = true
	}
	return names
}

// Every Provision registers the collectors with its context's registry,
// also twice in one registry (two authz handlers in one configuration).
func TestMetricsRegisteredPerConfigLoad(t *testing.T) {
	for load := 0; load < 2; load++ {
		ctx, reg := newContext(t)
		for i := 0; i < 2; i++ {
			a := &Authz{RulesJSON: testRules}
			if err := a.Provision(ctx); err != nil {
				t.Fatal(err)
			}
			a.Cleanup()
		}
		authzMetrics.decisions.WithLabelValues("allowed", "").Add(0)
		names := familyNames(t, reg)
		for _, n := range []string{"caddy_authz_decisions_total", "caddy_authz_userinfo_errors_total", "caddy_authz_userinfo_duration_seconds"} {
			if !names[n] {
				t.Errorf("load %d: %s not registered", load, n)
			}
		}
	}
	registerMetrics(nil) // unit tests without a registry
}

func TestCoreConfigPlaceholdersAndDefaults(t *testing.T) {
	t.Setenv("AZ_URL", "http://id.local/userinfo")
	t.Setenv("AZ_HEADERS", "authorization, cookie,x-api-key")
	t.Setenv("AZ_RULES", testRules)
	t.Setenv("AZ_SECRET", "s3cr3t")
	a := &Authz{
		UserinfoURL:    "{env.AZ_URL}",
		HeadersToProxy: []string{"{env.AZ_HEADERS}", "x-extra"},
		RulesJSON:      " {env.AZ_RULES} ",
		Rules:          []Rule{{Method: "GET", Path: "/items/{id}", Expression: "true", Public: true}},
	}
	cfg, err := a.coreConfig(caddy.NewReplacer())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.UserinfoURL != "http://id.local/userinfo" {
		t.Errorf("userinfo_url %q", cfg.UserinfoURL)
	}
	if got := strings.Join(cfg.HeadersToProxy, "|"); got != "authorization|cookie|x-api-key|x-extra" {
		t.Errorf("headers_to_proxy %q", got)
	}
	if cfg.RulesJSON != testRules {
		t.Errorf("rules_json %q", cfg.RulesJSON)
	}
	if cfg.Rules[0].Path != "/items/{id}" {
		t.Errorf("an unknown placeholder-like path segment was changed: %q", cfg.Rules[0].Path)
	}
	// an unset variable keeps the default
	a = &Authz{UserIDKey: "{env.AZ_UNSET}", HeadersToProxy: []string{"{env.AZ_UNSET}"}, UseridHeader: "{env.AZ_UNSET}", Mode: "{env.AZ_UNSET}"}
	cfg2, err := a.coreConfig(caddy.NewReplacer())
	if err != nil {
		t.Fatal(err)
	}
	if cfg2.UserIDKey != "sub" || strings.Join(cfg2.HeadersToProxy, ",") != "authorization,cookie" || cfg2.UseridHeader != "miauserid" || cfg2.Mode != "inline" {
		t.Errorf("unset variables replaced defaults: %+v", cfg2)
	}
	if !cfg.Strict || cfg.Mode != "inline" || cfg.UserinfoTimeout != time.Minute || cfg.CacheSize != 10000 || cfg.UserIDKey != "sub" || cfg.JWT != nil {
		t.Errorf("defaults: %+v", cfg)
	}

	// a JSON document is never expanded
	doc := `{"/": {"GET": {"authorization": {"expression": "user.x == \"{env.AZ_SECRET}\"", "public": true}}}}`
	a = &Authz{RulesJSON: doc, JWT: JWTBlocks{{HMACSecret: "{env.AZ_SECRET}", Audience: []string{"a,b"}, Leeway: durp(0)}}, Strict: boolp(false), CacheSize: 5, CacheTTL: caddy.Duration(time.Second)}
	cfg, err = a.coreConfig(caddy.NewReplacer())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RulesJSON != doc {
		t.Errorf("rules_json document changed: %q", cfg.RulesJSON)
	}
	if cfg.JWT == nil || cfg.JWT.HMACSecret != "s3cr3t" || cfg.JWT.Leeway != 0 || cfg.JWT.UserIDClaim != "sub" || strings.Join(cfg.JWT.Audience, "|") != "a|b" {
		t.Errorf("jwt %+v", cfg.JWT)
	}
	if cfg.Strict || cfg.CacheSize != 5 || cfg.CacheTTL != time.Second {
		t.Errorf("cfg %+v", cfg)
	}
}

func TestProvisionErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		a    Authz
		err  string
	}{
		{"bad expression names the column", Authz{Rules: []Rule{{Method: "GET", Path: "/x", Expression: "groups.admin &&"}}}, "column"},
		{"unknown identifier", Authz{Rules: []Rule{{Method: "GET", Path: "/x", Expression: "nope"}}}, `"/x"`},
		{"bad method", Authz{Rules: []Rule{{Method: "FETCH", Path: "/x", Expression: "true"}}}, "FETCH"},
		{"two identity sources", Authz{UserinfoURL: "http://a", TrustUserHeaders: true}, "only one of"},
		{"bad mode", Authz{Mode: "sidecar"}, "mode"},
		{"negative timeout", Authz{UserinfoTimeout: -1}, "userinfo_timeout"},
		{"negative cache_ttl", Authz{CacheTTL: -1}, "cache_ttl"},
		{"negative cache_size", Authz{CacheSize: -1}, "cache_size"},
		{"negative leeway", Authz{JWT: JWTBlocks{{HMACSecret: "x", Leeway: durp(-time.Second)}}}, "leeway"},
		{"missing rules file", Authz{RulesFile: "/nonexistent/auth.json"}, "rules_file"},
		{"bad header name", Authz{UseridHeader: "bad header"}, "userid_header"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, _ := newContext(t)
			a := tc.a
			err := a.Provision(ctx)
			a.Cleanup()
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("want error containing %q, got %v", tc.err, err)
			}
			if a.Validate() == nil {
				t.Error("Validate accepted an unprovisioned handler")
			}
		})
	}
}

func TestScalarString(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want string
		ok   bool
	}{
		{"x", "x", true}, {true, "true", true}, {json.Number("12.5"), "12.5", true}, {float64(3), "3", true},
		{1e20, "1e+20", true}, {2, "2", true}, {int64(-4), "-4", true}, {nil, "", false}, {[]any{"a"}, "", false},
	} {
		got, ok := scalarString(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("scalarString(%#v) = %q, %v", tc.in, got, ok)
		}
	}
}

func TestIsSinglePlaceholder(t *testing.T) {
	for in, want := range map[string]bool{
		"{env.RULES}": true, " {file./etc/auth.json} ": true, "{}": false, `{"a":1}`: false, "{ }": false, "x": false, "{a}{b}": false,
	} {
		if got := isSinglePlaceholder(in); got != want {
			t.Errorf("isSinglePlaceholder(%q) = %v", in, got)
		}
	}
}

// TestEmptyPlaceholderErrors: an option without a default whose
// placeholder expands to nothing is a configuration error naming the
// option and the placeholder; options with a default keep it.
func TestEmptyPlaceholderErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		a    Authz
		err  string
	}{
		{"userinfo_url", Authz{UserinfoURL: "{env.AZ_UNSET_URL}"},
			`userinfo_url: "{env.AZ_UNSET_URL}" expands to an empty value (is the environment variable set?)`},
		{"backoffice_userinfo_url", Authz{UserinfoURL: "http://a", BackofficeUserinfoURL: "{env.AZ_UNSET_BO}"},
			`backoffice_userinfo_url: "{env.AZ_UNSET_BO}" expands to an empty value`},
		{"rules_file", Authz{RulesFile: "{env.AZ_UNSET_RULES}"},
			`rules_file: "{env.AZ_UNSET_RULES}" expands to an empty value`},
		{"rules_json", Authz{RulesJSON: "{env.AZ_UNSET_JSON}"},
			`rules_json: "{env.AZ_UNSET_JSON}" expands to an empty value`},
		{"permissions_key", Authz{PermissionsKey: "{env.AZ_UNSET_PK}"},
			`permissions_key: "{env.AZ_UNSET_PK}" expands to an empty value`},
		{"login_redirect", Authz{LoginRedirect: "{env.AZ_UNSET_LOGIN}"},
			`login_redirect: "{env.AZ_UNSET_LOGIN}" expands to an empty value`},
		{"authorization_headers_to_proxy", Authz{UserinfoURL: "http://a", AuthorizationHeadersToProxy: []string{"{env.AZ_UNSET_AH}"}},
			`authorization_headers_to_proxy: "{env.AZ_UNSET_AH}" expands to an empty value`},
		{"a rule's path", Authz{Rules: []Rule{{Method: "GET", Path: "/", Expression: "true"}, {Method: "GET", Path: "{env.AZ_UNSET_P}", Expression: "true"}}},
			`rule[1].path: "{env.AZ_UNSET_P}" expands to an empty value`},
		{"an api key", Authz{APIKeys: []APIKey{{Key: "{env.AZ_UNSET_KEY}", ClientType: "web"}}},
			`api_key[0]: "{env.AZ_UNSET_KEY}" expands to an empty value`},
		{"jwt issuer", Authz{JWT: JWTBlocks{{HMACSecret: strings.Repeat("k", 32), Issuer: "{env.AZ_UNSET_ISS}"}}},
			`jwt: issuer: "{env.AZ_UNSET_ISS}" expands to an empty value`},
		{"jwt hmac_secret", Authz{JWT: JWTBlocks{{HMACSecret: "{env.AZ_UNSET_SECRET}"}}},
			`jwt: hmac_secret: "{env.AZ_UNSET_SECRET}" expands to an empty value`},
		{"jwt audience", Authz{JWT: JWTBlocks{{HMACSecret: strings.Repeat("k", 32), Audience: []string{"{env.AZ_UNSET_AUD}"}}}},
			`jwt: audience: "{env.AZ_UNSET_AUD}" expands to an empty value`},
		{"userinfo_url without a host", Authz{UserinfoURL: "http://"}, `userinfo_url: "http://" has no host`},
		{"cache_ttl without userinfo", Authz{CacheTTL: caddy.Duration(time.Minute)}, `cache_ttl: "1m0s" caches userinfo answers, but userinfo_url is not set`},
		{"bad headers_to_proxy", Authz{UserinfoURL: "http://a", HeadersToProxy: []string{"bad:name"}}, `headers_to_proxy: item 1, "bad:name", is not a valid header name`},
		{"duplicate rule names both", Authz{RulesJSON: `{"/u/:id": {"GET": {"authorization": {"expression": "true", "public": true}}}}`,
			Rules: []Rule{{Method: "GET", Path: "/u/{id}", Expression: "true"}}},
			`rule[0]: path "/u/{id}", method "GET", field "authorization": defined twice: already defined by rules_json, line 1, column 13 as "/u/:id"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, _ := newContext(t)
			a := tc.a
			err := a.Provision(ctx)
			a.Cleanup()
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("want error containing %q, got %v", tc.err, err)
			}
		})
	}
	// with a default: the default
	ctx, _ := newContext(t)
	a := Authz{Mode: "{env.AZ_UNSET_MODE}", UserIDKey: "{env.AZ_UNSET_ID}", Backoffice: "{env.AZ_UNSET_BO2}", Preflight: "{env.AZ_UNSET_PF}"}
	if err := a.Provision(ctx); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	a.Cleanup()
}

// TestTokenEmptyPlaceholder: the same for authz_token, and a ttl that is
// not a whole number of seconds is refused in JSON too.
func TestTokenConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		tok  Token
		err  string
	}{
		{"signing_key", Token{SigningKey: StringList{"{env.AZ_UNSET_SK}"}, Clients: []TokenClient{{ID: "c", Secret: "s"}}},
			`token: signing_key: "{env.AZ_UNSET_SK}" expands to an empty value`},
		{"client secret", Token{Clients: []TokenClient{{ID: "c", Secret: "{env.AZ_UNSET_CS}"}}},
			`token: client[0].secret: "{env.AZ_UNSET_CS}" expands to an empty value`},
		{"ttl 1500ms", Token{TTL: caddy.Duration(1500 * time.Millisecond), Clients: []TokenClient{{ID: "c", Secret: "s"}}},
			`token: ttl "1.5s" is not a whole number of seconds`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, _ := newContext(t)
			tok := tc.tok
			err := tok.Provision(ctx)
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("want error containing %q, got %v", tc.err, err)
			}
		})
	}
}

// TestWarningsHaveFields: core's warnings reach Caddy's log as structured
// fields.
func TestWarningsHaveFields(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
	}))
	defer srv.Close()
	a := &Authz{UserinfoURL: srv.URL + "/userinfo", Rules: []Rule{{Method: "GET", Path: "/", Expression: "true", Public: true}}}
	logs := provision(t, a)
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer x")
	serve(t, a, r)
	entries := logs.FilterMessage("userinfo answered an error").All()
	if len(entries) != 1 {
		t.Fatalf("log entries %+v", logs.All())
	}
	f := entries[0].ContextMap()
	if f["url"] != srv.URL+"/userinfo" || f["status"] != "502 Bad Gateway" {
		t.Errorf("fields %v", f)
	}
}
