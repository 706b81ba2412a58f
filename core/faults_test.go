package core

import (
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aclgate/aclgate/core/jose"
)

// faultRules: one private route, so that an anonymous caller is a 401 and
// a user a 200.
const faultRules = `{"/": {"ALL": {"authorization": {"expression": "true", "public": false}}}}`

// faultyService is an identity service that misbehaves as the test says.
type faultyService struct {
	srv   *httptest.Server
	calls atomic.Int64
}

func newFaultyService(t *testing.T, h func(w http.ResponseWriter, r *http.Request, call int64)) *faultyService {
	s := &faultyService{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h(w, r, s.calls.Add(1))
	}))
	t.Cleanup(func() { s.srv.Close() })
	return s
}

// settledGoroutines waits up to 3 s for the goroutine count to come back to
// at most limit, and returns the last count.
func settledGoroutines(limit int) int {
	n := runtime.NumGoroutine()
	for deadline := time.Now().Add(3 * time.Second); n > limit && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		n = runtime.NumGoroutine()
	}
	return n
}

// TestIdentityServiceFaults: whatever the identity service does — too
// slow, down, 5xx, garbage, a 10 MB body, flapping — every request gets the
// anonymous outcome (401 on a private route) within a bounded time, never
// a panic, and no goroutine outlives the requests. With the cache on, the
// failures are never cached.
func TestIdentityServiceFaults(t *testing.T) {
	const timeout = 300 * time.Millisecond
	user := `{"sub":"u","groups":["g"]}`
	cases := []struct {
		name    string
		handler func(w http.ResponseWriter, r *http.Request, call int64)
		down    bool
		maxTime time.Duration
	}{
		{name: "slow past the timeout", handler: func(w http.ResponseWriter, r *http.Request, call int64) {
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		}, maxTime: timeout + time.Second},
		{name: "down", down: true, maxTime: time.Second},
		{name: "500", handler: func(w http.ResponseWriter, r *http.Request, call int64) {
			w.WriteHeader(500)
			w.Write([]byte(user))
		}, maxTime: time.Second},
		{name: "garbage", handler: func(w http.ResponseWriter, r *http.Request, call int64) {
			w.Write([]byte("<html>not json"))
		}, maxTime: time.Second},
		{name: "10 MB body", handler: func(w http.ResponseWriter, r *http.Request, call int64) {
			w.Write([]byte(`{"sub":"u","pad":"`))
			chunk := []byte(strings.Repeat("a", 64<<10))
			for i := 0; i < 160; i++ {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
			w.Write([]byte(`"}`))
		}, maxTime: 2 * time.Second},
		{name: "hangs after the headers", handler: func(w http.ResponseWriter, r *http.Request, call int64) {
			w.WriteHeader(200)
			w.Write([]byte(`{"sub":`))
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		}, maxTime: timeout + time.Second},
	}
	for i := 0; i < len(cases); i++ {
		tc := cases[i]
		for _, ttl := range []time.Duration{0, time.Minute} {
			name := tc.name
			if ttl > 0 {
				name += " (cached)"
			}
			t.Run(name, func(t *testing.T) {
				before := runtime.NumGoroutine()
				url := "http://127.0.0.1:1/userinfo"
				var svc *faultyService
				if !tc.down {
					svc = newFaultyService(t, tc.handler)
					url = svc.srv.URL + "/userinfo"
				} else {
					// a port that was just listening and is now closed
					closed := httptest.NewServer(http.NotFoundHandler())
					url = closed.URL + "/userinfo"
					closed.Close()
				}
				tr := &http.Transport{}
				cfg := DefaultConfig()
				cfg.RulesJSON = faultRules
				cfg.UserinfoURL = url
				cfg.UserinfoTimeout = timeout
				cfg.CacheTTL = ttl
				cfg.HTTPClient = &http.Client{Timeout: timeout, Transport: tr}
				var warnings atomic.Int64
				cfg.Hooks.Warn = func(msg string) {
					warnings.Add(1)
					if strings.Contains(msg, "Bearer") || strings.Contains(msg, "secret-token") {
						t.Errorf("a warning names a credential: %s", msg)
					}
				}
				a, err := New(cfg)
				if err != nil {
					t.Fatal(err)
				}
				var wg sync.WaitGroup
				for round := 0; round < 2; round++ {
					for j := 0; j < 8; j++ {
						wg.Add(1)
						go func() {
							defer wg.Done()
							r := httptest.NewRequest("GET", "/x", nil)
							r.Header.Set("Authorization", "Bearer secret-token")
							start := time.Now()
							d := a.Authorize(r)
							if took := time.Since(start); took > tc.maxTime {
								t.Errorf("a request took %s, more than %s", took, tc.maxTime)
							}
							if d.Status != 401 || d.Reason != ReasonUnauthenticated || !d.User.Anonymous() {
								t.Errorf("status %d reason %s user %q; want 401 unauthenticated anonymous", d.Status, d.Reason, d.User.ID)
							}
						}()
					}
					wg.Wait()
				}
				if svc != nil && ttl > 0 && svc.calls.Load() < 2 {
					t.Errorf("%d calls with the cache on: a failure was cached", svc.calls.Load())
				}
				if warnings.Load() == 0 {
					t.Error("no warning logged")
				}
				a.Close()
				tr.CloseIdleConnections()
				if svc != nil {
					svc.srv.CloseClientConnections()
				}
				if n := settledGoroutines(before + 2); n > before+2 {
					t.Errorf("goroutines: %d before, %d after", before, n)
				}
			})
		}
	}
}

// TestIdentityServiceFlapping: a service that fails every other call.
// Without a cache each request gets the answer of its own call; with one,
// the first user answer serves the rest and no failure is kept.
func TestIdentityServiceFlapping(t *testing.T) {
	svc := newFaultyService(t, func(w http.ResponseWriter, r *http.Request, call int64) {
		if call%2 == 1 {
			w.WriteHeader(503)
			return
		}
		w.Write([]byte(`{"sub":"u"}`))
	})
	for _, ttl := range []time.Duration{0, time.Minute} {
		cfg := DefaultConfig()
		cfg.RulesJSON = faultRules
		cfg.UserinfoURL = svc.srv.URL
		cfg.CacheTTL = ttl
		cfg.Hooks.Warn = func(string) {}
		a, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		statuses := ""
		for i := 0; i < 6; i++ {
			r := httptest.NewRequest("GET", "/x", nil)
			r.Header.Set("Authorization", "Bearer t")
			d := a.Authorize(r)
			statuses += http.StatusText(d.Status)[:1]
		}
		a.Close()
		svc.calls.Store(0)
		want := "UOUOUO" // Unauthorized, OK, …
		if ttl > 0 {
			want = "UOOOOO"
		}
		if statuses != want {
			t.Errorf("cache ttl %s: outcomes %s, want %s", ttl, statuses, want)
		}
	}
}

// jwksServer serves a JWKS document that the test changes, or fails.
type jwksServer struct {
	srv  *httptest.Server
	mu   sync.Mutex
	doc  []byte
	fail bool
}

func newJWKSServer(t *testing.T) *jwksServer {
	s := &jwksServer{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		doc, fail := s.doc, s.fail
		s.mu.Unlock()
		if fail || doc == nil {
			w.WriteHeader(503)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(doc)
	}))
	t.Cleanup(func() { s.srv.Close() })
	return s
}

func (s *jwksServer) set(doc []byte, fail bool) {
	s.mu.Lock()
	s.doc, s.fail = doc, fail
	s.mu.Unlock()
}

// TestJWKSFaults: the JWKS endpoint down when the configuration loads, and
// down in the middle of a key rotation. Tokens of unknown keys are 401
// invalid_token (never a hang), tokens of known keys keep working, the
// gateway recovers when the endpoint does, and no goroutine is left behind.
func TestJWKSFaults(t *testing.T) {
	before := runtime.NumGoroutine()
	oldKey, err := jose.NewEphemeralSigner()
	if err != nil {
		t.Fatal(err)
	}
	oldKey.SetKeyID("old")
	newKey, err := jose.NewEphemeralSigner()
	if err != nil {
		t.Fatal(err)
	}
	newKey.SetKeyID("new")
	sign := func(s *jose.Signer) string {
		tok, err := s.Sign(nil, map[string]any{"sub": "svc", "exp": time.Now().Add(time.Hour).Unix()})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	oldTok, newTok := sign(oldKey), sign(newKey)

	js := newJWKSServer(t) // down: answers 503
	tr := &http.Transport{}
	cfg := DefaultConfig()
	cfg.RulesJSON = faultRules
	j := DefaultJWTConfig()
	j.JWKSURL = js.srv.URL
	cfg.JWT = &j
	cfg.HTTPClient = &http.Client{Timeout: 2 * time.Second, Transport: tr}
	cfg.Hooks.Warn = func(string) {}
	a, err := New(cfg)
	if err != nil {
		t.Fatalf("a JWKS endpoint down at start must not fail the load: %v", err)
	}
	check := func(what, tok string, status int) {
		t.Helper()
		r := httptest.NewRequest("GET", "/x", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		start := time.Now()
		d := a.Authorize(r)
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("%s: took %s", what, took)
		}
		if d.Status != status {
			t.Errorf("%s: status %d (%s), want %d", what, d.Status, d.Reason, status)
		}
	}
	check("endpoint down at start", oldTok, 401)

	// the endpoint comes up with the old key; the fetcher may wait for its
	// retry interval, so poll for a bounded time
	js.set(jose.JWKSDocument([]*jose.Key{oldKey.Public()}), false)
	deadline := time.Now().Add(15 * time.Second)
	for {
		r := httptest.NewRequest("GET", "/x", nil)
		r.Header.Set("Authorization", "Bearer "+oldTok)
		if a.Authorize(r).Status == 200 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	check("endpoint up", oldTok, 200)

	// rotation starts (the new key signs) while the endpoint fails
	js.set(nil, true)
	check("new key, endpoint down", newTok, 401)
	check("old key still known", oldTok, 200)

	a.Close()
	tr.CloseIdleConnections()
	js.srv.CloseClientConnections()
	if n := settledGoroutines(before + 2); n > before+2 {
		t.Errorf("goroutines: %d before, %d after", before, n)
	}
}

// TestUserinfoWarningsThrottled: an identity service that is down makes
// every request fail alike; one warning a second goes out, and the next
// says how many were held back.
func TestUserinfoWarningsThrottled(t *testing.T) {
	var w warnThrottle
	now := time.Unix(1000, 0)
	got := []int{}
	for i := 0; i < 50; i++ {
		if n, ok := w.pass(now.Add(time.Duration(i) * 10 * time.Millisecond)); ok {
			got = append(got, n)
		}
	}
	if n, ok := w.pass(now.Add(1500 * time.Millisecond)); ok {
		got = append(got, n)
	}
	if len(got) != 2 || got[0] != 0 || got[1] != 49 {
		t.Errorf("passed with held-back counts %v, want [0 49]", got)
	}
}
