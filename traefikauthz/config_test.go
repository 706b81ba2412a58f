package traefikauthz

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

func TestCreateConfigDefaults(t *testing.T) {
	c := CreateConfig()
	if !c.Strict {
		t.Error("strict must default to true")
	}
	if c.Mode != "inline" {
		t.Errorf("mode = %q", c.Mode)
	}
	if strings.Join(c.HeadersToProxy, ",") != "authorization,cookie" {
		t.Errorf("headersToProxy = %v", c.HeadersToProxy)
	}
	if c.UserIDKey != "sub" || c.UseridHeader != "miauserid" || c.GroupsHeader != "miausergroups" ||
		c.UserPropertiesHeader != "miauserproperties" || c.ClientTypeHeader != "client-type" || c.BackofficeHeader != "isbackoffice" {
		t.Errorf("header defaults: %+v", c)
	}
	if c.CacheSize != 10000 || c.UserinfoTimeout != "1m" || c.CacheTTL != "0s" {
		t.Errorf("cache/timeouts: %d %q %q", c.CacheSize, c.UserinfoTimeout, c.CacheTTL)
	}
	// a fresh value each time: Traefik decodes over it per router
	c.HeadersToProxy[0] = "x"
	if CreateConfig().HeadersToProxy[0] != "authorization" {
		t.Error("CreateConfig shares its default slice")
	}
}

func TestNewDefaultConfig(t *testing.T) {
	// No rules: every request is "route not found", but the config is valid.
	h, err := New(context.Background(), okHandler(), CreateConfig(), "authz@file")
	if err != nil {
		t.Fatal(err)
	}
	rec := serve(h, get("/"))
	if rec.Code != 401 {
		t.Errorf("status %d, want 401", rec.Code)
	}
}

func TestNewNilConfig(t *testing.T) {
	if _, err := New(context.Background(), okHandler(), nil, "authz@file"); err != nil {
		t.Fatal(err)
	}
	if _, err := New(context.Background(), nil, CreateConfig(), "authz@file"); err == nil {
		t.Fatal("nil next handler accepted")
	}
}

type badCase struct {
	name string
	mod  func(c *Config)
	want []string // substrings of the error
}

func TestNewErrors(t *testing.T) {
	cases := []badCase{
		{"mode", func(c *Config) { c.Mode = "proxy" }, []string{"mode", `"proxy"`}},
		{"userinfoTimeout", func(c *Config) { c.UserinfoTimeout = "10" }, []string{"userinfoTimeout", `"10"`, "duration"}},
		{"cacheTtl", func(c *Config) { c.CacheTTL = "soon" }, []string{"cacheTtl", `"soon"`}},
		{"cacheTtl negative", func(c *Config) { c.UserinfoURL = "http://127.0.0.1:1/u"; c.CacheTTL = "-1s" }, []string{"cacheTtl", "negative"}},
		{"cacheSize", func(c *Config) { c.UserinfoURL = "http://127.0.0.1:1/u"; c.CacheTTL = "1m"; c.CacheSize = -5 }, []string{"cacheSize", "-5"}},
		{"two identity sources", func(c *Config) { c.UserinfoURL = "http://127.0.0.1:1/u"; c.TrustUserHeaders = true }, []string{"userinfoUrl", "trustUserHeaders", "jwt"}},
		{"backoffice without userinfo", func(c *Config) { c.BackofficeUserinfoURL = "http://x/u" }, []string{"backofficeUserinfoUrl", "userinfoUrl"}},
		{"bad userinfo url", func(c *Config) { c.UserinfoURL = "ftp://x" }, []string{"userinfoUrl"}},
		{"bad header name", func(c *Config) { c.UseridHeader = "bad header" }, []string{"useridHeader", `"bad header"`}},
		{"rulesJson syntax", func(c *Config) { c.RulesJSON = `{"/": ` }, []string{"rulesJson"}},
		{"rulesJson unknown method", func(c *Config) {
			c.RulesJSON = `{"/x": {"FETCH": {"authorization": {"expression": "true", "public": true}}}}`
		}, []string{"rulesJson", `"/x"`, `"FETCH"`}},
		{"rulesFile missing", func(c *Config) { c.RulesFile = "/nonexistent/auth.json" }, []string{"rulesFile"}},
		{"rule method", func(c *Config) { c.Rules = []Rule{{Method: "get", Path: "/", Expression: "true"}} }, []string{"rules[0]:", `"/"`, `"get"`}},
		{"rule path", func(c *Config) { c.Rules = []Rule{{Method: "GET", Path: "x", Expression: "true"}} }, []string{"rules[0]:", `"x"`}},
		{"rule expression", func(c *Config) { c.Rules = []Rule{{Method: "GET", Path: "/", Expression: "groups.admin &&"}} }, []string{"rules[0]:", "expression", "column 16"}},
		{"rule twice", func(c *Config) {
			c.Rules = []Rule{{Method: "GET", Path: "/", Expression: "true"}, {Method: "GET", Path: "/", Expression: "false"}}
		}, []string{"rules[1]:", "defined twice: already defined by rules[0]"}},
		{"rulesJson syntax position", func(c *Config) { c.RulesJSON = "{\n  \"/\": {},\n}" }, []string{"rulesJson, line 3, column 1: invalid JSON"}},
		{"rule next to rulesJson", func(c *Config) {
			c.RulesJSON = `{"/u/:id": {"GET": {"authorization": {"expression": "true", "public": true}}}}`
			c.Rules = []Rule{{Method: "GET", Path: "/u/{id}", Expression: "true"}}
		}, []string{`rules[0]: path "/u/{id}", method "GET", field "authorization": defined twice: already defined by rulesJson, line 1, column 13 as "/u/:id"`}},
		{"userinfoTimeout 0s", func(c *Config) { c.UserinfoTimeout = "0s" }, []string{`userinfoTimeout: "0s" must be greater than zero`}},
		{"userinfoUrl without a host", func(c *Config) { c.UserinfoURL = "http://" }, []string{`userinfoUrl: "http://" has no host`}},
		{"cacheTtl without userinfo", func(c *Config) { c.CacheTTL = "5m" }, []string{`cacheTtl: "5m0s" caches userinfo answers, but userinfoUrl is not set`}},
		{"headersToProxy bad name", func(c *Config) { c.UserinfoURL = "http://a"; c.HeadersToProxy = []string{"cookie", " bad:name "} },
			[]string{`headersToProxy: item 2, "bad:name", is not a valid header name`}},
		{"token ttl 1500ms", func(c *Config) {
			c.TokenEndpoint = &TokenEndpoint{TTL: "1500ms", Clients: []TokenClient{{ID: "svc", Secret: "s3cr3t-s3cr3t"}}}
		}, []string{`tokenEndpoint: ttl "1.5s" is not a whole number of seconds`}},
		{"jwt no key", func(c *Config) { c.JWT = []JWT{{}} }, []string{"jwt", "jwksUrl"}},
		{"jwt two keys", func(c *Config) { c.JWT = []JWT{{JWKSURL: "http://x/jwks", HMACSecret: strings.Repeat("k", 32)}} }, []string{"jwt", "jwksUrl", "hmacSecret"}},
		{"jwt short secret", func(c *Config) { c.JWT = []JWT{{HMACSecret: "short"}} }, []string{"jwt", "hmacSecret"}},
		{"jwt tokenCacheSize", func(c *Config) { c.JWT = []JWT{{HMACSecret: strings.Repeat("k", 32), TokenCacheSize: -3}} }, []string{"jwt", "tokenCacheSize", "-3"}},
		{"jwt leeway", func(c *Config) { c.JWT = []JWT{{HMACSecret: strings.Repeat("k", 32), Leeway: "30"}} }, []string{"jwt.leeway", `"30"`}},
		{"jwt and userinfo", func(c *Config) {
			c.UserinfoURL = "http://127.0.0.1:1/u"
			c.JWT = []JWT{{HMACSecret: strings.Repeat("k", 32)}}
		}, []string{"only one"}},
		{"backoffice", func(c *Config) { c.Backoffice = "yes" }, []string{"backoffice", `"yes"`, "false, true or header"}},
		{"clientType", func(c *Config) { c.ClientType = "key" }, []string{"clientType", `"key"`, "api_key or header"}},
		{"preflight", func(c *Config) { c.Preflight = "skip" }, []string{"preflight", `"skip"`}},
		{"loginRedirect", func(c *Config) { c.LoginRedirect = "login" }, []string{"loginRedirect", `"login"`}},
		{"apiKeys client type", func(c *Config) { c.APIKeys = []APIKey{{Key: "k1", ClientType: "a"}, {Key: "k2"}} }, []string{"apiKeys[1]", "client type is empty"}},
		{"apiKeys keySha256", func(c *Config) { c.APIKeys = []APIKey{{KeySHA256: "xyz", ClientType: "a"}} }, []string{"apiKeys[0]", `"xyz"`}},
		{"apiKeys with header clientType", func(c *Config) {
			c.ClientType = "header"
			c.APIKeys = []APIKey{{Key: "k1", ClientType: "a"}}
		}, []string{"clientType", `"header"`}},
		{"rulesReload", func(c *Config) { c.RulesFile = "../testdata/auth.json"; c.RulesReload = "5" }, []string{"rulesReload", `"5"`, "duration"}},
		{"rulesReload short", func(c *Config) { c.RulesFile = "../testdata/auth.json"; c.RulesReload = "10ms" }, []string{"rulesReload: 10ms", "minimum"}},
		{"rulesReload without a file", func(c *Config) { c.RulesReload = "5s" }, []string{"rulesReload: 5s", "rulesFile or shadowRulesFile"}},
		{"shadowRulesFile missing", func(c *Config) { c.ShadowRulesFile = "/nonexistent/next.json" }, []string{"shadowRulesFile:", "/nonexistent/next.json"}},
		{"metricsPath", func(c *Config) { c.MetricsPath = "metrics" }, []string{"metricsPath", `"metrics"`, "start with /"}},
		{"token no client", func(c *Config) { c.TokenEndpoint = &TokenEndpoint{} }, []string{"tokenEndpoint:", "client"}},
		{"token ttl", func(c *Config) { c.TokenEndpoint = &TokenEndpoint{TTL: "forever"} }, []string{"tokenEndpoint.ttl", `"forever"`}},
		{"token client secrets", func(c *Config) {
			c.TokenEndpoint = &TokenEndpoint{Clients: []TokenClient{{ID: "svc", Secret: "a", SecretSHA256: strings.Repeat("0", 64)}}}
		}, []string{"tokenEndpoint:", "secretSha256"}},
		{"jwt list without issuer", func(c *Config) {
			c.JWT = []JWT{{HMACSecret: strings.Repeat("k", 32), Issuer: "https://a"}, {HMACSecret: strings.Repeat("k", 32)}}
		}, []string{"jwt[1]: issuer is required"}},
		{"jwt list leeway", func(c *Config) {
			c.JWT = []JWT{{HMACSecret: strings.Repeat("k", 32), Issuer: "https://a"}, {HMACSecret: strings.Repeat("k", 32), Issuer: "https://b", Leeway: "x"}}
		}, []string{"jwt[1].leeway", `"x"`}},
		{"jwt list key error", func(c *Config) {
			c.JWT = []JWT{{HMACSecret: strings.Repeat("k", 32), Issuer: "https://a"}, {JWKSURL: "http://x/k", HMACSecret: strings.Repeat("k", 32), Issuer: "https://b"}}
		}, []string{"jwt[1]: jwksUrl and hmacSecret are exclusive", "discoveryUrl"}},
		{"jwt tokenFrom", func(c *Config) {
			c.JWT = []JWT{{HMACSecret: strings.Repeat("k", 32), TokenFrom: []string{"form:x"}}}
		}, []string{"jwt: tokenFrom", `"form:x"`}},
		{"jwt discoveryUrl", func(c *Config) {
			c.JWT = []JWT{{DiscoveryURL: "https://idp/openid"}}
		}, []string{"jwt: discoveryUrl", `"https://idp/openid"`, "set issuer"}},
		{"identityOrder", func(c *Config) {
			c.UserinfoURL = "http://127.0.0.1:1/u"
			c.IdentityOrder = []string{"userinfo,session"}
		}, []string{"identityOrder", `"session"`}},
		{"identityOrder missing", func(c *Config) {
			c.UserinfoURL = "http://127.0.0.1:1/u"
			c.JWT = []JWT{{HMACSecret: strings.Repeat("k", 32)}}
		}, []string{"identityOrder"}},
		{"token maxFailures", func(c *Config) {
			c.TokenEndpoint = &TokenEndpoint{MaxFailures: -2, Clients: []TokenClient{{ID: "svc", Secret: "s3cr3t-s3cr3t"}}}
		}, []string{"tokenEndpoint.maxFailures", "-2"}},
		{"token failureWindow", func(c *Config) {
			c.TokenEndpoint = &TokenEndpoint{FailureWindow: "10", Clients: []TokenClient{{ID: "svc", Secret: "s3cr3t-s3cr3t"}}}
		}, []string{"tokenEndpoint.failureWindow", `"10"`}},
		{"token failureWindow short", func(c *Config) {
			c.TokenEndpoint = &TokenEndpoint{FailureWindow: "10ms", Clients: []TokenClient{{ID: "svc", Secret: "s3cr3t-s3cr3t"}}}
		}, []string{"tokenEndpoint: failureWindow must be at least 1s"}},
		{"token keyIds", func(c *Config) {
			c.TokenEndpoint = &TokenEndpoint{KeyID: "a", KeyIDs: []string{"b"}, Clients: []TokenClient{{ID: "svc", Secret: "s3cr3t-s3cr3t"}}}
		}, []string{"tokenEndpoint: keyId: 2 key ids without signingKey"}},
		{"token second signing key", func(c *Config) {
			c.TokenEndpoint = &TokenEndpoint{SigningKeys: []string{"/nonexistent/a.pem", "/nonexistent/b.pem"}, Clients: []TokenClient{{ID: "svc", Secret: "s3cr3t-s3cr3t"}}}
		}, []string{"tokenEndpoint: signingKey", "/nonexistent/a.pem", "(key 1)"}},
		{"token signing key", func(c *Config) {
			c.TokenEndpoint = &TokenEndpoint{SigningKey: "/nonexistent/key.pem", Clients: []TokenClient{{ID: "svc", Secret: "s3cr3t-s3cr3t"}}}
		}, []string{"tokenEndpoint:", "signingKey", "/nonexistent/key.pem"}},
	}
	for i := 0; i < len(cases); i++ {
		tc := cases[i]
		t.Run(tc.name, func(t *testing.T) {
			c := CreateConfig()
			tc.mod(c)
			h, err := New(context.Background(), okHandler(), c, "authz@file")
			if err == nil {
				t.Fatalf("accepted (%v)", h)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "authz@file: ") {
				t.Errorf("error not prefixed with the middleware name: %s", msg)
			}
			for j := 0; j < len(tc.want); j++ {
				if !strings.Contains(msg, tc.want[j]) {
					t.Errorf("error %q lacks %q", msg, tc.want[j])
				}
			}
			if strings.Contains(msg, "_url") || strings.Contains(msg, "_headers") || strings.Contains(msg, "rules_json") {
				t.Errorf("error still names a Caddy option: %s", msg)
			}
		})
	}
}

func TestNewSecretsNotInErrors(t *testing.T) {
	c := CreateConfig()
	c.JWT = []JWT{{HMACSecret: "tiny-secret"}}
	_, err := New(context.Background(), okHandler(), c, "a")
	if err == nil || strings.Contains(err.Error(), "tiny-secret") {
		t.Fatalf("err = %v", err)
	}
	c = CreateConfig()
	c.TokenEndpoint = &TokenEndpoint{Clients: []TokenClient{{ID: "svc", Secret: "the-secret", SecretSHA256: "abc"}}}
	_, err = New(context.Background(), okHandler(), c, "a")
	if err == nil || strings.Contains(err.Error(), "the-secret") {
		t.Fatalf("err = %v", err)
	}
}

func TestDurations(t *testing.T) {
	c := CreateConfig()
	c.UserinfoURL = "http://127.0.0.1:1/u"
	c.UserinfoTimeout = " 250ms "
	c.CacheTTL = "0"
	if _, err := New(context.Background(), okHandler(), c, "a"); err != nil {
		t.Fatal(err)
	}
	c.UserinfoTimeout = ""
	c.CacheTTL = ""
	if _, err := New(context.Background(), okHandler(), c, "a"); err != nil {
		t.Fatal(err)
	}
	// cacheSize 0 means the default, as in the Caddy module
	c.CacheTTL = "1m"
	c.CacheSize = 0
	if _, err := New(context.Background(), okHandler(), c, "a"); err != nil {
		t.Fatal(err)
	}
}

func TestTraefikMessage(t *testing.T) {
	cases := [][3]string{
		{"rule: path \"/x\": bad", "rule: ", "rules: path \"/x\": bad"},
		{"identity: configure only one of userinfo_url, trust_user_headers and jwt", "", "identity: configure only one of userinfoUrl, trustUserHeaders and jwt"},
		{"backoffice_userinfo_url: needs userinfo_url", "", "backofficeUserinfoUrl: needs userinfoUrl"},
		{"rules_file /etc/rules_file.json: path \"/cache_ttl\": x", "", "rulesFile /etc/rules_file.json: path \"/cache_ttl\": x"},
		{"rule_x: user.cache_ttl and cache_ttl_x", "", "rule_x: user.cache_ttl and cache_ttl_x"},
		{"token: client \"a\": set exactly one of secret and secret_sha256", "token: ", "tokenEndpoint: client \"a\": set exactly one of secret and secretSha256"},
	}
	for i := 0; i < len(cases); i++ {
		old, repl := cases[i][1], ""
		if old == "rule: " {
			repl = "rules: "
		} else if old == "token: " {
			repl = "tokenEndpoint: "
		}
		if got := traefikMessage(cases[i][0], old, repl); got != cases[i][2] {
			t.Errorf("traefikMessage(%q) = %q, want %q", cases[i][0], got, cases[i][2])
		}
	}
	if camel("authorization_headers_to_proxy") != "authorizationHeadersToProxy" || camel("secret_sha256") != "secretSha256" {
		t.Error("camel")
	}
}

func TestContextCancelStopsBackgroundWork(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	c := CreateConfig()
	c.JWT = []JWT{{JWKSURL: "http://127.0.0.1:1/jwks"}}
	c.RulesJSON = `{"/": {"ALL": {"authorization": {"expression": "true", "public": true}}}}`
	h, err := New(ctx, okHandler(), c, "a")
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	// still answers (anonymous, public route)
	if rec := serve(h, get("/")); rec.Code != http.StatusOK {
		t.Errorf("status %d", rec.Code)
	}
}

// TestListItemsTrimmed: every list key is trimmed and split on commas, as
// YAML strings ("a, b") and labels give them.
func TestListItemsTrimmed(t *testing.T) {
	c := CreateConfig()
	c.HeadersToProxy = []string{" authorization , cookie"}
	c.AuthorizationHeadersToProxy = []string{" authorization "}
	c.UserPropertiesToProxy = []string{"email, name "}
	c.JWT = []JWT{{HMACSecret: strings.Repeat("k", 32), Audience: []string{"a, b"}, Algorithms: []string{" HS256 ,HS384"}}}
	cfg, err := coreConfig(context.Background(), c, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(cfg.HeadersToProxy, "|") + " " + strings.Join(cfg.AuthorizationHeadersToProxy, "|") + " " +
		strings.Join(cfg.UserPropertiesToProxy, "|") + " " + strings.Join(cfg.JWT.Audience, "|") + " " + strings.Join(cfg.JWT.Algorithms, "|")
	if want := "authorization|cookie authorization email|name a|b HS256|HS384"; got != want {
		t.Errorf("lists %q, want %q", got, want)
	}
	tc, err := tokenConfig(&TokenEndpoint{Audience: []string{" api , web"}, Clients: []TokenClient{{ID: " svc ", Secret: "x",
		Scopes: []string{"read, write "}, Permissions: []string{" p:1"}, Groups: []string{"ops , dev"}}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cl := tc.Clients[0]
	got = strings.Join(tc.Audience, "|") + " " + cl.ID + " " + strings.Join(cl.Scopes, "|") + " " + strings.Join(cl.Permissions, "|") + " " + strings.Join(cl.Groups, "|")
	if want := "api|web svc read|write p:1 ops|dev"; got != want {
		t.Errorf("token lists %q, want %q", got, want)
	}
}

// TestDocumentedErrors: the error texts quoted in docs/traefik.md
// ("Errors, reloads and logs") are the ones New produces.
func TestDocumentedErrors(t *testing.T) {
	cases := []struct {
		mod  func(c *Config)
		want string
	}{
		{func(c *Config) { c.CacheTTL = "later" }, `authz@file: cacheTtl: "later" is not a duration (use a unit, e.g. "500ms", "30s", "1m")`},
		{func(c *Config) { c.UserinfoURL = "http://127.0.0.1:1/u"; c.TrustUserHeaders = true }, `authz@file: identity: configure only one of userinfoUrl, trustUserHeaders and jwt (or list jwt and userinfo in identityOrder)`},
		{func(c *Config) { c.Rules = []Rule{{Method: "GET", Path: "/x", Expression: "grops.admin"}} },
			`authz@file: rules[0]: path "/x", method "GET", field "authorization.expression": column 1: unknown identifier "grops"`},
		{func(c *Config) {
			c.RulesJSON = "{\n  \"/x\": {\"GET\": {\"authorization\": {\"expression\": \"true\", \"public\": true}},}\n}"
		}, `authz@file: rulesJson, line 2, column 75: invalid JSON: invalid character '}' looking for beginning of object key string`},
		{func(c *Config) { c.UserinfoURL = "http://" }, `authz@file: userinfoUrl: "http://" has no host`},
		{func(c *Config) { c.CacheTTL = "5m" }, `authz@file: cacheTtl: "5m0s" caches userinfo answers, but userinfoUrl is not set: remove cacheTtl or set userinfoUrl`},
		{func(c *Config) {
			c.TokenEndpoint = &TokenEndpoint{Clients: []TokenClient{{ID: "billing", Secret: "a", SecretSHA256: strings.Repeat("0", 64)}}}
		}, `authz@file: tokenEndpoint: client "billing": set exactly one of secret and secretSha256`},
	}
	for i := 0; i < len(cases); i++ {
		c := CreateConfig()
		cases[i].mod(c)
		_, err := New(context.Background(), okHandler(), c, "authz@file")
		if err == nil || err.Error() != cases[i].want {
			t.Errorf("got  %v\nwant %s", err, cases[i].want)
		}
	}
}
