package token

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// rlClock is a settable clock for the limiter tests.
type rlClock struct{ t time.Time }

func rlIssuer(t *testing.T, mod func(c *Config)) (*Issuer, *rlClock) {
	t.Helper()
	clock := &rlClock{t: time.Unix(1700000000, 0)}
	iss := jtIssuer(t, func(c *Config) {
		c.MaxFailures = 0 // the defaults: 10 per minute
		if mod != nil {
			mod(c)
		}
	})
	iss.now = func() time.Time { return clock.t }
	return iss, clock
}

// rlPost asks for a token as id with secret from addr; it returns the
// status and Retry-After.
func rlPost(iss *Issuer, id, secret, addr string) (int, string) {
	r := httptest.NewRequest("POST", DefaultTokenPath, strings.NewReader(jtForm("grant_type", "client_credentials")))
	r.Header.Set("Content-Type", jtFormCT)
	r.Header.Set("Authorization", jtBasic(id, secret))
	r.RemoteAddr = addr
	w := httptest.NewRecorder()
	iss.ServeHTTP(w, r)
	return w.Code, w.Header().Get("Retry-After")
}

func TestBruteForceLimit(t *testing.T) {
	type step struct {
		id, secret, addr string
		advance          time.Duration // before the request
		status           int
		retry            string // Retry-After, when 429
	}
	bad := func(id, addr string) step { return step{id: id, secret: "wrong", addr: addr, status: 401} }
	tenBad := func(id string, addrs func(i int) string) []step {
		var s []step
		for i := 0; i < 10; i++ {
			s = append(s, bad(id, addrs(i)))
		}
		return s
	}
	oneAddr := func(int) string { return "192.0.2.7:4000" }
	manyAddrs := func(i int) string { return "198.51.100." + strconv.Itoa(i+1) + ":4000" }
	cases := []struct {
		name  string
		steps []step
	}{
		{"the 11th wrong secret from one address is 429, a correct one too, until the window passes", append(tenBad("svc", oneAddr),
			step{id: "svc", secret: "wrong", addr: "192.0.2.7:4000", status: 429, retry: "60"},
			step{id: "svc", secret: jtSvcSecret, addr: "192.0.2.7:4000", advance: 30 * time.Second, status: 429, retry: "30"},
			step{id: "svc", secret: jtSvcSecret, addr: "192.0.2.7:4000", advance: 29*time.Second + 500*time.Millisecond, status: 429, retry: "1"},
			step{id: "svc", secret: jtSvcSecret, addr: "192.0.2.7:4000", advance: time.Second, status: 200},
		)},
		{"per client id: ten addresses, then a correct secret from an eleventh", append(tenBad("svc", manyAddrs),
			step{id: "svc", secret: jtSvcSecret, addr: "203.0.113.9:1", status: 429, retry: "60"},
			step{id: "hashed", secret: jtHashedSecret, addr: "203.0.113.9:1", status: 200},
			step{id: "svc", secret: jtSvcSecret, addr: "203.0.113.9:1", advance: time.Minute, status: 200},
		)},
		{"per address: unknown ids, then a known client from that address", append(tenBad("nobody", oneAddr),
			step{id: "svc", secret: jtSvcSecret, addr: "192.0.2.7:4001", status: 429, retry: "60"},
			step{id: "svc", secret: jtSvcSecret, addr: "192.0.2.8:4001", status: 200},
		)},
		{"nine failures, the window passes, nine more: never blocked", append(append(tenBad("svc", oneAddr)[:9],
			step{id: "svc", secret: jtSvcSecret, addr: "192.0.2.7:1", advance: time.Minute, status: 200}),
			tenBad("svc", oneAddr)[:9]...)},
		{"IPv6 counts per /64", append(tenBad("nobody", func(i int) string { return "[2001:db8:1:2::" + strconv.Itoa(i+1) + "]:443" }),
			step{id: "svc", secret: jtSvcSecret, addr: "[2001:db8:1:2:ffff::1]:443", status: 429, retry: "60"},
			step{id: "svc", secret: jtSvcSecret, addr: "[2001:db8:1:3::1]:443", status: 200},
		)},
		{"a malformed Basic header counts per address", append(tenBad("", oneAddr),
			step{id: "svc", secret: jtSvcSecret, addr: "192.0.2.7:1", status: 429, retry: "60"},
		)},
	}
	for i := 0; i < len(cases); i++ {
		tc := cases[i]
		t.Run(tc.name, func(t *testing.T) {
			iss, clock := rlIssuer(t, nil)
			for n := 0; n < len(tc.steps); n++ {
				s := tc.steps[n]
				clock.t = clock.t.Add(s.advance)
				var status int
				var retry string
				if s.id != "" {
					status, retry = rlPost(iss, s.id, s.secret, s.addr)
				} else {
					r := httptest.NewRequest("POST", DefaultTokenPath, strings.NewReader(jtForm("grant_type", "client_credentials")))
					r.Header.Set("Content-Type", jtFormCT)
					r.Header.Set("Authorization", "Basic !!!")
					r.RemoteAddr = s.addr
					w := httptest.NewRecorder()
					iss.ServeHTTP(w, r)
					status = w.Code
					retry = w.Header().Get("Retry-After")
				}
				if status != s.status || (s.status == 429 && retry != s.retry) {
					t.Fatalf("step %d (%s from %s): %d Retry-After %q, want %d %q", n+1, s.id, s.addr, status, retry, s.status, s.retry)
				}
			}
		})
	}
}

func TestBruteForceBody(t *testing.T) {
	iss, _ := rlIssuer(t, func(c *Config) { c.MaxFailures = 1 })
	rlPost(iss, "svc", "wrong", "192.0.2.1:1")
	w, body := jtServe(t, iss, jtReq{ct: jtFormCT, body: jtForm("grant_type", "client_credentials"), auth: []string{jtBasic("svc", jtSvcSecret)}})
	if w.Code != http.StatusTooManyRequests || body["error"] != "slow_down" || w.Header().Get("Cache-Control") != "no-store" || w.Header().Get("Retry-After") == "" {
		t.Fatalf("%d %v %v", w.Code, body, w.Header())
	}
	if w.Header().Get("WWW-Authenticate") != "" {
		t.Fatal("429 with a Basic challenge")
	}
}

func TestBruteForceOptions(t *testing.T) {
	cases := []struct {
		name     string
		mod      func(c *Config)
		failures int
		addr     func(i int) string
		want     int // status of the next correct request
	}{
		{"off", func(c *Config) { c.MaxFailures = -1 }, 50, func(int) string { return "192.0.2.1:1" }, 200},
		{"max 3", func(c *Config) { c.MaxFailures = 3 }, 3, func(int) string { return "192.0.2.1:1" }, 429},
		{"max 3, two failures", func(c *Config) { c.MaxFailures = 3 }, 2, func(int) string { return "192.0.2.1:1" }, 200},
		{"ClientAddr groups every request", func(c *Config) {
			c.ClientAddr = func(r *http.Request) string { return r.Header.Get("Content-Type") }
		}, 10, func(i int) string { return "192.0.2." + strconv.Itoa(i+1) + ":1" }, 429},
	}
	for i := 0; i < len(cases); i++ {
		tc := cases[i]
		t.Run(tc.name, func(t *testing.T) {
			iss, _ := rlIssuer(t, tc.mod)
			for n := 0; n < tc.failures; n++ {
				rlPost(iss, "nobody", "x", tc.addr(n))
			}
			if status, _ := rlPost(iss, "svc", jtSvcSecret, tc.addr(tc.failures-1)); status != tc.want {
				t.Fatalf("status %d, want %d", status, tc.want)
			}
		})
	}
	if _, err := NewIssuer(func() Config { c := jtConfig(); c.MaxFailures = 0; c.FailureWindow = time.Millisecond; return c }()); err == nil || !strings.Contains(err.Error(), "failure_window must be at least 1s") {
		t.Fatalf("failure_window 1ms: %v", err)
	}
}

// TestBruteForceMemory: unknown client ids are never remembered, and
// addresses are bounded.
func TestBruteForceMemory(t *testing.T) {
	l := newFailureLimiter(10, time.Minute, 100, nil)
	now := time.Unix(1700000000, 0)
	for i := 0; i < 1000; i++ {
		l.fail("", "10.0."+strconv.Itoa(i/256)+"."+strconv.Itoa(i%256), now)
	}
	if len(l.byAddr) > 100 || len(l.byID) != 0 {
		t.Fatalf("%d addresses, %d ids", len(l.byAddr), len(l.byID))
	}
	// a blocked address survives the eviction of expired entries
	l = newFailureLimiter(2, time.Minute, 3, nil)
	l.fail("", "old1", now)
	l.fail("", "old2", now)
	later := now.Add(2 * time.Minute)
	l.fail("", "hot", later)
	l.fail("", "hot", later)
	l.fail("", "new", later)
	if l.blocked("", "hot", later) == 0 || len(l.byAddr) > 3 || l.byAddr["old1"] != nil {
		t.Fatalf("after eviction: %v", l.byAddr)
	}
	// the token endpoint does not remember unknown ids
	iss, _ := rlIssuer(t, nil)
	for i := 0; i < 50; i++ {
		rlPost(iss, "id-"+strconv.Itoa(i), "x", "192.0.2.1:1")
	}
	if len(iss.limiter.byID) != 0 {
		t.Fatalf("%d unknown ids remembered", len(iss.limiter.byID))
	}
}
