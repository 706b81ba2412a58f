package core

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// idService is a real identity service on loopback whose answer the test
// chooses; it records the requests it got.
type idService struct {
	srv *httptest.Server

	mu      sync.Mutex
	calls   int
	headers []http.Header
	hosts   []string
	status  int
	body    string
	delay   time.Duration
}

func newIDService(t *testing.T, status int, body string) *idService {
	s := &idService{status: status, body: body}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.calls++
		s.headers = append(s.headers, r.Header.Clone())
		s.hosts = append(s.hosts, r.Host)
		status, body, delay := s.status, s.body, s.delay
		s.mu.Unlock()
		if r.Method != http.MethodGet {
			status = 405
		}
		if delay > 0 {
			time.Sleep(delay)
		}
		if r.URL.Path == "/backoffice" {
			body = `{"sub":"bo-user","groups":["backoffice"]}`
		}
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
	t.Cleanup(func() { s.srv.Close() })
	return s
}

func (s *idService) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

func newUserinfoAuthorizer(t *testing.T, mod func(*Config)) *Authorizer {
	t.Helper()
	cfg := DefaultConfig()
	cfg.RulesJSON = `{"/": {"ALL": {"authorization": {"expression": "true", "public": true}}}}`
	mod(&cfg)
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

func TestUserinfoAnswers(t *testing.T) {
	big := `{"sub":"x","pad":"` + strings.Repeat("a", maxUserinfoBody) + `"}`
	cases := []struct {
		name   string
		status int
		body   string
		idKey  string
		wantID string
		groups []string
		perms  []string
	}{
		{"user", 200, `{"sub":"u1","groups":["admin","ops"],"permissions":["a:b"]}`, "", "u1", []string{"admin", "ops"}, []string{"a:b"}},
		{"custom id key", 200, `{"userId":"u9","groups":["g"]}`, "userId", "u9", []string{"g"}, nil},
		{"numeric id", 200, `{"id":12345678901234,"groups":[]}`, "id", "12345678901234", nil, nil},
		{"missing groups", 200, `{"sub":"c1","permissions":["p"]}`, "", "c1", nil, []string{"p"}},
		{"non-string groups skipped", 200, `{"sub":"u","groups":["a",1,null]}`, "", "u", []string{"a"}, nil},
		{"empty id", 200, `{"sub":"","groups":["admin"]}`, "", "", nil, nil},
		{"missing id", 200, `{"groups":["admin"]}`, "", "", nil, nil},
		{"401", 401, `{"sub":"u"}`, "", "", nil, nil},
		{"403", 403, ``, "", "", nil, nil},
		{"500", 500, `{"sub":"u"}`, "", "", nil, nil},
		{"302", 302, `{"sub":"u"}`, "", "", nil, nil},
		{"empty body", 200, ``, "", "", nil, nil},
		{"blank body", 200, "  \n", "", "", nil, nil},
		{"invalid json", 200, `{"sub":`, "", "", nil, nil},
		{"not an object", 200, `["sub"]`, "", "", nil, nil},
		{"null", 200, `null`, "", "", nil, nil},
		{"over 1 MiB", 200, big, "", "", nil, nil},
	}
	for i := 0; i < len(cases); i++ {
		tc := cases[i]
		svc := newIDService(t, tc.status, tc.body)
		a := newUserinfoAuthorizer(t, func(c *Config) {
			c.UserinfoURL = svc.srv.URL + "/userinfo"
			if tc.idKey != "" {
				c.UserIDKey = tc.idKey
			}
			c.PermissionsKey = "permissions"
		})
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "Bearer t")
		d := a.Authorize(r)
		if d.User.ID != tc.wantID || strings.Join(d.User.Groups, ",") != strings.Join(tc.groups, ",") ||
			strings.Join(d.User.Permissions, ",") != strings.Join(tc.perms, ",") {
			t.Errorf("%s: user %+v", tc.name, d.User)
		}
		if d.Status != 200 {
			t.Errorf("%s: status %d on a public route", tc.name, d.Status)
		}
	}
}

func TestUserinfoProxiedHeaders(t *testing.T) {
	svc := newIDService(t, 200, `{"sub":"u"}`)
	a := newUserinfoAuthorizer(t, func(c *Config) {
		c.UserinfoURL = svc.srv.URL
		c.HeadersToProxy = []string{"authorization", "cookie", "x-request-id", "host"}
	})
	r := httptest.NewRequest("GET", "http://public.example/", nil)
	r.Header.Set("Authorization", "Bearer t")
	r.Header.Add("Cookie", "a=1")
	r.Header.Add("Cookie", "b=2")
	r.Header.Set("X-Request-Id", "rid")
	r.Header.Set("X-Secret", "not proxied")
	a.Authorize(r)
	if svc.count() != 1 {
		t.Fatalf("calls = %d", svc.count())
	}
	h := svc.headers[0]
	if h.Get("Authorization") != "Bearer t" || strings.Join(h["Cookie"], ";") != "a=1;b=2" || h.Get("X-Request-Id") != "rid" {
		t.Errorf("proxied headers %v", h)
	}
	if h.Get("X-Secret") != "" {
		t.Error("a header not in headers_to_proxy was sent")
	}
	if svc.hosts[0] != "public.example" {
		t.Errorf("host %q", svc.hosts[0])
	}
}

func TestUserinfoDefaultHeadersOnly(t *testing.T) {
	svc := newIDService(t, 200, `{"sub":"u"}`)
	a := newUserinfoAuthorizer(t, func(c *Config) { c.UserinfoURL = svc.srv.URL })
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Cookie", "sid=1")
	r.Header.Set("X-Request-Id", "rid")
	a.Authorize(r)
	if h := svc.headers[0]; h.Get("Cookie") != "sid=1" || h.Get("X-Request-Id") != "" {
		t.Errorf("default headers_to_proxy: %v", h)
	}
}

func TestAuthorizationHeadersShortCircuit(t *testing.T) {
	svc := newIDService(t, 200, `{"sub":"u"}`)
	a := newUserinfoAuthorizer(t, func(c *Config) {
		c.UserinfoURL = svc.srv.URL
		c.AuthorizationHeadersToProxy = []string{"authorization"}
	})
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Cookie", "sid=1")
	if d := a.Authorize(r); !d.User.Anonymous() || svc.count() != 0 {
		t.Fatalf("no credential header: user %q, calls %d", d.User.ID, svc.count())
	}
	r = httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer t")
	if d := a.Authorize(r); d.User.ID != "u" || svc.count() != 1 {
		t.Fatalf("with credential header: user %q, calls %d", d.User.ID, svc.count())
	}
}

func TestBackofficeUserinfoURL(t *testing.T) {
	svc := newIDService(t, 200, `{"sub":"front"}`)
	a := newUserinfoAuthorizer(t, func(c *Config) {
		c.UserinfoURL = svc.srv.URL + "/front"
		c.BackofficeUserinfoURL = svc.srv.URL + "/backoffice"
		c.Backoffice = BackofficeFromHeader
	})
	r := httptest.NewRequest("GET", "/", nil)
	if d := a.Authorize(r); d.User.ID != "front" {
		t.Errorf("frontend user %q", d.User.ID)
	}
	r = httptest.NewRequest("GET", "/", nil)
	r.Header.Set("isbackoffice", "TRUE")
	if d := a.Authorize(r); d.User.ID != "bo-user" {
		t.Errorf("backoffice user %q", d.User.ID)
	}
}

func TestUserinfoTimeoutAndConnectionError(t *testing.T) {
	svc := newIDService(t, 200, `{"sub":"u"}`)
	svc.delay = 300 * time.Millisecond
	var warnings []string
	var mu sync.Mutex
	a := newUserinfoAuthorizer(t, func(c *Config) {
		c.UserinfoURL = svc.srv.URL + "/?token=secret-in-url"
		c.UserinfoTimeout = 50 * time.Millisecond
		c.Hooks.Warn = func(m string) { mu.Lock(); warnings = append(warnings, m); mu.Unlock() }
	})
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer very-secret-token")
	start := time.Now()
	d := a.Authorize(r)
	if !d.User.Anonymous() || d.Status != 200 {
		t.Errorf("timeout: %+v", d)
	}
	if time.Since(start) > 250*time.Millisecond {
		t.Errorf("timeout not applied: %s", time.Since(start))
	}

	closed := httptest.NewServer(http.NotFoundHandler())
	url := closed.URL
	closed.Close()
	b := newUserinfoAuthorizer(t, func(c *Config) {
		c.UserinfoURL = url
		c.Hooks.Warn = func(m string) { mu.Lock(); warnings = append(warnings, m); mu.Unlock() }
	})
	if d := b.Authorize(r); !d.User.Anonymous() || d.Status != 200 {
		t.Errorf("connection error: %+v", d)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(warnings) != 2 {
		t.Errorf("warnings %q", warnings)
	}
	for i := 0; i < len(warnings); i++ {
		if strings.Contains(warnings[i], "secret") {
			t.Errorf("credential in a log line: %q", warnings[i])
		}
	}
}

func TestUserinfoCache(t *testing.T) {
	svc := newIDService(t, 200, `{"sub":"u"}`)
	a := newUserinfoAuthorizer(t, func(c *Config) {
		c.UserinfoURL = svc.srv.URL
		c.CacheTTL = time.Hour
		c.CacheSize = 2
	})
	req := func(tok string) Decision {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		return a.Authorize(r)
	}
	req("a")
	req("a")
	if svc.count() != 1 {
		t.Fatalf("cached user: %d calls", svc.count())
	}
	req("b") // different credential, different key
	if svc.count() != 2 {
		t.Fatalf("second credential: %d calls", svc.count())
	}
	req("c") // evicts a
	req("a")
	if svc.count() != 4 {
		t.Fatalf("size bound: %d calls", svc.count())
	}

	// 401 is cached, 5xx is not
	svc.mu.Lock()
	svc.status = 401
	svc.mu.Unlock()
	req("d")
	req("d")
	if svc.count() != 5 {
		t.Fatalf("401 cached: %d calls", svc.count())
	}
	svc.mu.Lock()
	svc.status = 503
	svc.mu.Unlock()
	req("e")
	req("e")
	if svc.count() != 7 {
		t.Fatalf("503 must not be cached: %d calls", svc.count())
	}
}

func TestUserinfoCacheExpiryAndSingleFlight(t *testing.T) {
	c := newUserCache(time.Minute, 10)
	now := time.Unix(1000, 0)
	c.now = func() time.Time { return now }
	calls := 0
	fetch := func() (User, bool) { calls++; return User{ID: "u"}, true }
	c.get(context.Background(), "k", fetch)
	c.get(context.Background(), "k", fetch)
	now = now.Add(2 * time.Minute)
	c.get(context.Background(), "k", fetch)
	if calls != 2 {
		t.Errorf("expiry: %d calls", calls)
	}

	svc := newIDService(t, 200, `{"sub":"u"}`)
	svc.delay = 100 * time.Millisecond
	a := newUserinfoAuthorizer(t, func(c *Config) { c.UserinfoURL = svc.srv.URL; c.CacheTTL = time.Hour })
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("Authorization", "Bearer same")
			if d := a.Authorize(r); d.User.ID != "u" {
				t.Errorf("concurrent caller got %q", d.User.ID)
			}
		}()
	}
	wg.Wait()
	if svc.count() != 1 {
		t.Errorf("concurrent identical misses made %d calls", svc.count())
	}
}

func TestUserinfoPropertiesUpstream(t *testing.T) {
	body, _ := json.Marshal(map[string]any{"sub": "u", "groups": []string{"g"}, "email": "e@x", "name": "N", "secret": "s"})
	svc := newIDService(t, 200, string(body))
	a := newUserinfoAuthorizer(t, func(c *Config) {
		c.UserinfoURL = svc.srv.URL
		c.UserPropertiesToProxy = []string{"name", "email", "missing"}
	})
	r := httptest.NewRequest("GET", "/", nil)
	a.Authorize(r)
	if got := r.Header.Get("Miauserproperties"); got != `{"name":"N","email":"e@x"}` {
		t.Errorf("properties %s", got)
	}
}
