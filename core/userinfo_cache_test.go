package core

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// cachedUserinfo is an Authorizer with a cache in front of svc.
func cachedUserinfo(t *testing.T, svc *idService, timeout time.Duration) *Authorizer {
	return newUserinfoAuthorizer(t, func(c *Config) {
		c.UserinfoURL = svc.srv.URL
		c.CacheTTL = time.Hour
		c.UserinfoTimeout = timeout
	})
}

// bearerReq is a request with a bearer token and an optional context.
func bearerReq(ctx context.Context, tok string) *http.Request {
	r := httptest.NewRequest("GET", "/", nil).WithContext(ctx)
	r.Header.Set("Authorization", "Bearer "+tok)
	return r
}

// TestUserinfoCacheNoIDNotCached: a 2xx answer without a user id is
// anonymous and never cached, so the caller who logs in is seen at once.
func TestUserinfoCacheNoIDNotCached(t *testing.T) {
	cases := []string{`{"groups":["admin"]}`, `{"sub":""}`, `{"sub":null}`, ``}
	for i := 0; i < len(cases); i++ {
		svc := newIDService(t, 200, cases[i])
		a := cachedUserinfo(t, svc, time.Second)
		a.Authorize(bearerReq(context.Background(), "t"))
		a.Authorize(bearerReq(context.Background(), "t"))
		if svc.count() != 2 {
			t.Errorf("%q: %d calls, want 2 (not cached)", cases[i], svc.count())
		}
		svc.mu.Lock()
		svc.body = `{"sub":"u"}`
		svc.mu.Unlock()
		if d := a.Authorize(bearerReq(context.Background(), "t")); d.User.ID != "u" {
			t.Errorf("%q: then user %q", cases[i], d.User.ID)
		}
	}
}

// TestUserinfoSharedCallOutlivesFirstCaller: the first caller hanging up
// does not cancel the shared call; the others get the user from one call.
func TestUserinfoSharedCallOutlivesFirstCaller(t *testing.T) {
	svc := newIDService(t, 200, `{"sub":"u"}`)
	svc.delay = 300 * time.Millisecond
	a := cachedUserinfo(t, svc, 5*time.Second)

	ctx, cancel := context.WithCancel(context.Background())
	firstDone := make(chan time.Duration, 1)
	go func() {
		start := time.Now()
		a.Authorize(bearerReq(ctx, "same"))
		firstDone <- time.Since(start)
	}()
	waitFor(t, func() bool { return svc.count() == 1 })

	var wg sync.WaitGroup
	ids := make([]string, 6)
	for i := 0; i < len(ids); i++ {
		wg.Add(1)
		i := i
		go func() {
			defer wg.Done()
			ids[i] = a.Authorize(bearerReq(context.Background(), "same")).User.ID
		}()
	}
	time.Sleep(30 * time.Millisecond)
	cancel()
	select {
	case d := <-firstDone:
		if d > 250*time.Millisecond {
			t.Errorf("the cancelled first caller waited %s", d)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the cancelled first caller is still waiting")
	}
	wg.Wait()
	for i := 0; i < len(ids); i++ {
		if ids[i] != "u" {
			t.Errorf("waiter %d got %q", i, ids[i])
		}
	}
	if svc.count() != 1 {
		t.Errorf("%d calls, want 1", svc.count())
	}
	// and the answer was cached
	if d := a.Authorize(bearerReq(context.Background(), "same")); d.User.ID != "u" || svc.count() != 1 {
		t.Errorf("after: user %q, %d calls", d.User.ID, svc.count())
	}
}

// TestUserinfoWaiterCancelled: a waiter whose own request is cancelled
// stops waiting at once.
func TestUserinfoWaiterCancelled(t *testing.T) {
	svc := newIDService(t, 200, `{"sub":"u"}`)
	svc.delay = 500 * time.Millisecond
	a := cachedUserinfo(t, svc, 5*time.Second)
	go a.Authorize(bearerReq(context.Background(), "same"))
	waitFor(t, func() bool { return svc.count() == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	start := time.Now()
	d := a.Authorize(bearerReq(ctx, "same"))
	if el := time.Since(start); el > 300*time.Millisecond {
		t.Errorf("cancelled waiter waited %s", el)
	}
	if !d.User.Anonymous() {
		t.Errorf("cancelled waiter got user %q", d.User.ID)
	}
}

// TestUserinfoSharedCallTimeout: the shared call is bounded by
// userinfo_timeout; its callers are anonymous and nothing is cached.
func TestUserinfoSharedCallTimeout(t *testing.T) {
	svc := newIDService(t, 200, `{"sub":"u"}`)
	svc.delay = 400 * time.Millisecond
	a := cachedUserinfo(t, svc, 50*time.Millisecond)
	start := time.Now()
	if d := a.Authorize(bearerReq(context.Background(), "same")); !d.User.Anonymous() {
		t.Errorf("user %q past the timeout", d.User.ID)
	}
	if el := time.Since(start); el > 300*time.Millisecond {
		t.Errorf("timeout not applied: %s", el)
	}
	svc.mu.Lock()
	svc.delay = 0
	svc.mu.Unlock()
	if d := a.Authorize(bearerReq(context.Background(), "same")); d.User.ID != "u" {
		t.Errorf("timeout was cached: user %q", d.User.ID)
	}
}

// waitFor polls cond for up to 2 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 2s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestUserinfoWarningsRedacted: a transport error's warning names the
// userinfo URL without its user info, query or fragment, and never a
// proxied header value.
func TestUserinfoWarningsRedacted(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	addr := closed.Listener.Addr().String()
	closed.Close()
	slow := newIDService(t, 200, `{"sub":"u"}`)
	slow.delay = 300 * time.Millisecond
	slowAddr := slow.srv.Listener.Addr().String()
	urls := []string{
		"http://alice:pa55word@" + addr + "/userinfo?access_token=qs-secret#frag-secret",
		"http://alice@" + addr + "/userinfo?access_token=qs-secret",
		"http://" + addr + "/user%20info?access_token=qs-secret",
		"http://alice:pa55word@" + slowAddr + "/?access_token=qs-secret",
	}
	for i := 0; i < len(urls); i++ {
		for _, cached := range []bool{false, true} {
			var w warnings
			a := newUserinfoAuthorizer(t, func(c *Config) {
				c.UserinfoURL = urls[i]
				c.UserinfoTimeout = 50 * time.Millisecond
				c.Hooks.Warn = w.hook
				if cached {
					c.CacheTTL = time.Minute
				}
			})
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("Authorization", "Bearer header-secret")
			r.Header.Set("Cookie", "sid=cookie-secret")
			a.Authorize(r)
			msgs := w.all()
			if len(msgs) != 1 {
				t.Errorf("%s: warnings %q", urls[i], msgs)
			}
			for j := 0; j < len(msgs); j++ {
				for _, secret := range []string{"alice", "pa55word", "qs-secret", "frag-secret", "header-secret", "cookie-secret", "access_token"} {
					if strings.Contains(msgs[j], secret) {
						t.Errorf("warning %q contains %q", msgs[j], secret)
					}
				}
				if !strings.Contains(msgs[j], "127.0.0.1") {
					t.Errorf("warning %q does not name the host", msgs[j])
				}
			}
		}
	}
}
