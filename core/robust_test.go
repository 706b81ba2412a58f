package core

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"
)

// noPanic runs f and reports a panic as a test error.
func noPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Errorf("%s: panic: %v", what, p)
		}
	}()
	f()
}

// robustConfigs are one Authorizer of each kind.
func robustConfigs(t *testing.T) map[string]Config {
	svc := newIDService(t, 200, `{"sub":"u","groups":["g"]}`)
	rules := `{"/": {"ALL": {"authorization": {"expression": "true", "public": true}}}, "/p": {"GET": {"authorization": {"expression": "groups.g", "public": false}}}}`
	out := map[string]Config{}
	for _, mode := range []string{ModeInline, ModeDecision} {
		for _, strict := range []bool{true, false} {
			name := mode
			if !strict {
				name += " lenient"
			}
			c := DefaultConfig()
			c.Mode, c.Strict, c.RulesJSON = mode, strict, rules
			out[name+" anonymous"] = c
			c.TrustUserHeaders = true
			out[name+" trusted"] = c
			c.TrustUserHeaders = false
			c.UserinfoURL = svc.srv.URL
			c.CacheTTL = time.Minute
			out[name+" userinfo"] = c
			c.UserinfoURL, c.CacheTTL = "", 0
			jc := DefaultJWTConfig()
			jc.HMACSecret = jsSecret
			c.JWT = &jc
			out[name+" jwt"] = c
		}
	}
	return out
}

// TestAuthorizeOddRequests: requests a handler should never see, but that
// the exported API accepts, are answered (400 at worst), never a panic.
func TestAuthorizeOddRequests(t *testing.T) {
	reqs := map[string]func() *http.Request{
		"nil request": func() *http.Request { return nil },
		"nil Header": func() *http.Request {
			return &http.Request{Method: "GET", URL: &url.URL{Path: "/p"}}
		},
		"nil Header on a public path": func() *http.Request {
			return &http.Request{Method: "GET", URL: &url.URL{Path: "/"}}
		},
		"nil URL": func() *http.Request {
			return &http.Request{Method: "GET", Header: http.Header{"Original-Request-Uri": {"/"}, "Original-Request-Method": {"GET"}}}
		},
		"nil URL and Header": func() *http.Request { return &http.Request{Method: "GET"} },
		"empty method": func() *http.Request {
			return &http.Request{URL: &url.URL{Path: "/"}, Header: http.Header{}}
		},
		"empty path": func() *http.Request {
			return &http.Request{Method: "GET", URL: &url.URL{}, Header: http.Header{}}
		},
		"opaque URL": func() *http.Request {
			return &http.Request{Method: "GET", URL: &url.URL{Opaque: "x"}, Header: http.Header{}}
		},
		"nil header values": func() *http.Request {
			return &http.Request{Method: "GET", URL: &url.URL{Path: "/p"}, Header: http.Header{
				"Miauserid": nil, "Miausergroups": {}, "Authorization": nil, "Connection": {}, "Original-Request-Uri": nil, "Isbackoffice": nil}}
		},
		"empty header values": func() *http.Request {
			return &http.Request{Method: "GET", URL: &url.URL{Path: "/p"}, Header: http.Header{
				"Miauserid": {""}, "Authorization": {""}, "Connection": {""}, "Trailer": {""}, "Original-Request-Uri": {""}, "Original-Request-Method": {""}, "X-Forwarded-Uri": {""}}}
		},
		"trailers without a body": func() *http.Request {
			return &http.Request{Method: "POST", URL: &url.URL{Path: "/"}, Header: http.Header{}, Trailer: http.Header{"Miauserid": nil}, ContentLength: -1}
		},
	}
	for cname, cfg := range robustConfigs(t) {
		a, err := New(cfg)
		if err != nil {
			t.Fatalf("%s: %v", cname, err)
		}
		for rname, mk := range reqs {
			r := mk()
			var d Decision
			noPanic(t, cname+", "+rname, func() { d = a.Authorize(r) })
			noPanic(t, cname+", "+rname+", Respond", func() {
				if !d.Continue {
					a.Respond(httptest.NewRecorder(), &d)
				}
			})
			if r == nil || r.URL == nil {
				if d.Continue || d.Status != 400 {
					t.Errorf("%s, %s: status %d continue %v; want 400", cname, rname, d.Status, d.Continue)
				}
			}
		}
		noPanic(t, cname+", Respond(zero Decision)", func() {
			w := httptest.NewRecorder()
			a.Respond(w, &Decision{})
			if w.Code < 400 {
				t.Errorf("%s: a zero Decision answered %d", cname, w.Code)
			}
		})
		noPanic(t, cname+", Respond(nil)", func() { a.Respond(httptest.NewRecorder(), nil) })
		a.Close()
		a.Close()
	}
}

// TestNewOddConfigs: odd configurations are errors or work; never a panic.
func TestNewOddConfigs(t *testing.T) {
	rules := `{"/": {"ALL": {"authorization": {"expression": "true", "public": true}}}}`
	cases := map[string]func(c *Config){
		"zero config":     func(c *Config) { *c = Config{} },
		"empty jwt block": func(c *Config) { c.JWT = &JWTConfig{} },
		"jwt two key sources": func(c *Config) {
			c.JWT = &JWTConfig{HMACSecret: jsSecret, JWKSFile: "/nonexistent", UserIDClaim: "sub"}
		},
		"jwt bad jwks url": func(c *Config) { c.JWT = &JWTConfig{JWKSURL: "::", UserIDClaim: "sub"} },
		"jwt unknown alg": func(c *Config) {
			c.JWT = &JWTConfig{HMACSecret: jsSecret, Algorithms: []string{"", "none", "XX"}, UserIDClaim: "sub"}
		},
		"jwt negative leeway":  func(c *Config) { c.JWT = &JWTConfig{HMACSecret: jsSecret, Leeway: -time.Hour, UserIDClaim: "sub"} },
		"bad userinfo url":     func(c *Config) { c.UserinfoURL = "http://[::1" },
		"userinfo url no host": func(c *Config) { c.UserinfoURL = "http://" },
		"cache without size":   func(c *Config) { c.UserinfoURL = "http://127.0.0.1:1"; c.CacheTTL = time.Second; c.CacheSize = 0 },
		"negative timeout":     func(c *Config) { c.UserinfoURL = "http://127.0.0.1:1"; c.UserinfoTimeout = -1 },
		"odd headers to proxy": func(c *Config) {
			c.UserinfoURL = "http://127.0.0.1:1"
			c.HeadersToProxy = []string{"", " ", "a b", "\n", "host"}
		},
		"odd properties":        func(c *Config) { c.UserPropertiesToProxy = []string{"", " ", "\"", "\xff"} },
		"empty header names":    func(c *Config) { c.UseridHeader, c.GroupsHeader = " ", "\x00" },
		"all names the same":    func(c *Config) { c.UseridHeader, c.GroupsHeader, c.UserPropertiesHeader = "x", "x", "x" },
		"bad mode":              func(c *Config) { c.Mode = "\x00" },
		"inline rule nil-ish":   func(c *Config) { c.Rules = []Rule{{}} },
		"inline rule bad path":  func(c *Config) { c.Rules = []Rule{{Method: "GET", Path: "\xff", Expression: "true"}} },
		"rules json garbage":    func(c *Config) { c.RulesJSON = "\x00{" },
		"rules file directory":  func(c *Config) { c.RulesJSON = ""; c.RulesFile = t.TempDir() },
		"nil context and hooks": func(c *Config) { c.Context = nil; c.Hooks = Hooks{} },
	}
	for name, mod := range cases {
		cfg := DefaultConfig()
		cfg.RulesJSON = rules
		mod(&cfg)
		noPanic(t, name, func() {
			a, err := New(cfg)
			if err == nil {
				a.Authorize(httptest.NewRequest("GET", "/", nil))
				a.Close()
			}
		})
	}
}

// TestWriteErrorOddStatus: an invalid status is answered as 500, not a
// panic in net/http.
func TestWriteErrorOddStatus(t *testing.T) {
	for _, status := range []int{0, -1, 99, 1000} {
		w := httptest.NewRecorder()
		noPanic(t, "WriteError", func() { WriteError(w, status, "x") })
		if w.Code != 500 {
			t.Errorf("status %d answered %d", status, w.Code)
		}
	}
}
