package core

import (
	"encoding/json"
	"sync"
	"time"
)

// DefaultTokenCacheSize bounds the verified-token cache of a jwt source.
const DefaultTokenCacheSize = 10000

// tokenCacheMaxAge bounds how long one verification is reused, whatever the
// token's exp: a key removed from the JWKS stops verifying its tokens from
// the cache within this time (plus the JWKS refresh interval, as without
// the cache).
const tokenCacheMaxAge = time.Minute

// tokenCache remembers the users of tokens that verified, keyed by the
// whole token, so that a client that sends the same token on every request
// pays for one signature check, not one per request. An entry is never used
// past the token's exp (nor past tokenCacheMaxAge), and only successes are
// cached: the cache changes the cost of a decision, never its outcome.
type tokenCache struct {
	mu      sync.RWMutex
	entries map[string]tokenEntry
	size    int
}

// tokenEntry is one verified token: its user and when the entry stops
// being valid (Unix seconds).
type tokenEntry struct {
	user  User
	until int64
}

func newTokenCache(size int) *tokenCache {
	if size <= 0 {
		size = DefaultTokenCacheSize
	}
	return &tokenCache{entries: map[string]tokenEntry{}, size: size}
}

// cachedUser returns the user of tok when a live entry holds it.
func cachedUser(c *tokenCache, tok string, now int64) (User, bool) {
	c.mu.RLock()
	e, ok := c.entries[tok]
	c.mu.RUnlock()
	if !ok || now >= e.until {
		return User{}, false
	}
	return e.user, true
}

// storeUser caches the user of a token that verified, until the token's
// exp (and at most tokenCacheMaxAge). A full cache first drops expired
// entries, then arbitrary ones, so its size stays bounded.
func storeUser(c *tokenCache, tok string, u User, exp any, now int64) {
	until, ok := unixSeconds(exp)
	if !ok || until <= now {
		return
	}
	if max := now + int64(tokenCacheMaxAge/time.Second); until > max {
		until = max
	}
	c.mu.Lock()
	if len(c.entries) >= c.size {
		evictTokens(c, now)
	}
	c.entries[tok] = tokenEntry{user: u, until: until}
	c.mu.Unlock()
}

// evictTokens makes room in a full cache (the caller holds the lock):
// every expired entry goes, and when none had expired, an eighth of the
// entries, in map order.
func evictTokens(c *tokenCache, now int64) {
	for k, e := range c.entries {
		if now >= e.until {
			delete(c.entries, k)
		}
	}
	drop := c.size / 8
	if drop < 1 {
		drop = 1
	}
	for k := range c.entries {
		if len(c.entries) < c.size-drop+1 {
			break
		}
		delete(c.entries, k)
	}
}

// unixSeconds reads a NumericDate claim (a JSON number) as whole seconds,
// rounded down; values beyond the year 2500 read as that.
func unixSeconds(v any) (int64, bool) {
	var f float64
	if n, ok := v.(json.Number); ok {
		var err error
		if f, err = n.Float64(); err != nil {
			return 0, false
		}
	} else if x, ok := v.(float64); ok {
		f = x
	} else {
		return 0, false
	}
	if f > 16725225600 { // 2500-01-01
		f = 16725225600
	}
	return int64(f), true
}
