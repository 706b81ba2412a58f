package core

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/aclgate/aclgate/core/rules"
)

// BenchmarkPieces measures the steps of a trusted-user decision one by
// one. Compiled they cost nanoseconds; the point is `yaegi test -bench
// Pieces` (Traefik interprets this code), which shows where the
// interpreted time and allocations go.
func BenchmarkPieces(b *testing.B) {
	cfg := DefaultConfig()
	cfg.TrustUserHeaders = true
	cfg.PermissionsKey = "permissions"
	cfg.UserPropertiesToProxy = []string{"email"}
	cfg.RulesJSON = miaExample
	a, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	fill := func(h http.Header) {
		for k := range h {
			delete(h, k)
		}
		h["Miauserid"] = []string{"u1"}
		h["Miausergroups"] = []string{"user,admin"}
		h["Miauserproperties"] = []string{`{"email":"u1@example.com"}`}
		h["Accept"] = []string{"*/*"}
		h["User-Agent"] = []string{"wrk"}
		h["X-Forwarded-For"] = []string{"127.0.0.1"}
		h["Accept-Encoding"] = []string{"gzip"}
	}
	h := http.Header{}
	u := &url.URL{Path: "/users/7"}
	r := &http.Request{Method: "GET", URL: u, Header: h}
	b.Run("fill-headers", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			fill(h)
		}
	})
	b.Run("readTrusted", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			fill(h)
			old := headerSlices{h[a.upID], h[a.upGroups], h[a.upProps]}
			var usr User
			readTrusted(a.trusted, h, &old, &usr)
		}
	})
	b.Run("stripSpoofed", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			fill(h)
			stripSpoofed(a.guard, h, a.exact)
		}
	})
	b.Run("path", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			p := r.URL.EscapedPath()
			if !isCanonical(p) {
				b.Fatal(p)
			}
		}
	})
	b.Run("lookup", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if rules.Lookup(a.rules, "/users/7", "GET", false) == nil {
				b.Fatal("no rule")
			}
		}
	})
	az := rules.Lookup(a.rules, "/users/7", "GET", false)
	usr := User{ID: "u1", Groups: []string{"user", "admin"}, Properties: map[string]any{"email": "u1@example.com"}}
	b.Run("evalRule", func(b *testing.B) {
		d := Decision{User: usr}
		for i := 0; i < b.N; i++ {
			evalRule(az, &d)
		}
	})
	b.Run("forward", func(b *testing.B) {
		d := Decision{User: usr, Path: "/users/7", Allowed: true}
		var old headerSlices
		for i := 0; i < b.N; i++ {
			forward(a, r, &d, &old)
		}
	})
	b.Run("authorize", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			fill(h)
			u.Path = "/users/7"
			var d Decision
			authorize(a, r, &d)
		}
	})
	b.Run("Authorize", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			fill(h)
			u.Path = "/users/7"
			a.Authorize(r)
		}
	})
}

// BenchmarkPiecesSources measures the cached identity sources (a userinfo
// cache hit, a verified-token cache hit), for `yaegi test -bench`.
func BenchmarkPiecesSources(b *testing.B) {
	svc := httptestUserinfo(b)
	cfg := DefaultConfig()
	cfg.UserinfoURL = svc
	cfg.CacheTTL = time.Hour
	cfg.RulesJSON = miaExample
	a, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	r := httptest.NewRequest("GET", "/users/7", nil)
	r.Header.Set("Authorization", "Bearer u1")
	src := a.ident
	if u, _ := src.identify(r, false); u.ID != "u1" {
		b.Fatalf("user %q", u.ID)
	}
	us := src.(*userinfoSource)
	b.Run("userinfo-cacheKey", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			us.cacheKey(r, us.url)
		}
	})
	key := us.cacheKey(r, us.url)
	b.Run("userinfo-cacheLookup", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			cacheLookup(us.cache, key)
		}
	})
	b.Run("userinfo-identify", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			src.identify(r, false)
		}
	})
	js := jsSource(b, nil)
	tok := hs256(jsSecret, jsClaims(b, nil))
	rj := httptest.NewRequest("GET", "/users/7", nil)
	rj.Header.Set("Authorization", "Bearer "+tok)
	js.identify(rj, false)
	b.Run("jwt-identify-cached", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			js.identify(rj, false)
		}
	})
}

func httptestUserinfo(b *testing.B) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"sub":"u1","groups":["admin"]}`))
	}))
	b.Cleanup(srv.Close)
	return srv.URL
}
