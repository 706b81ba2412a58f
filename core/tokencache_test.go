package core

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

// TestTokenCacheHitsAndLimits: a token that verified is served from the
// cache (shown by swapping the verifier's key: the cached token is still a
// user), a failed token is never cached, and an entry is never used at or
// past the token's exp.
func TestTokenCacheHitsAndLimits(t *testing.T) {
	other := jsSource(t, func(c *JWTConfig) { c.HMACSecret = "ffffffffffffffffffffffffffffffff" })
	now := time.Now().Unix()
	identify := func(s *jwtSource, tok string) (User, error) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		return s.identify(r, false)
	}
	cases := []struct {
		name       string
		claims     map[string]any
		wantCached bool
	}{
		{name: "valid for an hour", claims: nil, wantCached: true},
		{name: "expires in 2s", claims: map[string]any{"exp": now + 2}, wantCached: true},
		{name: "expired", claims: map[string]any{"exp": now - 3600}, wantCached: false},
		{name: "wrong audience", claims: map[string]any{"aud": "nope"}, wantCached: false},
	}
	for i := 0; i < len(cases); i++ {
		tc := cases[i]
		t.Run(tc.name, func(t *testing.T) {
			s := jsSource(t, nil)
			tok := hs256(jsSecret, jsClaims(t, tc.claims))
			u1, err1 := identify(s, tok)
			// the same source with another key: only the cache can accept tok now
			s.v, other.v = other.v, s.v
			defer func() { s.v, other.v = other.v, s.v }()
			u2, err2 := identify(s, tok)
			if tc.wantCached {
				if err1 != nil || err2 != nil || u2.ID != u1.ID || u2.ID != "alice" {
					t.Fatalf("first %q %v, second %q %v: want the cached user", u1.ID, err1, u2.ID, err2)
				}
			} else if err2 == nil {
				t.Fatalf("a token that failed was cached: %q", u2.ID)
			}
		})
	}
}

// TestTokenCacheExpiry: an entry is valid until the token's exp, capped at
// a minute, and never at or after it.
func TestTokenCacheExpiry(t *testing.T) {
	c := newTokenCache(10)
	now := int64(1_000_000)
	u := User{ID: "a"}
	storeUser(c, "soon", u, json.Number(strconv.FormatInt(now+5, 10)), now)
	storeUser(c, "late", u, float64(now+3600), now)
	storeUser(c, "past", u, json.Number(strconv.FormatInt(now-1, 10)), now)
	storeUser(c, "noexp", u, nil, now)
	storeUser(c, "huge", u, json.Number("1e300"), now)
	cases := []struct {
		tok string
		at  int64
		hit bool
	}{
		{"soon", now + 4, true}, {"soon", now + 5, false},
		{"late", now + 59, true}, {"late", now + 60, false},
		{"past", now, false}, {"noexp", now, false},
		{"huge", now + 59, true}, {"huge", now + 61, false},
		{"unknown", now, false},
	}
	for _, tc := range cases {
		if _, ok := cachedUser(c, tc.tok, tc.at); ok != tc.hit {
			t.Errorf("%s at +%ds: hit %v, want %v", tc.tok, tc.at-now, ok, tc.hit)
		}
	}
}

// TestTokenCacheBounded: the cache never holds more than its size, and
// expired entries go first.
func TestTokenCacheBounded(t *testing.T) {
	c := newTokenCache(16)
	now := int64(1_000_000)
	for i := 0; i < 1000; i++ {
		storeUser(c, "t"+strconv.Itoa(i), User{ID: "u"}, float64(now+3600), now)
		if len(c.entries) > 16 {
			t.Fatalf("%d entries after %d stores", len(c.entries), i+1)
		}
	}
	storeUser(c, "fresh", User{ID: "u"}, float64(now+3600+120), now+120)
	if _, ok := cachedUser(c, "fresh", now+120); !ok || len(c.entries) != 1 {
		t.Errorf("expired entries not dropped first: %d entries", len(c.entries))
	}
}

// TestTokenCacheSameOutcome: over the jwt decision rows, a decision served
// from the cache equals the uncached one (status, reason, user, groups).
func TestTokenCacheSameOutcome(t *testing.T) {
	exp := time.Now().Unix() + 3600
	tokens := []string{
		hs256(jsSecret, `{"sub":"alice","aud":"api","iss":"https://issuer.example","exp":`+strconv.FormatInt(exp, 10)+`,"groups":["admin"],"permissions":["p"]}`),
		hs256(jsSecret, `{"sub":"bob","aud":"api","iss":"https://issuer.example","exp":`+strconv.FormatInt(exp, 10)+`,"groups":["user"]}`),
		hs256(jsSecret, `{"aud":"api","iss":"https://issuer.example","exp":`+strconv.FormatInt(exp, 10)+`}`),
		hs256("wrong-secret-wrong-secret-wrong!!", `{"sub":"eve","exp":`+strconv.FormatInt(exp, 10)+`}`),
		"not.a.token",
	}
	cfg := DefaultConfig()
	cfg.RulesJSON = `{"/": {"GET": {"authorization": {"expression": "true", "public": true}}},
		"/admin/": {"ALL": {"authorization": {"expression": "groups.admin", "public": false}}}}`
	j := DefaultJWTConfig()
	j.HMACSecret = jsSecret
	j.Issuer = "https://issuer.example"
	j.Audience = []string{"api"}
	cfg.JWT = &j
	cfg.Context = context.Background()
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	for _, tok := range tokens {
		for _, path := range []string{"/", "/admin/x"} {
			var got [2]Decision
			for i := 0; i < 2; i++ {
				r := httptest.NewRequest("GET", path, nil)
				r.Header.Set("Authorization", "Bearer "+tok)
				got[i] = a.Authorize(r)
			}
			if got[0].Status != got[1].Status || got[0].Reason != got[1].Reason || got[0].User.ID != got[1].User.ID ||
				joinGroups(got[0].User.Groups) != joinGroups(got[1].User.Groups) {
				t.Errorf("%s %.12s…: first %d %s %q, cached %d %s %q", path, tok, got[0].Status, got[0].Reason, got[0].User.ID,
					got[1].Status, got[1].Reason, got[1].User.ID)
			}
		}
	}
}

// TestTokenCacheSizeOption: a negative size is a configuration error.
func TestTokenCacheSizeOption(t *testing.T) {
	cfg := DefaultJWTConfig()
	cfg.HMACSecret = jsSecret
	cfg.TokenCacheSize = -1
	if _, err := newJWTSource(context.Background(), &cfg, nil, nil); err == nil {
		t.Fatal("token_cache_size -1 accepted")
	}
}
